// Load scheduling for one phase: closed-loop fixed concurrency or open-loop Poisson arrivals
// (seeded), under a hard time limit. The loop is bounded in count (the request list) and in time:
// at the limit, requests in flight are aborted (failure kind `time_limit`) and requests not yet
// sent are not sent (recorded with a null result). Requests go through streamChat, which never
// throws and ends every request within its own deadline.
import { setMaxListeners } from "node:events";
import type { Dispatcher } from "undici";
import type { ResponseLimits } from "../contract/limits.js";
import type { ChatCompletionRequest } from "../contract/schemas.js";
import { type Failure, type StreamResult, streamChat } from "./client.js";
import { mulberry32 } from "./stats.js";
import type { Scheduling } from "./workload.js";

export interface PlannedRequest {
  index: number;
  promptId: string;
  body: ChatCompletionRequest;
}

export interface Attempt {
  index: number;
  promptId: string;
  /** hrtime ns at which the scheduler meant to start it (Poisson: its arrival time). */
  scheduledNs: bigint;
  /** null: never sent, because the phase hit its time limit or was cancelled first. */
  result: StreamResult | null;
}

export interface PhaseLoadOptions {
  dispatcher: Dispatcher;
  origin: string;
  scheduling: Scheduling;
  requests: readonly PlannedRequest[];
  /** Hard limit for one request. */
  deadlineMs: number;
  /** Limit on silence between two reads of one stream. */
  idleTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Hard limit for the whole phase. */
  timeLimitMs: number;
  /** Seeds the Poisson arrival times. */
  seed?: number;
  /** Read bodies without parsing (benchmark baseline only). */
  raw?: boolean;
  /** Caps on each response (default: DEFAULT_RESPONSE_LIMITS). */
  limits?: ResponseLimits;
  /** Cancels the phase (e.g. Ctrl-C): in-flight requests end as `aborted`. */
  signal?: AbortSignal;
  /** Called as each request ends, with the running totals. */
  onResult?: (attempt: Attempt, done: number, failed: number) => void;
}

export interface PhaseLoadResult {
  /** hrtime ns when the phase started (before its first request was dispatched). */
  startNs: bigint;
  /** hrtime ns when its last request ended (or it was cut off). */
  endNs: bigint;
  hitTimeLimit: boolean;
  cancelled: boolean;
  /** One per planned request, in plan order. */
  attempts: Attempt[];
}

/** Exponential inter-arrival gaps (ms) of a Poisson process; cumulative offsets from phase start. */
export function poissonOffsetsMs(count: number, ratePerSec: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += (-Math.log(1 - rand()) / ratePerSec) * 1000;
    out.push(t);
  }
  return out;
}

export async function runPhaseLoad(opts: PhaseLoadOptions): Promise<PhaseLoadResult> {
  const n = opts.requests.length;
  const attempts: Attempt[] = opts.requests.map((r) => ({
    index: r.index,
    promptId: r.promptId,
    scheduledNs: 0n,
    result: null,
  }));
  // One signal for every request of the phase, aborted at the time limit or on cancellation.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  let hitTimeLimit = false;
  let cancelled = false;
  const limitTimer = setTimeout(() => {
    hitTimeLimit = true;
    const reason: Failure = {
      kind: "time_limit",
      message: `phase time limit of ${opts.timeLimitMs} ms reached`,
    };
    stop.abort(reason);
  }, opts.timeLimitMs);
  const onCancel = () => {
    cancelled = true;
    stop.abort({ kind: "aborted", message: "run cancelled" } satisfies Failure);
  };
  if (opts.signal?.aborted) onCancel();
  opts.signal?.addEventListener("abort", onCancel, { once: true });

  let done = 0;
  let failed = 0;
  const send = async (i: number, scheduledNs: bigint): Promise<void> => {
    const plan = opts.requests[i] as PlannedRequest;
    const attempt = attempts[i] as Attempt;
    attempt.scheduledNs = scheduledNs;
    const result = await streamChat({
      dispatcher: opts.dispatcher,
      origin: opts.origin,
      body: plan.body,
      deadlineMs: opts.deadlineMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      headersTimeoutMs: opts.headersTimeoutMs,
      signal: stop.signal,
      raw: opts.raw,
      limits: opts.limits,
    });
    attempt.result = result;
    done++;
    if (!result.ok) failed++;
    opts.onResult?.(attempt, done, failed);
  };

  const startNs = process.hrtime.bigint();
  if (opts.scheduling.kind === "concurrency") {
    let next = 0;
    const worker = async () => {
      while (next < n && !stop.signal.aborted) {
        const i = next++;
        await send(i, process.hrtime.bigint());
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.scheduling.streams, n) }, worker));
  } else {
    const offsets = poissonOffsetsMs(n, opts.scheduling.ratePerSec, opts.seed ?? 0);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < n && !stop.signal.aborted; i++) {
      const due = startNs + BigInt(Math.round((offsets[i] as number) * 1e6));
      const waitMs = Number(due - process.hrtime.bigint()) / 1e6;
      if (waitMs > 0) await sleep(waitMs, stop.signal);
      if (stop.signal.aborted) break;
      inFlight.push(send(i, due));
    }
    await Promise.all(inFlight);
  }
  const endNs = process.hrtime.bigint();
  clearTimeout(limitTimer);
  opts.signal?.removeEventListener("abort", onCancel);
  return { startNs, endNs, hitTimeLimit, cancelled, attempts };
}

/** Resolves after `ms`, or early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
