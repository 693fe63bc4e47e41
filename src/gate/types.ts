// Types of the greedy correctness gate (DESIGN §2.4). Everything a verdict holds is plain JSON: it
// goes into the EvalReport as it is.

export interface GateTopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}

export interface GateToken {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top: GateTopLogprob[];
}

/** One server's answer to one request. tokens === null: the response carried no logprobs. */
export interface GateOutput {
  text: string;
  tokens: GateToken[] | null;
  finishReason: string | null;
}

export interface GateRequest {
  /** Request key, e.g. "gate:12" or "throughput.2:57". */
  id: string;
  /** The request's max_tokens. */
  maxTokens: number;
  /** ignore_eos + min_tokens = max_tokens were set: both sides must give exactly maxTokens. */
  fixedLength: boolean;
  /** The baseline's answer. */
  reference: GateOutput;
  /** The candidate's answer, or why its request failed. */
  candidate: GateOutput | { failure: string };
  /** The model's end-of-sequence tokens as top_logprobs name them (a candidate that stops where
   *  one of them is a reference near-tie made a tolerated choice). Default DEFAULT_EOS_TOKENS. */
  eosTokens?: readonly string[];
}

export interface GateThresholds {
  /** A divergence is tolerated only if the candidate's token is in the reference's top_logprobs
   *  at that position with (reference top-1 logprob − that token's reference logprob) ≤ tieGap. */
  tieGap: number;
  /** Largest allowed logprob error on any one matched token. */
  maxTokenLogprobError: number;
  /** Largest allowed mean logprob error over all matched tokens of the gate. */
  maxMeanLogprobError: number;
  /** Matched tokens / reference tokens, over all requests, must be at least this. */
  minMatchedFraction: number;
}

export type GateStatus = "match" | "tolerated" | "fail";

export const GATE_FAIL_REASONS = [
  "request_failed",
  "reference_invalid",
  "missing_logprobs",
  "text_mismatch",
  "extra_tokens",
  "too_few_tokens",
  "divergence",
  "logprob_error",
] as const;
/** Why a request failed. `reference_invalid` is the baseline's fault, not the candidate's. */
export type GateFailReason = (typeof GATE_FAIL_REASONS)[number];

/** A token as a verdict shows it. */
export interface ShownToken {
  token: string;
  logprob: number;
}

/** The first place where the candidate's tokens leave the reference's. */
export interface Divergence {
  /** Token index (0-based) in the output. */
  position: number;
  /** The reference's token there; null: the reference had stopped. */
  reference: ShownToken | null;
  /** The candidate's token there; null: the candidate ended its answer there (end of sequence). */
  candidate: ShownToken | null;
  /** The reference's top_logprobs at this position (empty where the reference had stopped). */
  referenceTop: ShownToken[];
  /** Reference top-1 logprob − the candidate token's reference logprob (for an end of sequence:
   *  the best end-of-sequence token's); null when the reference's top list does not have it. */
  gap: number | null;
  /** The tie gap it was judged against. */
  tieGap: number;
  /** The text of up to CONTEXT_TOKENS reference tokens before the position. */
  context: string;
}

/** Where a request's largest logprob error is, and on which token. */
export interface LogprobErrorDetail {
  position: number;
  /** The token whose logprob differs most: the chosen token or one of the top list. */
  token: string;
  /** chosen: the generated token's own logprob; top: an entry of both top lists; missing_in_candidate
   *  / missing_in_reference: an entry of one top list only, bounded by the other list's last logprob. */
  kind: "chosen" | "top" | "missing_in_candidate" | "missing_in_reference";
  /** The reference's logprob (for missing_in_reference: the reference list's lowest logprob). */
  referenceLogprob: number;
  /** The candidate's logprob (for missing_in_candidate: the candidate list's lowest logprob). */
  candidateLogprob: number;
  error: number;
}

export interface RequestVerdict {
  id: string;
  status: GateStatus;
  /** Set when status is "fail". */
  reason?: GateFailReason;
  /** One line on why the request failed. */
  message?: string;
  /** Token index a failure points at, where it has one. */
  failedAt?: number;
  referenceTokens: number;
  /** Positions where both sides had a token and were compared (a divergence's included). */
  comparedTokens: number;
  /** Identical tokens before any divergence. */
  matchedTokens: number;
  /** Position of a tolerated divergence; the rest of the request was not compared. */
  toleratedAt?: number;
  /** The first divergence, tolerated or not. */
  divergence?: Divergence;
  /** Largest logprob error over matched tokens (0 when none matched). */
  maxLogprobError: number;
  /** Sum of the per-token logprob errors over matched tokens. */
  sumLogprobError: number;
  /** Where maxLogprobError was observed. */
  worstLogprobError?: LogprobErrorDetail;
}

export interface GateCounts {
  requests: number;
  matched: number;
  tolerated: number;
  failed: number;
  referenceTokens: number;
  comparedTokens: number;
  matchedTokens: number;
}

export interface GateResult {
  passed: boolean;
  /** Why the gate failed, one line each; empty when it passed. */
  reasons: string[];
  counts: GateCounts;
  /** Failed requests by reason (only reasons that occurred). */
  failures: Partial<Record<GateFailReason, number>>;
  /** counts.matchedTokens / counts.referenceTokens (1 when there are no reference tokens). */
  matchedFraction: number;
  /** Requests with a tolerated divergence. */
  toleratedDivergences: number;
  maxLogprobError: number;
  /** Where maxLogprobError was observed, e.g. "gate:4 token 9"; null when nothing matched. */
  maxLogprobErrorAt: string | null;
  meanLogprobError: number;
  /** Largest gap of a tolerated divergence; null when none. */
  largestToleratedGap: number | null;
  /** Smallest gap of a rejected divergence whose token was in the reference's top list. */
  smallestRejectedGap: number | null;
  verdicts: RequestVerdict[];
}

/** One gate metric against its threshold. headroom > 0: how far the metric may move before the
 *  outcome changes; < 0: by how much it is violated; null: nothing was observed. */
export interface GateMargin {
  threshold: number;
  observed: number | null;
  headroom: number | null;
  /** Where the observed value comes from, e.g. "gate:4 token 9". */
  at?: string;
}

export interface GateMargins {
  /** Largest token logprob error vs maxTokenLogprobError. */
  tokenLogprobError: GateMargin;
  /** Mean logprob error vs maxMeanLogprobError. */
  meanLogprobError: GateMargin;
  /** Matched fraction vs minMatchedFraction. */
  matchedFraction: GateMargin;
  /** Largest gap a tolerated divergence used vs tieGap. */
  toleratedTieGap: GateMargin;
  /** Smallest gap of a rejected near-miss divergence vs tieGap (headroom: how much larger tieGap
   *  would have to be to tolerate it). */
  rejectedTieGap: GateMargin;
}
