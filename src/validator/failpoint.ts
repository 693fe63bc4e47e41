// Crash points for the validator's kill tests: `CACHEON_FAILPOINT=<name>` makes the process kill
// itself with SIGKILL the first time it reaches that point, exactly as a power cut or OOM kill
// would at that instant. Unset (always, outside those tests) it costs one env lookup.
export const FAILPOINT_ENV = "CACHEON_FAILPOINT";

export const FAILPOINTS = [
  /** Submissions of a scan committed to the store. */
  "after-scan",
  /** A job created (challengers out of the queue), nothing sent to a pod yet. */
  "after-job-created",
  /** The job accepted by the pod, its id not yet in the store. */
  "after-pod-submit",
  /** The report fetched and stored as an artifact, not yet settled. */
  "after-report",
  /** A weight set recorded as started, nothing sent to the chain yet. */
  "before-weights-submit",
  /** The weights included on chain, not yet recorded as set. */
  "after-weights-submit",
] as const;

/** A renting validator's own steps (rented-pods.ts), killed by the rental kill tests. */
export const RENTAL_FAILPOINTS = [
  /** A rental's intent committed to the store, the provider's create not called yet. */
  "after-rental-intent",
  /** The provider's create answered with an id, not yet in the store. */
  "after-rental-create",
  /** The instance seen booting and recorded so, its pod not answering yet. */
  "rental-booting",
  /** The provider's delete answered, the rental not yet recorded as deleted. */
  "after-rental-delete",
] as const;
export type Failpoint = (typeof FAILPOINTS)[number] | (typeof RENTAL_FAILPOINTS)[number];

export function failpoint(name: Failpoint): void {
  if (process.env[FAILPOINT_ENV] === name) process.kill(process.pid, "SIGKILL");
}
