// `cacheon demo --rent`: the demo's pod rented on demand, from a Shadeform double on loopback
// (pod/providers/shadeform-double.ts) whose instances are real `cacheon pod serve` processes that
// take time to boot and run the demo's miners from their image catalogue. The validator rents
// through its real path (validator run --rent: RentedPods, the policy, the store's intents, pinned
// TLS): nothing is rented until jobs wait, one pod runs them, and it is given back once idle.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PodClient } from "../pod/client.js";
import { chooseOffer } from "../pod/providers/offers.js";
import { ShadeformProvider } from "../pod/providers/shadeform.js";
import { type ShadeformDouble, startShadeformDouble } from "../pod/providers/shadeform-double.js";
import { dollars, type HardwareWanted } from "../pod/providers/types.js";
import type { ImageCatalogue } from "../runtime/catalogue.js";
import type { ValidatorStore } from "../store/store.js";
import { type RentConfig, RentConfigSchema, SHADEFORM_KEY_ENV } from "../validator/rent-config.js";
import { VERSION } from "../version.js";

/** How long the demo's rented pod may sit idle before it is given back. */
const IDLE_SECONDS = 3;

export interface DemoRental {
  /** The renting config `validator run --rent` would read, aimed at the double. */
  rent: RentConfig;
  /** The validator's environment: the double's API key. */
  env: Record<string, string>;
  /** One line on where pods come from. */
  describe: string;
  /** Why no offer of the double fits the arena's hardware; null when one does. */
  noOffer(hardware: HardwareWanted): Promise<string | null>;
  /** A client of a ready rental's pod, pinned to its certificate (to follow a job's progress). */
  client(store: ValidatorStore, name: string): PodClient | null;
  /** What each rental cost and how it ended, and what is left on the double. */
  summary(store: ValidatorStore): string[];
  close(): Promise<void>;
}

export async function startDemoRental(catalogue: ImageCatalogue): Promise<DemoRental> {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-demo-rent-"));
  let double: ShadeformDouble;
  try {
    const images = join(dir, "images.json");
    writeFileSync(images, JSON.stringify(catalogue));
    double = await startShadeformDouble({ podArgs: ["--images", images], bootDelayMs: 500 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const d = double;
  const rent = RentConfigSchema.parse({
    provider: { kind: "shadeform", baseUrl: d.url, timeoutMs: 10_000, retries: 2, backoffMs: 100 },
    // The double records the launch script and starts `pod serve` itself: the image is a stand-in.
    image: `localhost/cacheon/cacheon@sha256:${createHash("sha256").update(`cacheon ${VERSION}`).digest("hex")}`,
    maxPods: 1,
    idleSeconds: IDLE_SECONDS,
    bootTimeoutSeconds: 120,
    dailySpendCapUsd: 100,
    maxRentalHours: 1,
    retrySeconds: 5,
  });
  return {
    rent,
    env: { [SHADEFORM_KEY_ENV]: d.apiKey },
    describe: `rented on demand from a Shadeform double at ${d.url} (its instances are \`cacheon pod serve\` processes on loopback that take a while to boot; at most 1 pod, given back after ${IDLE_SECONDS} s idle, $${rent.dailySpendCapUsd}/day cap)`,
    async noOffer(hardware) {
      const provider = new ShadeformProvider({ apiKey: d.apiKey, baseUrl: d.url });
      const choice = chooseOffer(await provider.instanceTypes(), hardware);
      return choice.offer === null ? `demo --rent: ${choice.reason}` : null;
    },
    client(store, name) {
      const r = store.rental(name);
      if (r?.address == null) return null;
      return new PodClient({ url: `https://${r.address}`, fingerprint: r.fingerprint }, r.token);
    },
    summary(store) {
      const instances = d.instances();
      const lines = store.rentalsSince(0).map((r) => {
        const inst = instances.find((i) => i.id === r.instanceId);
        const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        const ready =
          r.readyAtMs === null
            ? "never ready"
            : `ready ${s(r.readyAtMs - r.createdAtMs)} after renting`;
        const end =
          r.endedAtMs === null
            ? `still ${r.state}`
            : `${r.state} ${s(r.endedAtMs - r.createdAtMs)} after renting`;
        const billed = inst
          ? `, billed ${dollars(d.spendCents(inst.id))} from active to delete`
          : "";
        return `  ${r.name}: ${r.instanceType} on ${r.cloud}/${r.region} at ${dollars(r.hourlyPriceCents)}/h; ${ready}, ${end}${billed}`;
      });
      const left = instances.filter((i) => i.status !== "deleting" && i.status !== "deleted");
      lines.push(`  Instances left running on the double: ${left.length}.`);
      return lines;
    },
    async close() {
      await d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
