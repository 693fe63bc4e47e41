// Which listed instance type to rent: the cheapest available one that meets the arena's hardware
// (its GPU model or a listed equivalent, the same count, SXM/NVLink unless the arena accepts any
// link, and a VM or bare metal, since the pod runs the miners' containers under Docker).
import { dollars, type HardwareWanted, type InstanceOffer } from "./types.js";

const norm = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "");

/** Whether the offer's machine is one the arena accepts, availability and price aside. */
export function meetsHardware(o: InstanceOffer, hw: HardwareWanted): boolean {
  const models = [hw.gpuModel, ...hw.equivalents].map(norm);
  return (
    o.gpus === hw.gpus &&
    models.includes(norm(o.gpuModel)) &&
    (hw.interconnect === "any" || /SXM|NVLINK/.test(norm(o.interconnect))) &&
    o.deployment !== "container"
  );
}

export function describeHardware(hw: HardwareWanted): string {
  const models = [hw.gpuModel, ...hw.equivalents].join(" or ");
  return `${hw.gpus}x ${models}${hw.interconnect === "sxm" ? " SXM" : ""} on a VM or bare metal`;
}

export type OfferChoice = { offer: InstanceOffer } | { offer: null; reason: string };

/**
 * The cheapest available offer that meets the hardware; ties go to the shorter boot estimate, then
 * to the cloud and region names, so the choice is the same for the same listing.
 */
export function chooseOffer(offers: readonly InstanceOffer[], hw: HardwareWanted): OfferChoice {
  const fit = offers.filter((o) => meetsHardware(o, hw));
  const available = fit.filter((o) => o.available);
  const [best] = available.sort(
    (a, b) =>
      a.hourlyPriceCents - b.hourlyPriceCents ||
      (a.maxBootSeconds ?? Number.MAX_SAFE_INTEGER) -
        (b.maxBootSeconds ?? Number.MAX_SAFE_INTEGER) ||
      `${a.cloud}/${a.region}`.localeCompare(`${b.cloud}/${b.region}`),
  );
  if (best) return { offer: best };
  const want = describeHardware(hw);
  if (fit.length === 0) return { offer: null, reason: `no instance type listed is ${want}` };
  const cheapest = Math.min(...fit.map((o) => o.hourlyPriceCents));
  return {
    offer: null,
    reason: `no capacity: ${fit.length} listed ${want} (from ${dollars(cheapest)}/h), none available now`,
  };
}
