// How one request becomes its record (DESIGN §2.3): times relative to the run start, TTFT from the
// last byte sent to the first token, inter-token latencies, and the output tokens counted and
// validated against the validator's vocabulary (off the hot path, after the phase).
import type { Vocabulary } from "../contract/tokenizer.js";
import type { StreamResult } from "./client.js";
import type { Attempt } from "./load.js";
import type { RequestRecord } from "./report.js";
import { round3 } from "./stats.js";
import { countOutputTokens, type TokenTolerance } from "./tokens.js";

/** Milliseconds from one hrtime ns to another, as reports store them. */
export const msBetween = (a: bigint, b: bigint) => round3(Number(b - a) / 1e6);

/** Inter-token latencies after the first token (see RequestRecord.itlMs). */
export function interTokenLatencies(r: StreamResult): number[] {
  const out: number[] = [];
  if (r.firstTokenNs === null) return out;
  const first = Number(r.firstTokenNs - r.startNs);
  const { offsetNs, tokens, chars } = r.arrivals;
  let prev: number | null = null;
  for (let i = 0; i < offsetNs.length; i++) {
    const ns = offsetNs[i] as number;
    if (ns < first) continue;
    if (prev === null) {
      prev = ns;
      continue;
    }
    const k = Math.max(tokens[i] as number, (chars[i] as number) > 0 ? 1 : 0);
    if (k === 0) continue;
    const gap = (ns - prev) / 1e6 / k;
    for (let j = 0; j < k; j++) out.push(round3(gap));
    prev = ns;
  }
  return out;
}

/** Turns one attempt into its record, counting and validating its output tokens. */
export function toRecord(
  attempt: Attempt,
  phase: string,
  trial: number,
  runStartNs: bigint,
  vocab: Vocabulary | null,
  tolerance: TokenTolerance,
): RequestRecord {
  const rel = (ns: bigint | null) => (ns === null ? null : Number(ns - runStartNs));
  const r = attempt.result;
  if (r === null) {
    return {
      phase,
      trial,
      index: attempt.index,
      promptId: attempt.promptId,
      status: "failed",
      failure: { kind: "not_sent", message: "not sent: the phase ended first" },
      httpStatus: null,
      scheduledNs: attempt.scheduledNs === 0n ? null : rel(attempt.scheduledNs),
      startNs: null,
      sentNs: null,
      headersNs: null,
      firstTokenNs: null,
      endNs: null,
      ttftMs: null,
      e2eMs: null,
      itlMs: [],
      outputTokens: null,
      tokenizerTokens: null,
      usageCompletionTokens: null,
      finishReason: null,
      completionId: null,
      outputChars: 0,
      bytes: 0,
    };
  }
  let failure: RequestRecord["failure"] = r.failure
    ? { kind: r.failure.kind, message: r.failure.message }
    : null;
  let outputTokens: number | null = null;
  let tokenizerTokens: number | null = null;
  if (r.ok && vocab) {
    const c = countOutputTokens(r.text, r.logprobs, vocab, tolerance);
    tokenizerTokens = c.tokenizerCount;
    if (c.valid) outputTokens = c.count;
    else failure = { kind: "token_count", message: c.reason ?? "token count is not valid" };
  }
  return {
    phase,
    trial,
    index: attempt.index,
    promptId: attempt.promptId,
    status: failure ? "failed" : "ok",
    failure,
    httpStatus: r.status,
    scheduledNs: rel(attempt.scheduledNs),
    startNs: rel(r.startNs),
    sentNs: rel(r.sentNs),
    headersNs: rel(r.headersNs),
    firstTokenNs: rel(r.firstTokenNs),
    endNs: rel(r.endNs),
    ttftMs:
      r.sentNs !== null && r.firstTokenNs !== null ? msBetween(r.sentNs, r.firstTokenNs) : null,
    e2eMs: msBetween(r.sentNs ?? r.startNs, r.endNs),
    itlMs: interTokenLatencies(r),
    outputTokens,
    tokenizerTokens,
    usageCompletionTokens: r.usage?.completion_tokens ?? null,
    finishReason: r.finishReason,
    completionId: r.completionId,
    outputChars: r.text.length,
    bytes: r.bytes,
  };
}
