// A rental's intent for store-level tests: a 4×H200 on Shadeform at $15.96/h, with a token and a
// fingerprint distinct enough that a test can check neither leaks into what readers see.
import type { RentalIntent } from "../../src/store/store.js";

export const SECRET_TOKEN = "secret-token-0123456789";
export const SECRET_FINGERPRINT = "AB:CD:EF";

export function rentalIntent(o: Partial<RentalIntent> = {}): RentalIntent {
  return {
    provider: "shadeform",
    cloud: "massedcompute",
    region: "us-central-2",
    instanceType: "H200x4",
    hourlyPriceCents: 1596,
    token: SECRET_TOKEN,
    fingerprint: SECRET_FINGERPRINT,
    autoDelete: { atMs: 0, spendCents: 1596 },
    ...o,
  };
}
