// A request's verdict in words, for a miner to act on: the rule, the position and the numbers.
import { num, show } from "./format.js";
import { stopGap, teacherGap } from "./teacher.js";
import type {
  Divergence,
  GateFailReason,
  RequestVerdict,
  ScoredToken,
  ShownToken,
  TeacherEvidence,
} from "./types.js";

/** Top-list entries shown in an explanation. */
const TOP_SHOWN = 5;
/** Teacher-scored tokens shown on each side of a failing one. */
const AROUND = 2;

/** What a miner should look at, by reason. */
const HINTS: Record<GateFailReason, string> = {
  request_failed: "every request must succeed; see the server's log for this one",
  reference_invalid:
    "the baseline's own answer was unusable, so this request says nothing about your server",
  teacher_invalid:
    "the teacher's scores did not fit your answer, so this request says nothing about your server",
  missing_logprobs:
    "send logprobs.content with one entry per generated token, each with as many top_logprobs as asked for",
  text_mismatch:
    "each logprobs entry must be exactly one generated token, and their bytes must concatenate to the streamed text",
  extra_tokens: "stop at max_tokens",
  too_few_tokens:
    "generate until the model's end of sequence or max_tokens; with ignore_eos and min_tokens = max_tokens, exactly max_tokens",
  divergence:
    "greedy decoding must pick the model's top token wherever it is not near a tie: check temperature 0 handling, the weights and the numerics",
  premature_stop:
    "stop only where the model's end of sequence is its top choice (or within the tie gap of it)",
  teacher_rank:
    "every token must be one the model itself would choose there; this one it ranks far down: check sampling, the weights and the kernels",
  teacher_hard_floor:
    "the model finds this token nearly impossible there: check for corrupted output after the first near-tie",
  teacher_soft_floor:
    "several tokens the model finds very unlikely: check sampling, the weights and the kernels",
  eos_skip:
    "stop where the model's end of sequence is its clear choice, unless the request set ignore_eos",
  logprob_error:
    "report the model's own logprobs (natural log, normalized over the vocabulary) for the chosen token and every top_logprobs entry",
};

function entry(t: ShownToken): string {
  return `${show(t.token)} ${num(t.logprob)}`;
}

function divergenceLines(d: Divergence): string[] {
  const top = d.referenceTop.slice(0, TOP_SHOWN).map(entry).join(", ");
  const more = d.referenceTop.length > TOP_SHOWN ? `, … (${d.referenceTop.length} in all)` : "";
  const gap =
    d.gap === null
      ? `the reference's top list does not have the candidate's ${d.candidate === null ? "end of sequence" : "token"}`
      : `gap to the reference's top-1 ${num(d.gap)} (tie gap ${num(d.tieGap)})`;
  return [
    `  context before token ${d.position}: ${show(d.context)}`,
    `  reference token ${d.position}: ${d.reference === null ? "(none: the reference stopped here)" : entry(d.reference)}`,
    `  candidate token ${d.position}: ${d.candidate === null ? "(none: the candidate ended its answer here)" : entry(d.candidate)}`,
    ...(d.reference === null || d.referenceTop.length === 0
      ? []
      : [`  reference top_logprobs: ${top}${more}`, `  ${gap}`]),
  ];
}

function scoredLine(s: ScoredToken, position: number): string {
  return `    token ${position} ${show(s.token)}: teacher logprob ${num(s.logprob)}, rank ${s.rank}, top-1 ${num(s.top1)} (gap ${num(teacherGap(s))})${s.eos === null ? "" : `, end of sequence ${num(s.eos)}`}; claimed ${num(s.claimed)}; ${s.verdict}`;
}

function teacherLines(v: RequestVerdict, e: TeacherEvidence, position: number): string[] {
  const count = (verdict: ScoredToken["verdict"]) =>
    e.tokens.filter((s) => s.verdict === verdict).length;
  let worstRank = 0;
  let lowest = 0;
  for (const s of e.tokens) {
    worstRank = Math.max(worstRank, s.rank);
    lowest = Math.min(lowest, s.logprob);
  }
  const lines = [
    `  teacher: scored ${e.tokens.length} tokens from token ${position}: ${count("fine")} fine, ${e.tokens.length - count("fine")} outside the tie gap of its top-1${e.tokens.length > 0 ? `; worst rank ${worstRank}, lowest logprob ${num(lowest)}` : ""}; stock control: ${e.control.length} reference tokens`,
  ];
  if (v.status === "fail" && v.failedAt !== undefined) {
    const i = v.failedAt - position;
    const from = Math.max(0, i - AROUND);
    const to = Math.min(e.tokens.length, i + AROUND + 1);
    for (let k = from; k < to; k++)
      lines.push(scoredLine(e.tokens[k] as ScoredToken, position + k));
  }
  if (e.stop)
    lines.push(
      `    end of sequence after token ${position + e.tokens.length - 1}: teacher logprob ${num(e.stop.logprob)}, rank ${e.stop.rank}, top-1 ${num(e.stop.top1)} (gap ${num(stopGap(e.stop))})`,
    );
  return lines;
}

export function explainRequest(v: RequestVerdict): string {
  const lines: string[] = [];
  const fork = v.fork;
  if (v.status === "fail") {
    const reason = v.reason ?? "request_failed";
    lines.push(`${v.id}: FAIL (${reason}): ${v.message ?? ""}`);
    if (v.divergence && (v.failedAt === v.divergence.position || v.teacher))
      lines.push(...divergenceLines(v.divergence));
  } else if (v.status === "match") {
    lines.push(`${v.id}: match: all ${v.referenceTokens} tokens identical to the reference`);
  } else if (fork) {
    const what = v.divergence?.candidate === null ? "ended its answer" : "forked";
    const by =
      fork.judgedBy === "reference"
        ? "where the reference is near a tie"
        : "where the reference's top list could not judge it";
    lines.push(
      v.status === "forked"
        ? `${v.id}: forked: ${what} at token ${fork.position}, ${by}; its ${fork.candidateTokens - fork.position} tokens from there await the teacher`
        : `${v.id}: tolerated: ${what} at token ${fork.position}, ${by}; the teacher passed every token from there`,
    );
    if (v.divergence) lines.push(...divergenceLines(v.divergence));
  }
  if (v.teacher && fork) lines.push(...teacherLines(v, v.teacher, fork.position));
  if (v.status === "fail") lines.push(`  what to check: ${HINTS[v.reason ?? "request_failed"]}`);
  lines.push(
    `  compared ${v.comparedTokens} of ${v.referenceTokens} reference tokens, ${v.matchedTokens} matched`,
  );
  const w = v.worstLogprobError;
  const checked = v.matchedTokens + (v.teacher?.tokens.length ?? 0);
  if (w && checked > 0) {
    const against = w.kind === "teacher" ? "teacher" : "reference";
    lines.push(
      `  logprob error: largest ${num(v.maxLogprobError)} at token ${w.position} (${w.kind} ${show(w.token)}: ${against} ${num(w.referenceLogprob)}, candidate ${num(w.candidateLogprob)}), mean ${num(v.sumLogprobError / checked)} over ${checked} tokens, ${v.offLogprobTokens} off`,
    );
  }
  return lines.join("\n");
}
