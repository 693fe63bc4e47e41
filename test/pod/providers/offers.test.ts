import { describe, expect, it } from "vitest";
import { HardwareSchema } from "../../../src/arena/config.js";
import { chooseOffer, meetsHardware } from "../../../src/pod/providers/offers.js";
import type { InstanceOffer } from "../../../src/pod/providers/types.js";

const V1 = HardwareSchema.parse({});
const offer = (o: Partial<InstanceOffer>): InstanceOffer => ({
  type: "4xH200",
  cloud: "a",
  region: "r1",
  gpus: 4,
  gpuModel: "H200",
  interconnect: "sxm",
  deployment: "vm",
  hourlyPriceCents: 1600,
  available: true,
  ...o,
});

describe("choosing an instance type", () => {
  it("takes the V1 arena's 4x H200 SXM on a VM or bare metal only", () => {
    expect(meetsHardware(offer({}), V1)).toBe(true);
    expect(meetsHardware(offer({ deployment: "baremetal", interconnect: "SXM5" }), V1)).toBe(true);
    expect(meetsHardware(offer({ interconnect: "NVLink" }), V1)).toBe(true);
    expect(meetsHardware(offer({ gpuModel: "h-200" }), V1)).toBe(true);
    expect(meetsHardware(offer({ deployment: "container" }), V1)).toBe(false);
    expect(meetsHardware(offer({ interconnect: "pcie" }), V1)).toBe(false);
    expect(meetsHardware(offer({ interconnect: "" }), V1)).toBe(false);
    expect(meetsHardware(offer({ gpus: 8 }), V1)).toBe(false);
    expect(meetsHardware(offer({ gpuModel: "H100" }), V1)).toBe(false);
  });

  it("accepts the arena's listed equivalents and any link when the arena says so", () => {
    const hw = HardwareSchema.parse({ equivalents: ["B200"], interconnect: "any" });
    expect(meetsHardware(offer({ gpuModel: "B200" }), hw)).toBe(true);
    expect(meetsHardware(offer({ interconnect: "pcie" }), hw)).toBe(true);
  });

  it("picks the cheapest available fit; ties by boot time, then cloud and region", () => {
    const offers = [
      offer({ cloud: "cheap-container", hourlyPriceCents: 900, deployment: "container" }),
      offer({ cloud: "cheap-gone", hourlyPriceCents: 1000, available: false }),
      offer({ cloud: "z", hourlyPriceCents: 1500, maxBootSeconds: 600 }),
      offer({ cloud: "y", hourlyPriceCents: 1500, maxBootSeconds: 300 }),
      offer({ cloud: "x", hourlyPriceCents: 1500, maxBootSeconds: 300, region: "r2" }),
      offer({ cloud: "dear", hourlyPriceCents: 2500 }),
    ];
    expect(chooseOffer(offers, V1)).toEqual({ offer: offers[4] });
  });

  it("says why there is nothing to rent", () => {
    expect(chooseOffer([offer({ gpus: 8 })], V1)).toEqual({
      offer: null,
      reason: "no instance type listed is 4x H200 SXM on a VM or bare metal",
    });
    expect(
      chooseOffer(
        [
          offer({ available: false, hourlyPriceCents: 1700 }),
          offer({ available: false, region: "r2" }),
        ],
        V1,
      ),
    ).toEqual({
      offer: null,
      reason:
        "no capacity: 2 listed 4x H200 SXM on a VM or bare metal (from $16.00/h), none available now",
    });
  });
});
