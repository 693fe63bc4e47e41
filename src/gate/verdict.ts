// The gate over all requests (DESIGN §2.4) and its distance from the thresholds (calibration).
import { num, pct } from "./format.js";
import {
  GATE_FAIL_REASONS,
  type GateFailReason,
  type GateMargin,
  type GateMargins,
  type GateResult,
  type GateThresholds,
  type RequestVerdict,
} from "./types.js";

/** How each reason reads in "N of M requests …". */
const PHRASES: Record<GateFailReason, string> = {
  request_failed: "failed",
  reference_invalid: "had an invalid reference (a baseline fault, not the candidate's)",
  missing_logprobs: "lacked logprobs",
  text_mismatch: "had logprobs entries that do not spell the text",
  extra_tokens: "gave more tokens than max_tokens",
  too_few_tokens: "stopped before the reference",
  divergence: "diverged from the reference",
  logprob_error: "had a token logprob error above the limit",
};

function firstLine(v: RequestVerdict): string {
  const at = v.failedAt !== undefined ? ` at token ${v.failedAt}` : "";
  const why = v.reason === "request_failed" || v.reason === "reference_invalid";
  return `${v.id}${at}${why && v.message ? `: ${v.message}` : ""}`;
}

export function gateVerdict(verdicts: readonly RequestVerdict[], t: GateThresholds): GateResult {
  const counts = {
    requests: verdicts.length,
    matched: 0,
    tolerated: 0,
    failed: 0,
    referenceTokens: 0,
    comparedTokens: 0,
    matchedTokens: 0,
  };
  const failures: Partial<Record<GateFailReason, number>> = {};
  const firstFailure: Partial<Record<GateFailReason, RequestVerdict>> = {};
  let sum = 0;
  let max = 0;
  let maxAt: string | null = null;
  let largestToleratedGap: number | null = null;
  let smallestRejectedGap: number | null = null;
  for (const v of verdicts) {
    counts.referenceTokens += v.referenceTokens;
    counts.comparedTokens += v.comparedTokens;
    counts.matchedTokens += v.matchedTokens;
    sum += v.sumLogprobError;
    if (v.worstLogprobError && (maxAt === null || v.maxLogprobError > max)) {
      max = v.maxLogprobError;
      maxAt = `${v.id} token ${v.worstLogprobError.position}`;
    }
    const gap = v.divergence?.gap ?? null;
    if (v.status === "match") counts.matched++;
    else if (v.status === "tolerated") {
      counts.tolerated++;
      if (gap !== null) largestToleratedGap = Math.max(largestToleratedGap ?? gap, gap);
    } else {
      counts.failed++;
      const reason = v.reason ?? "request_failed";
      failures[reason] = (failures[reason] ?? 0) + 1;
      firstFailure[reason] ??= v;
      // too_few_tokens carries a divergence only for an early end of sequence.
      if ((reason === "divergence" || reason === "too_few_tokens") && gap !== null)
        smallestRejectedGap = Math.min(smallestRejectedGap ?? gap, gap);
    }
  }
  const matchedFraction =
    counts.referenceTokens === 0 ? 1 : counts.matchedTokens / counts.referenceTokens;
  const meanLogprobError = counts.matchedTokens === 0 ? 0 : sum / counts.matchedTokens;

  const reasons: string[] = [];
  if (counts.requests === 0) reasons.push("the gate compared no requests");
  for (const reason of GATE_FAIL_REASONS) {
    const n = failures[reason];
    const first = firstFailure[reason];
    if (n === undefined || first === undefined) continue;
    reasons.push(
      `${n} of ${counts.requests} requests ${PHRASES[reason]}; first: ${firstLine(first)}`,
    );
  }
  if (!(matchedFraction >= t.minMatchedFraction))
    reasons.push(
      `matched tokens are ${pct(matchedFraction)} of reference tokens (${counts.matchedTokens} of ${counts.referenceTokens}), below the required ${pct(t.minMatchedFraction)}`,
    );
  // Requests fail on a token error above the limit themselves; this catches verdicts judged
  // against other thresholds.
  if (!(max <= t.maxTokenLogprobError) && failures.logprob_error === undefined)
    reasons.push(
      `the largest token logprob error ${num(max)} (${maxAt}) exceeds ${num(t.maxTokenLogprobError)}`,
    );
  if (!(meanLogprobError <= t.maxMeanLogprobError))
    reasons.push(
      `the mean token logprob error ${num(meanLogprobError)} exceeds ${num(t.maxMeanLogprobError)}`,
    );

  return {
    passed: reasons.length === 0,
    reasons,
    counts,
    failures,
    matchedFraction,
    toleratedDivergences: counts.tolerated,
    maxLogprobError: max,
    maxLogprobErrorAt: maxAt,
    meanLogprobError,
    largestToleratedGap,
    smallestRejectedGap,
    verdicts: [...verdicts],
  };
}

function margin(
  threshold: number,
  observed: number | null,
  headroom: (o: number) => number,
  at?: string | null,
): GateMargin {
  const m: GateMargin = {
    threshold,
    observed,
    headroom: observed === null ? null : headroom(observed),
  };
  if (at) m.at = at;
  return m;
}

export function gateMargins(result: GateResult, t: GateThresholds): GateMargins {
  const matched = result.counts.matchedTokens > 0;
  return {
    tokenLogprobError: margin(
      t.maxTokenLogprobError,
      matched ? result.maxLogprobError : null,
      (o) => t.maxTokenLogprobError - o,
      result.maxLogprobErrorAt,
    ),
    meanLogprobError: margin(
      t.maxMeanLogprobError,
      matched ? result.meanLogprobError : null,
      (o) => t.maxMeanLogprobError - o,
    ),
    matchedFraction: margin(
      t.minMatchedFraction,
      result.counts.requests > 0 ? result.matchedFraction : null,
      (o) => o - t.minMatchedFraction,
    ),
    toleratedTieGap: margin(t.tieGap, result.largestToleratedGap, (o) => t.tieGap - o),
    rejectedTieGap: margin(t.tieGap, result.smallestRejectedGap, (o) => o - t.tieGap),
  };
}
