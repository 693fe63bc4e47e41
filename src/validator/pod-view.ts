// What an operator sees of the rented pods (`cacheon pods ls`, /metrics, the dashboard): state,
// provider, instance type, price, today's spend and idle time. Never the address, the token or
// the certificate, nor the reason a rental is in its state (a pod's failure may name its address):
// a view is built from named fields only, so a new secret column stays out.
import { dayStartMs, spentCents } from "../pod/providers/policy.js";
import type { RentalState, RentalSummary } from "../store/store.js";

export interface PodView {
  name: string;
  state: RentalState;
  provider: string;
  instanceType: string;
  cloud: string;
  region: string;
  hourlyPriceCents: number;
  /** Spent on it since midnight UTC, in cents (fractional). */
  spentTodayCents: number;
  /** How long a ready pod has been without a job; null while busy or not ready. */
  idleMs: number | null;
  releaseRequested: boolean;
  createdAtMs: number;
}

const asSpend = (r: RentalSummary) => ({
  hourlyPriceCents: r.hourlyPriceCents,
  rentedAtMs: r.createdAtMs,
  endedAtMs: r.endedAtMs,
});

/** Reads the rentals of a day: the store, or its read-only view. */
export interface RentalReader {
  rentalSummariesSince(fromMs: number): RentalSummary[];
}

/** Spent today (UTC) on rented pods, live ones up to `nowMs`: what the daily cap counts. */
export function spentTodayCents(store: RentalReader, nowMs: number): number {
  const from = dayStartMs(nowMs);
  return spentCents(store.rentalSummariesSince(from).map(asSpend), from, nowMs);
}

export function podView(r: RentalSummary, nowMs: number): PodView {
  return {
    name: r.name,
    state: r.state,
    provider: r.provider,
    instanceType: r.instanceType,
    cloud: r.cloud,
    region: r.region,
    hourlyPriceCents: r.hourlyPriceCents,
    spentTodayCents: spentCents([asSpend(r)], dayStartMs(nowMs), nowMs),
    idleMs: r.state === "ready" && r.idleSinceMs !== null ? nowMs - r.idleSinceMs : null,
    releaseRequested: r.releaseRequested,
    createdAtMs: r.createdAtMs,
  };
}

/** Every rental live now or ended today, as views, oldest first. */
export function podViews(store: RentalReader, nowMs: number): PodView[] {
  return store.rentalSummariesSince(dayStartMs(nowMs)).map((r) => podView(r, nowMs));
}
