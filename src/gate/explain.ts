// A request's verdict in words, for a miner to act on.
import { num, show } from "./format.js";
import type { Divergence, GateFailReason, RequestVerdict, ShownToken } from "./types.js";

/** Top-list entries shown in an explanation. */
const TOP_SHOWN = 5;

/** What a miner should look at, by reason. */
const HINTS: Record<GateFailReason, string> = {
  request_failed: "every request must succeed; see the server's log for this one",
  reference_invalid:
    "the baseline's own answer was unusable, so this request says nothing about your server",
  missing_logprobs:
    "send logprobs.content with one entry per generated token, each with as many top_logprobs as asked for",
  text_mismatch:
    "each logprobs entry must be exactly one generated token, and their bytes must concatenate to the streamed text",
  extra_tokens: "stop at max_tokens",
  too_few_tokens:
    "generate until the model stops or max_tokens is reached; with ignore_eos and min_tokens = max_tokens, exactly max_tokens",
  divergence:
    "greedy decoding must pick the reference's token wherever the reference is not near a tie: check temperature 0 handling, the weights and the numerics",
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
    ...(d.reference === null ? [] : [`  reference top_logprobs: ${top}${more}`, `  ${gap}`]),
  ];
}

export function explainRequest(v: RequestVerdict): string {
  const lines: string[] = [];
  if (v.status === "fail") {
    const reason = v.reason ?? "request_failed";
    lines.push(`${v.id}: FAIL (${reason}): ${v.message ?? ""}`);
    if (v.divergence && (reason === "divergence" || reason === "too_few_tokens"))
      lines.push(...divergenceLines(v.divergence));
    lines.push(`  what to check: ${HINTS[reason]}`);
  } else if (v.status === "tolerated" && v.divergence) {
    lines.push(
      `${v.id}: tolerated: ${v.divergence.candidate === null ? "ended its answer" : "diverged"} at token ${v.divergence.position}, where the reference is near a tie; ${plural(Math.max(0, v.referenceTokens - v.divergence.position - 1), "later reference token")} went uncompared`,
    );
    lines.push(...divergenceLines(v.divergence));
  } else {
    lines.push(`${v.id}: match: all ${v.referenceTokens} tokens identical to the reference`);
  }
  lines.push(
    `  compared ${v.comparedTokens} of ${v.referenceTokens} reference tokens, ${v.matchedTokens} matched`,
  );
  const w = v.worstLogprobError;
  if (w && v.matchedTokens > 0) {
    lines.push(
      `  logprob error: largest ${num(v.maxLogprobError)} at token ${w.position} (${w.kind} ${show(w.token)}: reference ${num(w.referenceLogprob)}, candidate ${num(w.candidateLogprob)}), mean ${num(v.sumLogprobError / v.matchedTokens)}`,
    );
  }
  return lines.join("\n");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
