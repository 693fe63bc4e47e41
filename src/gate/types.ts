// Types of the greedy correctness gate (DESIGN §2.4). Everything a verdict holds is plain JSON: it
// goes into the EvalReport as it is, and `judge` and `gateVerdict` recompute every verdict from it.

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

/** The miner's own logprob values (DESIGN §2.4): checked loosely, against the reference's where
 *  the prefix is shared and against the teacher's after a fork. */
export interface LogprobTolerance {
  /** A token's |Δ logprob| above this counts as off (the chosen token's value). */
  tolerance: number;
  /** Off tokens allowed, as a share of all checked tokens of a session (the tail). */
  maxOffShare: number;
  /** No token may be off by more than this: its chosen value, nor any top_logprobs entry. */
  maxError: number;
  /** Largest mean |Δ logprob| of the chosen tokens over a session. */
  maxMean: number;
}

/** The teacher's per-request rules (DESIGN §2.4), over every candidate token from the fork on. */
export interface TeacherThresholds {
  /** A token the teacher ranks below this (1 = its top-1) fails the request. */
  maxRank: number;
  /** One token at or below this teacher logprob fails the request. */
  hardFloor: number;
  /** softCount tokens at or below this teacher logprob fail the request. */
  softFloor: number;
  softCount: number;
  /** Going on where the teacher's end of sequence is more than this many times as likely as the
   *  token (logprob difference > ln eosRatio) fails, unless the request set ignore_eos. */
  eosRatio: number;
}

/** A session's teacher aggregates against the stock control's (the teacher rescoring the
 *  reference's own outputs from the same fork positions). */
export interface ControlDeltas {
  /** Candidate share of not-fine tokens ≤ the control's + this. */
  notFineShare: number;
  /** Candidate mean NLL excess (teacher top-1 − token logprob) ≤ the control's + this, in nats. */
  nllExcess: number;
  /** The aggregates are compared only once the candidate has this many teacher-scored tokens. */
  minTokens: number;
}

export interface GateThresholds {
  /** A token is fine where its logprob is within this of the top-1 (reference or teacher). */
  tieGap: number;
  logprobs: LogprobTolerance;
  teacher: TeacherThresholds;
  control: ControlDeltas;
}

/** match: equal to the reference. forked: the first differing token is tolerated so far and the
 *  rest awaits the teacher. tolerated: forked, and the teacher passed every token. fail: failed. */
export type GateStatus = "match" | "forked" | "tolerated" | "fail";

export const GATE_FAIL_REASONS = [
  "request_failed",
  "reference_invalid",
  "teacher_invalid",
  "missing_logprobs",
  "text_mismatch",
  "extra_tokens",
  "too_few_tokens",
  "divergence",
  "premature_stop",
  "teacher_rank",
  "teacher_hard_floor",
  "teacher_soft_floor",
  "eos_skip",
  "logprob_error",
] as const;
/** Why a request failed. `reference_invalid` and `teacher_invalid` are the validator's side's
 *  fault (the baseline's answer, the teacher's evidence), not the candidate's. */
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
  /** The reference's top_logprobs at this position (empty where the reference had stopped or no
   *  top list was asked for). */
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
   *  / missing_in_reference: an entry of one top list only, bounded by the other list's last logprob;
   *  teacher: a token after the fork, against the teacher's logprob (in referenceLogprob). */
  kind: "chosen" | "top" | "missing_in_candidate" | "missing_in_reference" | "teacher";
  /** The reference's logprob (for missing_in_reference: the reference list's lowest logprob). */
  referenceLogprob: number;
  /** The candidate's logprob (for missing_in_candidate: the candidate list's lowest logprob). */
  candidateLogprob: number;
  error: number;
}

/** Where a request forked from the reference: what the teacher must score, and how to judge it. */
export interface Fork {
  /** The first differing output position: the teacher scores the candidate's tokens from here. */
  position: number;
  /** Who judges the first differing token: the reference's top list did already (within the tie
   *  gap), or the teacher must (no top list at hand). */
  judgedBy: "reference" | "teacher";
  /** The candidate's output length: the teacher scores candidateTokens − position tokens. */
  candidateTokens: number;
  /** The candidate ended with finish_reason "stop": the teacher also scores the end-of-sequence
   *  token appended after its last token (the premature-stop rule). */
  stopped: boolean;
  /** The request set ignore_eos: going on past the model's end of sequence is asked for. */
  ignoreEos: boolean;
}

/** The teacher's score of one token: vLLM's prompt_logprobs at its position, in the context of
 *  the rendered prompt and the output before it. */
export interface TeacherScore {
  /** The token's id in the model's vocabulary. */
  id: number;
  /** The token as the teacher decodes it. */
  token: string;
  logprob: number;
  /** 1: the teacher's top-1. */
  rank: number;
  /** The teacher's top-1 logprob at this position. */
  top1: number;
  /** The best end-of-sequence logprob the teacher lists at this position; null: none listed. */
  eos: number | null;
}

/** A candidate token after the fork as the teacher scored it, with what the candidate claimed. */
export interface ScoredInput extends TeacherScore {
  /** The candidate's own logprob for the token (its logprobs entry). */
  claimed: number;
}

/** Every rule that can single out a token after the fork, the most severe first; "fine" and
 *  "off" (outside the tie gap: counted in the session's aggregate, not a failure by itself). */
export const TOKEN_VERDICTS = [
  "hard_floor",
  "rank",
  "eos_skip",
  "diverged",
  "logprob_error",
  "soft_floor",
  "off",
  "fine",
] as const;
export type TokenVerdict = (typeof TOKEN_VERDICTS)[number];

export interface ScoredToken extends ScoredInput {
  verdict: TokenVerdict;
}

/** What the teacher pass hands the gate for one forked request. */
export interface TeacherInput {
  /** The candidate's tokens from the fork on, in order, with the teacher's scores. */
  tokens: ScoredInput[];
  /** The end-of-sequence token appended after the candidate's last token, scored; null where the
   *  candidate did not stop (Fork.stopped false). */
  stop: TeacherScore | null;
  /** The stock control: the reference's own tokens from the same fork position on, scored. */
  control: TeacherScore[];
}

/** The teacher's evidence as the report keeps it: TeacherInput with each token's verdict. */
export interface TeacherEvidence extends TeacherInput {
  tokens: ScoredToken[];
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
  /** The first divergence, tolerated or not. */
  divergence?: Divergence;
  /** Set when the request forked (statuses forked and tolerated, and a teacher's fail). */
  fork?: Fork;
  /** The teacher's scores from the fork on, with a verdict per token. */
  teacher?: TeacherEvidence;
  /** Largest logprob error over checked tokens (0 when none): chosen tokens and top lists before
   *  the fork, claimed vs teacher logprobs after it. */
  maxLogprobError: number;
  /** Sum of the chosen tokens' |Δ logprob| over checked tokens (the matched tokens, then the
   *  teacher-scored ones). */
  sumLogprobError: number;
  /** Checked tokens whose chosen |Δ logprob| is above the tolerance. */
  offLogprobTokens: number;
  /** Where maxLogprobError was observed. */
  worstLogprobError?: LogprobErrorDetail;
}

export interface GateCounts {
  requests: number;
  matched: number;
  /** Forked requests the teacher has not judged yet. */
  forked: number;
  /** Forked requests the teacher passed. */
  tolerated: number;
  failed: number;
  referenceTokens: number;
  comparedTokens: number;
  matchedTokens: number;
  /** Tokens whose claimed logprob was checked: matched ones and teacher-scored ones. */
  logprobTokens: number;
}

/** Teacher-scored tokens of one side, summed over a session's forked requests. */
export interface TeacherAggregate {
  tokens: number;
  /** Tokens outside the tie gap of the teacher's top-1. */
  notFine: number;
  /** notFine / tokens (0 without tokens). */
  notFineShare: number;
  /** Mean of (teacher top-1 − token logprob) (0 without tokens). */
  nllExcess: number;
}

export interface StockComparison {
  candidate: TeacherAggregate;
  control: TeacherAggregate;
  /** False while the candidate has fewer teacher-scored tokens than control.minTokens: too few to
   *  compare shares (the per-request rules still judge every token). */
  judged: boolean;
}

export interface GateResult {
  passed: boolean;
  /** Why the gate failed, one line each; empty when it passed. */
  reasons: string[];
  counts: GateCounts;
  /** Failed requests by reason (only reasons that occurred). */
  failures: Partial<Record<GateFailReason, number>>;
  /** counts.matchedTokens / counts.referenceTokens (1 when there are no reference tokens): how much
   *  of the reference was reproduced exactly. Informational: forks are judged by the teacher. */
  matchedFraction: number;
  /** Requests that forked from the reference at a tolerated first difference. */
  toleratedDivergences: number;
  maxLogprobError: number;
  /** Where maxLogprobError was observed, e.g. "gate:4 token 9"; null when nothing was checked. */
  maxLogprobErrorAt: string | null;
  meanLogprobError: number;
  /** Off tokens / checked tokens (0 when none were checked). */
  offLogprobShare: number;
  /** The teacher's aggregates, the candidate's against the stock control's. */
  teacher: StockComparison;
  /** Largest gap of a tolerated first divergence; null when none. */
  largestToleratedGap: number | null;
  /** Smallest gap of a rejected first divergence whose gap is known. */
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
  /** Largest token logprob error vs logprobs.maxError. */
  tokenLogprobError: GateMargin;
  /** Mean logprob error vs logprobs.maxMean. */
  meanLogprobError: GateMargin;
  /** Share of off tokens vs logprobs.maxOffShare. */
  offLogprobShare: GateMargin;
  /** Largest gap a tolerated first divergence used vs tieGap. */
  toleratedTieGap: GateMargin;
  /** Smallest gap of a rejected first divergence vs tieGap (headroom: how much larger tieGap
   *  would have to be to tolerate it). */
  rejectedTieGap: GateMargin;
  /** Worst teacher rank of a candidate token vs teacher.maxRank. */
  teacherRank: GateMargin;
  /** Lowest teacher logprob of a candidate token vs teacher.hardFloor. */
  hardFloor: GateMargin;
  /** Most tokens at or below teacher.softFloor in one request vs teacher.softCount. */
  softFloorCount: GateMargin;
  /** Largest gap of the teacher's end of sequence below its top-1 where a candidate stopped vs
   *  tieGap. */
  stopGap: GateMargin;
  /** Largest (teacher end-of-sequence − token logprob) where a candidate went on vs ln eosRatio. */
  eosPreference: GateMargin;
  /** Candidate share of not-fine teacher tokens vs the control's + control.notFineShare. */
  notFineShare: GateMargin;
  /** Candidate mean NLL excess vs the control's + control.nllExcess. */
  nllExcess: GateMargin;
}
