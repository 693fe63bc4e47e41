// The weights setup as `pod serve --weights` runs it: in the background while the pod already
// answers /health (a fresh machine downloads for many minutes, and the validator wants to see why it
// waits), logging as it goes, keeping the record in the state directory, and leaving the tracker
// ready or failed with the reason. A failed setup is final for this process: the pod refuses every
// job with that reason until it is restarted (and the validator gives the machine back).
import { join } from "node:path";
import type { WeightsPin } from "../../arena/config.js";
import { writeFileAtomic } from "../../contract/atomic-write.js";
import { weightsLogger, weightsSummary } from "./log.js";
import { type PrepareWeightsOptions, prepareWeights, type WeightsRecord } from "./prepare.js";
import { WeightsTracker } from "./status.js";

/** Where a pod keeps the record of its last good weights setup, in its state directory. */
export const WEIGHTS_RECORD_FILE = "weights.json";

/** The hub token for a gated repository, from `$HF_TOKEN` (the hub's own client reads it too). */
export function hubHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env.HF_TOKEN?.trim();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export interface WeightsSetup {
  tracker: WeightsTracker;
  /** The record once ready; null when it failed or was stopped. */
  done: Promise<WeightsRecord | null>;
  /** Stops a setup still running (a partial download stays, to be resumed) and waits for it. */
  stop(): Promise<void>;
}

export function startWeightsSetup(
  o: Omit<PrepareWeightsOptions, "onEvent" | "signal"> & {
    pin: WeightsPin;
    stateDir: string;
    log: (line: string) => void;
  },
): WeightsSetup {
  const tracker = new WeightsTracker(o.pin);
  const controller = new AbortController();
  const logEvent = weightsLogger(o.log);
  const { stateDir, log, ...prepare } = o;
  log(
    `weights: ${o.pin.repo}@${o.pin.revision} into ${o.dir}${o.hub ? `, missing files from ${o.hub}` : ", no downloads"}; no job runs until they are verified`,
  );
  const done = prepareWeights({
    ...prepare,
    signal: controller.signal,
    onEvent: (e) => {
      tracker.onEvent(e);
      logEvent(e);
    },
  }).then(
    (record) => {
      tracker.ready(record.confirmed);
      try {
        writeFileAtomic(
          join(stateDir, WEIGHTS_RECORD_FILE),
          `${JSON.stringify(record, null, 2)}\n`,
        );
      } catch (err) {
        log(`weights: cannot keep the record: ${(err as Error).message}`);
      }
      log(weightsSummary(record));
      return record;
    },
    (err: unknown) => {
      const reason = controller.signal.aborted
        ? "stopped before the weights were ready"
        : ((err as Error).message ?? String(err));
      tracker.failed(reason);
      log(`weights refused: ${reason}`);
      return null;
    },
  );
  return {
    tracker,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
