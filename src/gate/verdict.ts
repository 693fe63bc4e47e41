// The gate over all requests of a session (DESIGN §2.4) and its distance from the thresholds
// (calibration). Pure: everything comes from the verdicts, the teacher's evidence included, so a
// report's gate result is recomputed from its verdicts alone.
import { num, pct } from "./format.js";
import { addTeacherSums, eosPreference, stopGap, type TeacherSums, teacherGap } from "./teacher.js";
import {
  GATE_FAIL_REASONS,
  type GateFailReason,
  type GateMargin,
  type GateMargins,
  type GateResult,
  type GateThresholds,
  type RequestVerdict,
  type ScoredToken,
  type TeacherAggregate,
} from "./types.js";

/** How each reason reads in "N of M requests …". */
const PHRASES: Record<GateFailReason, string> = {
  request_failed: "failed",
  reference_invalid: "had an invalid reference (a baseline fault, not the candidate's)",
  teacher_invalid: "had unusable teacher scores (a validator fault, not the candidate's)",
  missing_logprobs: "lacked logprobs",
  text_mismatch: "had logprobs entries that do not spell the text",
  extra_tokens: "gave more tokens than max_tokens",
  too_few_tokens: "ended before max_tokens without an end of sequence",
  divergence: "diverged from the reference outside the tie gap",
  premature_stop: "stopped where the model would not",
  teacher_rank: "had a token the teacher ranks beyond the maximum rank",
  teacher_hard_floor: "had a token at or below the teacher's hard floor",
  teacher_soft_floor: "had too many tokens at or below the teacher's soft floor",
  eos_skip: "went on where the model would stop",
  logprob_error: "had a token logprob error above the limit",
};

function firstLine(v: RequestVerdict): string {
  const at = v.failedAt !== undefined ? ` at token ${v.failedAt}` : "";
  return `${v.id}${at}${v.message ? `: ${v.message}` : ""}`;
}

function aggregate(s: TeacherSums): TeacherAggregate {
  return {
    tokens: s.tokens,
    notFine: s.notFine,
    notFineShare: s.tokens === 0 ? 0 : s.notFine / s.tokens,
    nllExcess: s.tokens === 0 ? 0 : s.nllExcess / s.tokens,
  };
}

/** The teacher's gap at a fork it judged: its first scored token's, or the stop's. */
function teacherFirstGap(v: RequestVerdict): number | null {
  const e = v.teacher;
  if (!e) return null;
  const first = e.tokens[0];
  if (first) return teacherGap(first);
  return e.stop ? stopGap(e.stop) : null;
}

export interface GateVerdictOptions {
  /** The session's final verdict: a request still awaiting the teacher fails the gate (nothing
   *  may go unchecked). Off for the early verdict of the gate pass, before the teacher runs. */
  final?: boolean;
}

export function gateVerdict(
  verdicts: readonly RequestVerdict[],
  t: GateThresholds,
  options: GateVerdictOptions = {},
): GateResult {
  const counts = {
    requests: verdicts.length,
    matched: 0,
    forked: 0,
    tolerated: 0,
    failed: 0,
    referenceTokens: 0,
    comparedTokens: 0,
    matchedTokens: 0,
    logprobTokens: 0,
  };
  const failures: Partial<Record<GateFailReason, number>> = {};
  const firstFailure: Partial<Record<GateFailReason, RequestVerdict>> = {};
  const candidate: TeacherSums = { tokens: 0, notFine: 0, nllExcess: 0 };
  const control: TeacherSums = { tokens: 0, notFine: 0, nllExcess: 0 };
  let sum = 0;
  let off = 0;
  let max = 0;
  let maxAt: string | null = null;
  let forkedTotal = 0;
  let largestToleratedGap: number | null = null;
  let smallestRejectedGap: number | null = null;
  for (const v of verdicts) {
    counts.referenceTokens += v.referenceTokens;
    counts.comparedTokens += v.comparedTokens;
    counts.matchedTokens += v.matchedTokens;
    counts.logprobTokens += v.matchedTokens + (v.teacher?.tokens.length ?? 0);
    sum += v.sumLogprobError;
    off += v.offLogprobTokens;
    if (v.worstLogprobError && (maxAt === null || v.maxLogprobError > max)) {
      max = v.maxLogprobError;
      maxAt = `${v.id} token ${v.worstLogprobError.position}`;
    }
    if (v.teacher) {
      addTeacherSums(candidate, v.teacher.tokens, t.tieGap);
      addTeacherSums(control, v.teacher.control, t.tieGap);
    }
    // The first difference's gap: the reference's where it judged, else the teacher's.
    const gap = v.divergence?.gap ?? (v.fork?.judgedBy === "teacher" ? teacherFirstGap(v) : null);
    if (v.fork) forkedTotal++;
    if (v.status === "match") counts.matched++;
    else if (v.status === "forked") counts.forked++;
    else if (v.status === "tolerated") counts.tolerated++;
    else {
      counts.failed++;
      const reason = v.reason ?? "request_failed";
      failures[reason] = (failures[reason] ?? 0) + 1;
      firstFailure[reason] ??= v;
    }
    if (gap !== null) {
      const firstRejected =
        v.status === "fail" &&
        (v.reason === "divergence" || v.reason === "premature_stop") &&
        v.failedAt === (v.divergence?.position ?? v.fork?.position);
      if (firstRejected) smallestRejectedGap = Math.min(smallestRejectedGap ?? gap, gap);
      else if (v.fork) largestToleratedGap = Math.max(largestToleratedGap ?? gap, gap);
    }
  }
  const matchedFraction =
    counts.referenceTokens === 0 ? 1 : counts.matchedTokens / counts.referenceTokens;
  const meanLogprobError = counts.logprobTokens === 0 ? 0 : sum / counts.logprobTokens;
  const offLogprobShare = counts.logprobTokens === 0 ? 0 : off / counts.logprobTokens;
  const teacher = {
    candidate: aggregate(candidate),
    control: aggregate(control),
    judged: candidate.tokens > 0 && candidate.tokens >= t.control.minTokens,
  };

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
  if (options.final && counts.forked > 0)
    reasons.push(
      `${counts.forked} of ${counts.requests} requests forked from the reference and were never scored by the teacher`,
    );
  const lp = t.logprobs;
  // Requests fail on a token error above the limit themselves; this catches verdicts judged
  // against other thresholds.
  if (!(max <= lp.maxError) && failures.logprob_error === undefined)
    reasons.push(
      `the largest token logprob error ${num(max)} (${maxAt}) exceeds ${num(lp.maxError)}`,
    );
  if (!(meanLogprobError <= lp.maxMean))
    reasons.push(
      `the mean token logprob error ${num(meanLogprobError)} over ${counts.logprobTokens} tokens exceeds ${num(lp.maxMean)}`,
    );
  if (!(offLogprobShare <= lp.maxOffShare))
    reasons.push(
      `${pct(offLogprobShare)} of ${counts.logprobTokens} token logprobs are off by more than ${num(lp.tolerance)}, above the allowed ${pct(lp.maxOffShare)}`,
    );
  if (teacher.judged) {
    const c = teacher.candidate;
    const k = teacher.control;
    if (!(c.notFineShare <= k.notFineShare + t.control.notFineShare))
      reasons.push(
        `${pct(c.notFineShare)} of the ${c.tokens} teacher-scored tokens are outside the tie gap ${num(t.tieGap)} of the teacher's top-1, more than the stock control's ${pct(k.notFineShare)} (${k.tokens} tokens) + ${pct(t.control.notFineShare)}`,
      );
    if (!(c.nllExcess <= k.nllExcess + t.control.nllExcess))
      reasons.push(
        `the teacher-scored tokens' mean NLL excess over the teacher's top-1 is ${num(c.nllExcess)} nats, more than the stock control's ${num(k.nllExcess)} + ${num(t.control.nllExcess)}`,
      );
  }

  return {
    passed: reasons.length === 0,
    reasons,
    counts,
    failures,
    matchedFraction,
    toleratedDivergences: forkedTotal,
    maxLogprobError: max,
    maxLogprobErrorAt: maxAt,
    meanLogprobError,
    offLogprobShare,
    teacher,
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

/** The worst value of one per-token teacher metric over a session, and where it is. */
interface Worst {
  value: number | null;
  at: string | null;
}

/** Records `value` at `id` token `position` (no position: the request) if it is worse. The place
 *  is written only then: this runs for every teacher-scored token. */
function worse(
  w: Worst,
  value: number,
  higherIsWorse: boolean,
  id: string,
  position?: number,
): void {
  if (w.value === null || (higherIsWorse ? value > w.value : value < w.value)) {
    w.value = value;
    w.at = position === undefined ? id : `${id} token ${position}`;
  }
}

export function gateMargins(result: GateResult, t: GateThresholds): GateMargins {
  const rank: Worst = { value: null, at: null };
  const lowest: Worst = { value: null, at: null };
  const soft: Worst = { value: null, at: null };
  const stop: Worst = { value: null, at: null };
  const eos: Worst = { value: null, at: null };
  for (const v of result.verdicts) {
    const e = v.teacher;
    const fork = v.fork;
    if (!e || !fork) continue;
    let softCount = 0;
    for (let i = 0; i < e.tokens.length; i++) {
      const s = e.tokens[i] as ScoredToken;
      const at = fork.position + i;
      worse(rank, s.rank, true, v.id, at);
      worse(lowest, s.logprob, false, v.id, at);
      if (s.logprob <= t.teacher.softFloor) softCount++;
      const pref = eosPreference(s);
      if (!fork.ignoreEos && pref !== null) worse(eos, pref, true, v.id, at);
    }
    if (e.tokens.length > 0) worse(soft, softCount, true, v.id);
    if (e.stop) worse(stop, stopGap(e.stop), true, v.id, fork.candidateTokens);
  }
  const lp = t.logprobs;
  const checked = result.counts.logprobTokens > 0;
  const { candidate: c, control: k } = result.teacher;
  const scored = c.tokens > 0;
  const lnRatio = Math.log(t.teacher.eosRatio);
  return {
    tokenLogprobError: margin(
      lp.maxError,
      checked ? result.maxLogprobError : null,
      (o) => lp.maxError - o,
      result.maxLogprobErrorAt,
    ),
    meanLogprobError: margin(
      lp.maxMean,
      checked ? result.meanLogprobError : null,
      (o) => lp.maxMean - o,
    ),
    offLogprobShare: margin(
      lp.maxOffShare,
      checked ? result.offLogprobShare : null,
      (o) => lp.maxOffShare - o,
    ),
    toleratedTieGap: margin(t.tieGap, result.largestToleratedGap, (o) => t.tieGap - o),
    rejectedTieGap: margin(t.tieGap, result.smallestRejectedGap, (o) => o - t.tieGap),
    teacherRank: margin(t.teacher.maxRank, rank.value, (o) => t.teacher.maxRank - o, rank.at),
    hardFloor: margin(t.teacher.hardFloor, lowest.value, (o) => o - t.teacher.hardFloor, lowest.at),
    softFloorCount: margin(
      t.teacher.softCount,
      soft.value,
      (o) => t.teacher.softCount - 1 - o,
      soft.at,
    ),
    stopGap: margin(t.tieGap, stop.value, (o) => t.tieGap - o, stop.at),
    eosPreference: margin(lnRatio, eos.value, (o) => lnRatio - o, eos.at),
    notFineShare: margin(
      k.notFineShare + t.control.notFineShare,
      scored ? c.notFineShare : null,
      (o) => k.notFineShare + t.control.notFineShare - o,
    ),
    nllExcess: margin(
      k.nllExcess + t.control.nllExcess,
      scored ? c.nllExcess : null,
      (o) => k.nllExcess + t.control.nllExcess - o,
    ),
  };
}
