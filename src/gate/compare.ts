// One request of the gate (DESIGN §2.4): the candidate's greedy tokens against the reference's,
// position by position. Checks run in this order, and the first that fails is the verdict's
// reason: the request itself, the reference's own consistency, the candidate's logprobs covering its
// text, its length against max_tokens, then the walk over the common positions (token identity,
// top-list completeness, logprob error), then the lengths against each other. A candidate that
// ends early chose end of sequence where the reference did not: tolerated at a near-tie like any
// token (the reference's top list names the end-of-sequence token there); the reverse cannot be
// judged (nothing shows the reference's logprobs past its end), so going on past it fails.
import { num, show } from "./format.js";
import { DEFAULT_EOS_TOKENS } from "./thresholds.js";
import { coverText, indexOfToken, logprobError, sameToken, topLogprob } from "./tokens.js";
import type {
  Divergence,
  GateFailReason,
  GateOutput,
  GateRequest,
  GateThresholds,
  GateToken,
  GateTopLogprob,
  LogprobErrorDetail,
  RequestVerdict,
  ShownToken,
} from "./types.js";

/** Reference tokens shown before a divergence. */
const CONTEXT_TOKENS = 8;
const CONTEXT_CHARS = 80;

const NO_TOKENS: readonly GateToken[] = [];

/** A response with no text generated nothing, so it needs no logprobs entries. */
function tokensOf(out: GateOutput): readonly GateToken[] | null {
  return out.tokens ?? (out.text === "" ? NO_TOKENS : null);
}

function shown(t: { token: string; logprob: number }): ShownToken {
  return { token: t.token, logprob: t.logprob };
}

function referenceProblem(req: GateRequest, tokens: readonly GateToken[]): string | null {
  const cov = coverText(req.reference.text, tokens);
  if (!cov.ok)
    return `the reference's logprobs entries do not spell its text (from byte ${cov.byte} of ${cov.textBytes})`;
  if (tokens.length > req.maxTokens)
    return `the reference gave ${tokens.length} tokens, more than max_tokens ${req.maxTokens}`;
  if (req.fixedLength && tokens.length !== req.maxTokens)
    return `the reference gave ${tokens.length} tokens where exactly ${req.maxTokens} were asked for`;
  return null;
}

/** Where the reference's top list at `r` has the candidate's choice: its token, or (cand null:
 *  the candidate ended there) the most likely end-of-sequence token. */
function choiceIndex(r: GateToken, cand: GateToken | null, eos: readonly string[]): number {
  if (cand !== null) return indexOfToken(r.top, cand);
  let best = -1;
  for (let i = 0; i < r.top.length; i++) {
    const e = r.top[i] as GateTopLogprob;
    if (eos.includes(e.token) && (best < 0 || e.logprob > (r.top[best] as GateTopLogprob).logprob))
      best = i;
  }
  return best;
}

function divergenceAt(
  ref: readonly GateToken[],
  position: number,
  cand: GateToken | null,
  t: GateThresholds,
  eos: readonly string[],
): Divergence {
  const r = ref[position];
  let gap: number | null = null;
  if (r !== undefined) {
    const i = choiceIndex(r, cand, eos);
    if (i >= 0) gap = topLogprob(r) - (r.top[i] as GateTopLogprob).logprob;
  }
  let context = "";
  for (let i = Math.max(0, position - CONTEXT_TOKENS); i < position; i++)
    context += (ref[i] as GateToken).token;
  if (context.length > CONTEXT_CHARS) context = `…${context.slice(-CONTEXT_CHARS)}`;
  return {
    position,
    reference: r === undefined ? null : shown(r),
    candidate: cand === null ? null : shown(cand),
    referenceTop: r === undefined ? [] : r.top.map(shown),
    gap,
    tieGap: t.tieGap,
    context,
  };
}

function divergenceMessage(
  d: Divergence,
  candidate: ShownToken,
  referenceFinish: string | null,
): string {
  const c = show(candidate.token);
  if (d.reference === null)
    return `the candidate went on past the reference's end at token ${d.position} with ${c} (the reference stopped: ${referenceFinish ?? "no finish reason"})`;
  const why =
    d.gap === null
      ? `the reference's top ${d.referenceTop.length} does not list it`
      : `it is ${num(d.gap)} below the reference's top-1, more than the tie gap ${num(d.tieGap)}`;
  return `token ${d.position}: the candidate chose ${c} where the reference chose ${show(d.reference.token)}; ${why}`;
}

/** Why an early end of sequence was not a near-tie, when the candidate chose one. */
function eosNote(d: Divergence | undefined): string {
  if (d === undefined || d.candidate !== null) return "";
  return d.gap === null
    ? "; the reference's top list there has no end-of-sequence token"
    : `; there the reference's end of sequence is ${num(d.gap)} below its top-1, more than the tie gap ${num(d.tieGap)}`;
}

interface Failure {
  reason: GateFailReason;
  message: string;
  at?: number;
}

export function compareRequest(req: GateRequest, t: GateThresholds): RequestVerdict {
  const refTokens = tokensOf(req.reference);
  const v: RequestVerdict = {
    id: req.id,
    status: "fail",
    referenceTokens: refTokens?.length ?? 0,
    comparedTokens: 0,
    matchedTokens: 0,
    maxLogprobError: 0,
    sumLogprobError: 0,
  };
  const fail = (f: Failure): RequestVerdict => {
    v.status = "fail";
    v.reason = f.reason;
    v.message = f.message;
    if (f.at !== undefined) v.failedAt = f.at;
    return v;
  };

  if ("failure" in req.candidate)
    return fail({
      reason: "request_failed",
      message: `the request failed: ${req.candidate.failure}`,
    });
  if (refTokens === null)
    return fail({
      reason: "reference_invalid",
      message: "the reference response carried no logprobs",
    });
  const refProblem = referenceProblem(req, refTokens);
  if (refProblem !== null) return fail({ reason: "reference_invalid", message: refProblem });

  const cand = req.candidate;
  const candTokens = tokensOf(cand);
  if (candTokens === null)
    return fail({ reason: "missing_logprobs", message: "the response carried no logprobs" });
  const cov = coverText(cand.text, candTokens);
  if (!cov.ok) {
    return cov.kind === "missing"
      ? fail({
          reason: "missing_logprobs",
          message: `the text's last ${cov.textBytes - cov.byte} bytes (from byte ${cov.byte}) have no logprobs entry`,
          at: cov.token,
        })
      : fail({
          reason: "text_mismatch",
          message: `logprobs entry ${cov.token} ${show((candTokens[cov.token] as GateToken).token)} disagrees with the text at byte ${cov.byte} of ${cov.textBytes}`,
          at: cov.token,
        });
  }
  const refLen = refTokens.length;
  const candLen = candTokens.length;
  if (candLen > req.maxTokens)
    return fail({
      reason: "extra_tokens",
      message: `the candidate gave ${candLen} tokens, more than max_tokens ${req.maxTokens}`,
      at: req.maxTokens,
    });

  // The walk. `detail` is filled per token; a copy is kept only when the maximum moves.
  let failure: Failure | undefined;
  let divergence: Divergence | undefined;
  const detail: LogprobErrorDetail = {
    position: 0,
    token: "",
    kind: "chosen",
    referenceLogprob: 0,
    candidateLogprob: 0,
    error: 0,
  };
  const eos = req.eosTokens ?? DEFAULT_EOS_TOKENS;
  const common = Math.min(refLen, candLen);
  for (let i = 0; i < common; i++) {
    const r = refTokens[i] as GateToken;
    const c = candTokens[i] as GateToken;
    v.comparedTokens++;
    if (!sameToken(r, c)) {
      divergence = divergenceAt(refTokens, i, c, t, eos);
      break;
    }
    if (c.top.length < r.top.length) {
      failure ??= {
        reason: "missing_logprobs",
        message: `token ${i}: ${c.top.length} top_logprobs entries where the reference has ${r.top.length}`,
        at: i,
      };
      break;
    }
    const e = logprobError(r, c, detail);
    v.matchedTokens++;
    v.sumLogprobError += e;
    if (e > v.maxLogprobError || v.worstLogprobError === undefined) {
      v.maxLogprobError = e;
      v.worstLogprobError = { ...detail, position: i };
    }
    if (!(e <= t.maxTokenLogprobError) && failure === undefined) {
      failure = {
        reason: "logprob_error",
        message:
          `token ${i} ${show(r.token)}: logprob error ${num(e)} exceeds ${num(t.maxTokenLogprobError)} ` +
          `(${detail.kind} ${show(detail.token)}: reference ${num(detail.referenceLogprob)}, candidate ${num(detail.candidateLogprob)})`,
        at: i,
      };
    }
  }

  // A candidate that ended early chose end of sequence there: judged like any other choice.
  const endedEarly =
    !req.fixedLength && candLen < refLen && cand.finishReason === "stop" && failure === undefined;
  if (divergence === undefined && endedEarly)
    divergence = divergenceAt(refTokens, candLen, null, t, eos);
  if (divergence === undefined && candLen > refLen)
    divergence = divergenceAt(refTokens, refLen, candTokens[refLen] as GateToken, t, eos);
  if (divergence !== undefined) v.divergence = divergence;
  const tolerated =
    divergence !== undefined && divergence.gap !== null && divergence.gap <= t.tieGap;

  if (failure !== undefined) return fail(failure);
  if (divergence?.candidate && !tolerated)
    return fail({
      reason: "divergence",
      message: divergenceMessage(divergence, divergence.candidate, req.reference.finishReason),
      at: divergence.position,
    });
  if (req.fixedLength && candLen < req.maxTokens)
    return fail({
      reason: "too_few_tokens",
      message: `the candidate gave ${candLen} tokens where exactly ${req.maxTokens} were asked for (ignore_eos, min_tokens)`,
      at: candLen,
    });
  if (!tolerated && candLen < refLen)
    return fail({
      reason: "too_few_tokens",
      message: `the candidate stopped after ${candLen} tokens (${cand.finishReason ?? "no finish reason"}) where the reference gave ${refLen}${eosNote(divergence)}`,
      at: candLen,
    });
  if (tolerated && divergence !== undefined) {
    v.status = "tolerated";
    v.toleratedAt = divergence.position;
    return v;
  }
  v.status = "match";
  return v;
}
