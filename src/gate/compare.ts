// One request of the gate (DESIGN §2.4): the candidate's greedy tokens against the reference's,
// position by position, up to the first difference. Checks run in this order, and the first that
// fails is the verdict's reason: the request itself, the reference's own consistency, the
// candidate's logprobs covering its text, its length against max_tokens, then the walk over the
// shared prefix (token identity, top-list completeness, logprob error), then the first difference.
// Up to it the prefix is the reference's, so the reference's top list judges it on the spot where
// it is at hand: outside the tie gap fails at once. Otherwise the request forks there: its tokens
// from the fork on (and its end of sequence) await the teacher (judge in teacher.ts). An early end
// of sequence is a choice like any token (the reference's top list names the end-of-sequence
// token there); going on past the reference's end forks for the teacher to judge.
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

/** How the reference's top list judges a first difference: within the tie gap, outside it, or
 *  it cannot tell (no list there, or the choice is unlisted while the whole list is within the tie
 *  gap) and the teacher must. */
function decide(
  ref: readonly GateToken[],
  d: Divergence,
  tieGap: number,
): "tolerated" | "rejected" | "teacher" {
  if (d.gap !== null) return d.gap <= tieGap ? "tolerated" : "rejected";
  const r = ref[d.position];
  if (r === undefined || r.top.length === 0) return "teacher";
  // Unlisted: its logprob is at most the list's lowest, so its gap is at least (top-1 − lowest).
  let lowest = r.logprob;
  for (const e of r.top) lowest = Math.min(lowest, e.logprob);
  return topLogprob(r) - lowest > tieGap ? "rejected" : "teacher";
}

function divergenceMessage(d: Divergence, candidate: ShownToken): string {
  const why =
    d.gap === null
      ? `the reference's top ${d.referenceTop.length} does not list it`
      : `it is ${num(d.gap)} below the reference's top-1, more than the tie gap ${num(d.tieGap)}`;
  return `token ${d.position}: the candidate chose ${show(candidate.token)} where the reference chose ${show(d.reference?.token ?? "")}; ${why}`;
}

function prematureStopMessage(d: Divergence, candLen: number, refLen: number): string {
  const why =
    d.gap === null
      ? "the reference's top list there has no end-of-sequence token"
      : `there the reference's end of sequence is ${num(d.gap)} below its top-1, more than the tie gap ${num(d.tieGap)}`;
  return `the candidate stopped after ${candLen} tokens where the reference gave ${refLen}; ${why}`;
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
    offLogprobTokens: 0,
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

  // The walk over the shared prefix. `detail` is filled per token; a copy is kept only when the
  // maximum moves.
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
  const { tolerance, maxError } = t.logprobs;
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
    const chosen = Math.abs(r.logprob - c.logprob);
    v.matchedTokens++;
    // NaN or an infinity is as far off as a value can be (and keeps the verdict valid JSON).
    v.sumLogprobError += Number.isFinite(chosen) ? chosen : Number.MAX_VALUE;
    if (!(chosen <= tolerance)) v.offLogprobTokens++;
    if (e > v.maxLogprobError || v.worstLogprobError === undefined) {
      v.maxLogprobError = e;
      v.worstLogprobError = { ...detail, position: i };
    }
    if (!(e <= maxError) && failure === undefined) {
      failure = {
        reason: "logprob_error",
        message:
          `token ${i} ${show(r.token)}: logprob error ${num(e)} exceeds ${num(maxError)} ` +
          `(${detail.kind} ${show(detail.token)}: reference ${num(detail.referenceLogprob)}, candidate ${num(detail.candidateLogprob)})`,
        at: i,
      };
    }
  }
  if (failure !== undefined) {
    if (divergence !== undefined) v.divergence = divergence;
    return fail(failure);
  }

  // The first difference, if the walk ended without one: an early end of sequence, or tokens past
  // the reference's end.
  const stopped = !req.fixedLength && cand.finishReason === "stop";
  if (divergence === undefined && candLen < refLen && stopped)
    divergence = divergenceAt(refTokens, candLen, null, t, eos);
  if (divergence === undefined && candLen > refLen)
    divergence = divergenceAt(refTokens, refLen, candTokens[refLen] as GateToken, t, eos);
  if (divergence !== undefined) v.divergence = divergence;
  const decision = divergence === undefined ? undefined : decide(refTokens, divergence, t.tieGap);

  if (divergence !== undefined && decision === "rejected")
    return divergence.candidate === null
      ? fail({
          reason: "premature_stop",
          message: prematureStopMessage(divergence, candLen, refLen),
          at: candLen,
        })
      : fail({
          reason: "divergence",
          message: divergenceMessage(divergence, divergence.candidate),
          at: divergence.position,
        });
  if (req.fixedLength && candLen < req.maxTokens)
    return fail({
      reason: "too_few_tokens",
      message: `the candidate gave ${candLen} tokens where exactly ${req.maxTokens} were asked for (ignore_eos, min_tokens)`,
      at: candLen,
    });
  // Only an end of sequence may end an answer before max_tokens: the teacher judges that stop.
  if (candLen < req.maxTokens && !stopped && (divergence !== undefined || candLen < refLen))
    return fail({
      reason: "too_few_tokens",
      message: `the candidate ended after ${candLen} of max_tokens ${req.maxTokens} tokens without an end of sequence (finish_reason ${cand.finishReason ?? "none"})`,
      at: candLen,
    });
  if (divergence === undefined) {
    v.status = "match";
    return v;
  }
  v.status = "forked";
  v.fork = {
    position: divergence.position,
    judgedBy: decision === "tolerated" ? "reference" : "teacher",
    candidateTokens: candLen,
    stopped,
    ignoreEos: req.fixedLength,
  };
  return v;
}
