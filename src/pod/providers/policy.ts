// When to rent a pod and when to give one back (DESIGN §2.6), as a pure function of the moment: rent
// only while jobs wait and no pod is free or coming, at most `maxPods`, never past the day's spend
// cap; give back a pod idle for `idleMs` (at once when the cap is reached) and one stuck booting.
// Spend is the provider's hourly price times the time rented, counted per UTC day.
import { dollars } from "./types.js";

export interface PolicyConfig {
  maxPods: number;
  /** How long a pod may sit idle with nothing waiting before it is given back. */
  idleMs: number;
  /** Spend per UTC day past which no pod is rented, in US cents. */
  dailySpendCapCents: number;
  /** A pod still not answering this long after it was rented is given back. */
  bootTimeoutMs: number;
}

/**
 * A pod the validator holds. `booting`: rented (or being rented), not answering yet; `idle`: up, no
 * job; `busy`: running a job. `sinceMs`: when it entered that state (for `booting`, when rented).
 */
export interface PolicyPod {
  name: string;
  state: "booting" | "idle" | "busy";
  sinceMs: number;
}

export interface PolicyInput {
  nowMs: number;
  /** Jobs waiting for a pod. */
  waiting: number;
  pods: readonly PolicyPod[];
  /** Spent today so far, live pods included (`spentCents`). */
  spentTodayCents: number;
  config: PolicyConfig;
}

export type PolicyDecision =
  | { action: "rent"; reason: string }
  | { action: "release"; names: string[]; reason: string }
  | { action: "nothing"; reason: string };

const duration = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
const jobsWait = (n: number) => `${plural(n, "job")} wait${n === 1 ? "s" : ""}`;

export function decide(input: PolicyInput): PolicyDecision {
  const { nowMs, waiting, pods, spentTodayCents, config: c } = input;
  const capReached = spentTodayCents >= c.dailySpendCapCents;
  const spend = `daily spend cap ${dollars(c.dailySpendCapCents)} reached (${dollars(spentTodayCents)} spent today)`;

  const stuck = pods.filter((p) => p.state === "booting" && nowMs - p.sinceMs >= c.bootTimeoutMs);
  if (stuck.length > 0)
    return {
      action: "release",
      names: stuck.map((p) => p.name),
      reason: `${stuck.map((p) => p.name).join(", ")} not up ${duration(c.bootTimeoutMs)} after renting: giving back`,
    };

  const idle = pods.filter((p) => p.state === "idle");
  if (waiting === 0) {
    // Past the cap no job will need a new pod, so an idle one only costs money.
    const due = capReached ? idle : idle.filter((p) => nowMs - p.sinceMs >= c.idleMs);
    const names = due.map((p) => p.name).join(", ");
    if (due.length > 0)
      return {
        action: "release",
        names: due.map((p) => p.name),
        reason: capReached
          ? `${spend}: giving back idle ${names}`
          : `${names} idle for ${duration(c.idleMs)} or more: giving back`,
      };
    return {
      action: "nothing",
      reason: idle.length === 0 ? "no jobs wait" : "no jobs wait; no pod idle long enough",
    };
  }

  const coming = pods.filter((p) => p.state === "booting").length;
  const free = idle.length + coming;
  if (waiting <= free)
    return {
      action: "nothing",
      reason: `${jobsWait(waiting)}; ${plural(idle.length, "pod")} idle and ${coming} booting will take ${waiting === 1 ? "it" : "them"}`,
    };
  if (capReached) return { action: "nothing", reason: `${spend}: not renting` };
  if (pods.length >= c.maxPods)
    return {
      action: "nothing",
      reason: `${jobsWait(waiting)} but maxPods ${c.maxPods} is reached (${plural(pods.length, "pod")} rented): not renting`,
    };
  return {
    action: "rent",
    reason: `${jobsWait(waiting)} and no pod is free: renting one (${pods.length + 1} of at most ${c.maxPods})`,
  };
}

/** What a rental costs between two instants: the provider's hourly price times the time. */
export interface Rental {
  hourlyPriceCents: number;
  rentedAtMs: number;
  /** When it was given back; null while it runs. */
  endedAtMs: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Midnight UTC of the day `nowMs` is in. */
export function dayStartMs(nowMs: number): number {
  return nowMs - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Spent on these rentals between `fromMs` and `toMs` (fractional cents). */
export function spentCents(rentals: readonly Rental[], fromMs: number, toMs: number): number {
  let cents = 0;
  for (const r of rentals) {
    const start = Math.max(r.rentedAtMs, fromMs);
    const end = Math.min(r.endedAtMs ?? toMs, toMs);
    if (end > start) cents += (r.hourlyPriceCents * (end - start)) / HOUR_MS;
  }
  return cents;
}

/** Spent today (UTC) so far, live rentals included: the policy's `spentTodayCents`. */
export function spentTodayCents(rentals: readonly Rental[], nowMs: number): number {
  return spentCents(rentals, dayStartMs(nowMs), nowMs);
}

/**
 * The provider's own auto-delete for a new rental, the backstop for a validator that died: at most
 * `maxRentalMs` of time, and no more spend than that time costs nor than is left under today's cap
 * (at least one hour's price, so a pod rented near the cap can still finish a job).
 */
export function autoDeleteFor(o: {
  nowMs: number;
  hourlyPriceCents: number;
  maxRentalMs: number;
  spentTodayCents: number;
  dailySpendCapCents: number;
}): { atMs: number; spendCents: number } {
  const forTime = (o.hourlyPriceCents * o.maxRentalMs) / HOUR_MS;
  const left = Math.max(o.dailySpendCapCents - o.spentTodayCents, o.hourlyPriceCents);
  return { atMs: o.nowMs + o.maxRentalMs, spendCents: Math.ceil(Math.min(forTime, left)) };
}
