// What the validator does, as typed events: the CLI logs them (pino), the demo tells them as a
// story, metrics count them, tests assert on them.
import type { Job, ScanResult, Settlement, WeightSet } from "../store/store.js";

export type ValidatorEvent =
  | ({ type: "scan"; head: number } & ScanResult)
  | { type: "job-created"; job: Job }
  | { type: "job-submitted"; job: Job; pod: string; podJob: string }
  | { type: "job-released"; job: Job; reason: string; final: boolean }
  | { type: "job-settled"; job: Job; settlement: Settlement }
  | { type: "weights"; set: WeightSet }
  /** A slot's timelocked commit settled: `set.commit.status` is revealed, expired or dropped. */
  | { type: "weights-reveal"; set: WeightSet }
  | { type: "pod-broken"; pod: string; reason: string }
  /**
   * A rented pod moved on, or renting did not happen (rented-pods.ts). `name`: the rental, null when
   * none was made; `result`: for metrics, how a rent attempt ended (created, no_capacity, uncertain…).
   */
  | {
      type: "rental";
      step: RentalStep;
      name: string | null;
      message: string;
      result?: string;
    }
  | { type: "error"; where: string; message: string };

/**
 * `held`: not renting although jobs wait (spend cap, no capacity); `error`: a provider call failed
 * (tried again on the next tick); `stray`: an instance with our tag and no live rental, deleted.
 */
export type RentalStep =
  | "intent"
  | "created"
  | "booting"
  | "ready"
  | "adopted"
  | "releasing"
  | "deleted"
  | "failed"
  | "held"
  | "error"
  | "stray";
