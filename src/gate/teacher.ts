// The teacher's verdict on a forked request (DESIGN §2.4): every candidate token from the fork on,
// scored by the pinned baseline image through prompt_logprobs, and the end of sequence where the
// candidate stopped. `judge` takes a request's verdict before the teacher (compareRequest) and the
// teacher's scores, and gives the final verdict with the evidence a report keeps; given that
// evidence back, it reproduces the same verdict (rescore). Hot path: one pass, no allocation per
// token beyond the evidence itself.
import { num, show } from "./format.js";
import type {
  Fork,
  GateFailReason,
  GateThresholds,
  RequestVerdict,
  ScoredInput,
  ScoredToken,
  TeacherEvidence,
  TeacherInput,
  TeacherScore,
  TokenVerdict,
} from "./types.js";

/** Teacher top-1 − the token's logprob (never negative: top1 is the best of the listed entries,
 *  the token's own included, but a report may carry rounded values). */
export function teacherGap(s: TeacherScore): number {
  return Math.max(0, s.top1 - s.logprob);
}

/** A token is fine where the teacher puts it within the tie gap of its top-1 (an exact tie is). */
export function isFine(s: TeacherScore, tieGap: number): boolean {
  return teacherGap(s) <= tieGap;
}

/** The end of sequence's gap below the teacher's top-1 where the candidate stopped: the appended
 *  token's, or a better end-of-sequence token's the teacher lists there. */
export function stopGap(stop: TeacherScore): number {
  const best = Math.max(stop.logprob, stop.eos ?? Number.NEGATIVE_INFINITY);
  return Math.max(0, Math.max(stop.top1, best) - best);
}

/** How much more likely (in nats) the teacher finds the end of sequence than the token; null
 *  where it lists no end-of-sequence token. */
export function eosPreference(s: TeacherScore): number | null {
  return s.eos === null ? null : s.eos - s.logprob;
}

const FAILING: Partial<Record<TokenVerdict, GateFailReason>> = {
  hard_floor: "teacher_hard_floor",
  rank: "teacher_rank",
  eos_skip: "eos_skip",
  diverged: "divergence",
  logprob_error: "logprob_error",
};

/** Whether the teacher's evidence fits the fork: a score per candidate token from the fork on,
 *  and the end of sequence exactly where the candidate stopped. Null when it does. */
function evidenceProblem(fork: Fork, input: TeacherInput): string | null {
  const want = fork.candidateTokens - fork.position;
  if (input.tokens.length !== want)
    return `the teacher scored ${input.tokens.length} tokens where the candidate has ${want} from the fork at token ${fork.position}`;
  if ((input.stop !== null) !== fork.stopped)
    return fork.stopped
      ? "the candidate stopped, but the teacher did not score its end of sequence"
      : "the teacher scored an end of sequence the candidate did not give";
  const bad = (s: TeacherScore, claimed = 0) =>
    !(
      Number.isFinite(s.logprob) &&
      Number.isFinite(s.top1) &&
      Number.isFinite(s.eos ?? 0) &&
      Number.isFinite(claimed) &&
      Number.isInteger(s.rank) &&
      s.rank >= 1
    );
  const wrong =
    input.tokens.find((s) => bad(s, s.claimed)) ??
    input.control.find((s) => bad(s)) ??
    (input.stop !== null && bad(input.stop) ? input.stop : undefined);
  if (wrong !== undefined)
    return `the teacher's score of ${show(wrong.token)} is not a finite logprob with a rank ≥ 1`;
  return null;
}

function tokenVerdict(
  s: ScoredInput,
  first: boolean,
  fork: Fork,
  t: GateThresholds,
  lnEosRatio: number,
): TokenVerdict {
  const { teacher } = t;
  if (s.logprob <= teacher.hardFloor) return "hard_floor";
  if (s.rank > teacher.maxRank) return "rank";
  const eos = eosPreference(s);
  if (!fork.ignoreEos && eos !== null && eos > lnEosRatio) return "eos_skip";
  const fine = isFine(s, t.tieGap);
  if (first && fork.judgedBy === "teacher" && !fine) return "diverged";
  if (!(Math.abs(s.claimed - s.logprob) <= t.logprobs.maxError)) return "logprob_error";
  if (s.logprob <= teacher.softFloor) return "soft_floor";
  return fine ? "fine" : "off";
}

function failureMessage(
  verdict: TokenVerdict,
  s: ScoredToken,
  position: number,
  t: GateThresholds,
): string {
  const at = `token ${position} ${show(s.token)}`;
  const scores = `teacher logprob ${num(s.logprob)}, rank ${s.rank}, top-1 ${num(s.top1)}`;
  switch (verdict) {
    case "hard_floor":
      return `${at}: the teacher's logprob ${num(s.logprob)} is at or below the hard floor ${num(t.teacher.hardFloor)} (rank ${s.rank})`;
    case "rank":
      return `${at}: the teacher ranks it ${s.rank}, beyond the maximum rank ${t.teacher.maxRank} (${scores})`;
    case "eos_skip":
      return `${at}: the candidate went on where the teacher prefers the end of sequence (logprob ${num(s.eos ?? 0)}) by ${num(eosPreference(s) ?? 0)} nats, more than ln ${num(t.teacher.eosRatio)} = ${num(Math.log(t.teacher.eosRatio))}; the request did not set ignore_eos`;
    case "diverged":
      return `${at}: the candidate's first token off the reference is ${num(teacherGap(s))} below the teacher's top-1, more than the tie gap ${num(t.tieGap)} (${scores})`;
    default:
      return `${at}: the candidate's logprob ${num(s.claimed)} is ${num(Math.abs(s.claimed - s.logprob))} from the teacher's ${num(s.logprob)}, more than ${num(t.logprobs.maxError)}`;
  }
}

/**
 * The final verdict of a request: `pre` (compareRequest's) unchanged unless it forked and the
 * teacher's scores are given; then every token from the fork on is judged, in order, and the
 * earliest failure is the verdict's reason (a token at or below the hard floor, beyond the maximum
 * rank, skipping a preferred end of sequence, a first difference outside the tie gap, a claimed
 * logprob too far off, the soft-floor count reached), then a premature stop. The evidence, each
 * token's verdict included, goes into the verdict; `judge(pre, verdict.teacher, t)` gives it back.
 */
export function judge(
  pre: RequestVerdict,
  input: TeacherInput | undefined,
  t: GateThresholds,
): RequestVerdict {
  const fork = pre.fork;
  if (pre.status !== "forked" || fork === undefined || input === undefined) return pre;
  const v: RequestVerdict = { ...pre };
  const problem = evidenceProblem(fork, input);
  if (problem !== null)
    return { ...v, status: "fail", reason: "teacher_invalid", message: problem };

  const lnEosRatio = Math.log(t.teacher.eosRatio);
  const { tolerance } = t.logprobs;
  const tokens: ScoredToken[] = new Array(input.tokens.length);
  let failAt = -1;
  let softSeen = 0;
  let softFailAt = -1;
  for (let i = 0; i < input.tokens.length; i++) {
    const s = input.tokens[i] as ScoredInput;
    const verdict = tokenVerdict(s, i === 0, fork, t, lnEosRatio);
    // A literal, not a spread: this runs for every token after every fork.
    tokens[i] = {
      id: s.id,
      token: s.token,
      logprob: s.logprob,
      rank: s.rank,
      top1: s.top1,
      eos: s.eos,
      claimed: s.claimed,
      verdict,
    };
    if (failAt < 0 && FAILING[verdict] !== undefined) failAt = i;
    if (s.logprob <= t.teacher.softFloor && ++softSeen === t.teacher.softCount) softFailAt = i;
    // The claimed value against the teacher's: the same loose check as before the fork.
    const e = Math.abs(s.claimed - s.logprob);
    v.sumLogprobError += e;
    if (!(e <= tolerance)) v.offLogprobTokens++;
    if (e > v.maxLogprobError || v.worstLogprobError === undefined) {
      v.maxLogprobError = e;
      v.worstLogprobError = {
        position: fork.position + i,
        token: s.token,
        kind: "teacher",
        referenceLogprob: s.logprob,
        candidateLogprob: s.claimed,
        error: e,
      };
    }
  }
  // The stop and the control are kept as given (shared, not copied).
  const evidence: TeacherEvidence = { tokens, stop: input.stop, control: input.control };
  v.teacher = evidence;

  const fail = (reason: GateFailReason, message: string, at: number): RequestVerdict => ({
    ...v,
    status: "fail",
    reason,
    message,
    failedAt: at,
  });
  if (softFailAt >= 0 && (failAt < 0 || softFailAt < failAt)) {
    const at: number[] = [];
    tokens.forEach((s, i) => {
      if (i <= softFailAt && s.logprob <= t.teacher.softFloor) at.push(fork.position + i);
    });
    return fail(
      "teacher_soft_floor",
      `${t.teacher.softCount} tokens at teacher logprob ≤ ${num(t.teacher.softFloor)} (tokens ${at.join(", ")}); at most ${t.teacher.softCount - 1} are allowed`,
      fork.position + softFailAt,
    );
  }
  if (failAt >= 0) {
    const s = tokens[failAt] as ScoredToken;
    return fail(
      FAILING[s.verdict] as GateFailReason,
      failureMessage(s.verdict, s, fork.position + failAt, t),
      fork.position + failAt,
    );
  }
  if (input.stop !== null && !(stopGap(input.stop) <= t.tieGap)) {
    const s = input.stop;
    return fail(
      "premature_stop",
      `the candidate stopped after ${fork.candidateTokens} tokens where the teacher's end of sequence is ${num(stopGap(s))} below its top-1 (${num(Math.max(s.logprob, s.eos ?? s.logprob))} vs ${num(s.top1)}, rank ${s.rank}), more than the tie gap ${num(t.tieGap)}`,
      fork.candidateTokens,
    );
  }
  return { ...v, status: "tolerated" };
}

/** Sums over a session's teacher scores of one side (tokens, not-fine tokens, NLL excess). */
export interface TeacherSums {
  tokens: number;
  notFine: number;
  nllExcess: number;
}

export function addTeacherSums(
  into: TeacherSums,
  scores: readonly TeacherScore[],
  tieGap: number,
): void {
  for (let i = 0; i < scores.length; i++) {
    const g = teacherGap(scores[i] as TeacherScore);
    into.tokens++;
    if (!(g <= tieGap)) into.notFine++;
    into.nllExcess += g;
  }
}
