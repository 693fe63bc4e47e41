// Phases built in code rather than read from a workload file: the closed loops of free-length
// requests that the warmup and the eval's gate pass run as, and the caps that an honest server's
// responses to a workload's phases fit in.
import {
  DEFAULT_RESPONSE_LIMITS,
  honestResponseBytes,
  type ResponseLimits,
} from "../contract/limits.js";
import type { Phase, Warmup, Workload } from "./workload.js";

/** A closed loop of free-length requests (the warmup, the gate pass) as a phase. */
export function closedLoopPhase(
  name: string,
  c: {
    requests: number;
    concurrency: number;
    maxTokens: number;
    topLogprobs: number;
    requestDeadlineMs: number;
    timeLimitMs: number;
  },
): Phase {
  return {
    name,
    scheduling: { kind: "concurrency", streams: c.concurrency },
    requests: c.requests,
    prompts: { source: "builtin" },
    maxTokens: c.maxTokens,
    fixedLength: false,
    topLogprobs: c.topLogprobs,
    requestDeadlineMs: c.requestDeadlineMs,
    headersTimeoutMs: c.requestDeadlineMs,
    idleTimeoutMs: c.requestDeadlineMs,
    timeLimitMs: c.timeLimitMs,
  };
}

/** The warmup's top_logprobs: the default, as the workload file does not set it. */
const WARMUP_TOP_LOGPROBS = 5;

/** The warmup as a phase: short requests with the default top_logprobs. */
export const warmupPhase = (w: Warmup): Phase =>
  closedLoopPhase("warmup", { ...w, topLogprobs: WARMUP_TOP_LOGPROBS });

/**
 * The default caps, with the response cap raised where a phase of this workload (a bench workload
 * file may ask for up to 32k tokens at top_logprobs 20) could need more from an honest server.
 */
export function workloadLimits(w: Workload): ResponseLimits {
  let need = 0;
  for (const p of w.phases) need = Math.max(need, honestResponseBytes(p.maxTokens, p.topLogprobs));
  need = Math.max(need, honestResponseBytes(w.warmup.maxTokens, WARMUP_TOP_LOGPROBS));
  const d = DEFAULT_RESPONSE_LIMITS;
  return need <= d.maxResponseBytes ? d : { ...d, maxResponseBytes: need };
}
