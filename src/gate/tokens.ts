// Token-level rules of the gate: token identity, the logprob error of one matched token, and
// whether a response's logprobs entries spell its text. Hot path (every token of every request):
// no allocation per token.
import type { GateToken, GateTopLogprob, LogprobErrorDetail } from "./types.js";

type TokenLike = Pick<GateTopLogprob, "token" | "bytes">;

/** Same token: by bytes when both sides carry them, else by the token string. */
export function sameToken(a: TokenLike, b: TokenLike): boolean {
  const x = a.bytes;
  const y = b.bytes;
  if (x === null || y === null) return a.token === b.token;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Index of `t` in `list`, searching from `hint` first (top lists of two runs of one model are
 *  almost always in the same order, so the usual cost is one comparison). -1 if absent. */
export function indexOfToken(list: readonly TokenLike[], t: TokenLike, hint = 0): number {
  const n = list.length;
  for (let k = 0; k < n; k++) {
    const i = (hint + k) % n;
    if (sameToken(list[i] as TokenLike, t)) return i;
  }
  return -1;
}

/** |a − b|, with NaN and infinities turned into the largest finite error (so a verdict stays
 *  valid JSON and a comparison against a threshold fails). */
function diff(a: number, b: number): number {
  const d = Math.abs(a - b);
  return Number.isFinite(d) ? d : Number.MAX_VALUE;
}

function lowest(list: readonly GateTopLogprob[]): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < list.length; i++) m = Math.min(m, (list[i] as GateTopLogprob).logprob);
  return m;
}

let seen = new Uint8Array(32);

/**
 * The logprob error of a matched position: the largest of |Δ logprob| of the chosen token and of
 * every token in both top lists. A token in one top list only is bounded by the other list: a top-n
 * list that leaves it out says its logprob is at most that list's lowest entry, so the error is at
 * least (its logprob − that lowest entry) when positive. Made-up top lists fail this way even when
 * they share no token with the reference. Expects cand.top.length ≥ ref.top.length (checked by the
 * caller). Fills `worst` with where the error comes from when given.
 */
export function logprobError(ref: GateToken, cand: GateToken, worst?: LogprobErrorDetail): number {
  let err = diff(ref.logprob, cand.logprob);
  if (worst) setWorst(worst, ref.token, "chosen", ref.logprob, cand.logprob, err);
  const rt = ref.top;
  const ct = cand.top;
  if (rt.length === 0 && ct.length === 0) return err;
  if (seen.length < ct.length) seen = new Uint8Array(ct.length);
  seen.fill(0, 0, ct.length);
  const candLowest = lowest(ct);
  for (let i = 0; i < rt.length; i++) {
    const r = rt[i] as GateTopLogprob;
    const j = indexOfToken(ct, r, i);
    let e: number;
    let candLp: number;
    if (j >= 0) {
      seen[j] = 1;
      candLp = (ct[j] as GateTopLogprob).logprob;
      e = diff(r.logprob, candLp);
    } else {
      candLp = candLowest;
      e = Math.max(0, r.logprob - candLowest);
    }
    if (e > err) {
      err = e;
      if (worst)
        setWorst(worst, r.token, j >= 0 ? "top" : "missing_in_candidate", r.logprob, candLp, e);
    }
  }
  if (rt.length === 0) return err; // no reference list: nothing bounds the candidate's entries
  const refLowest = lowest(rt);
  for (let j = 0; j < ct.length; j++) {
    if (seen[j] === 1) continue;
    const c = ct[j] as GateTopLogprob;
    const e = Math.max(0, c.logprob - refLowest);
    if (e > err) {
      err = e;
      if (worst) setWorst(worst, c.token, "missing_in_reference", refLowest, c.logprob, e);
    }
  }
  return err;
}

function setWorst(
  w: LogprobErrorDetail,
  token: string,
  kind: LogprobErrorDetail["kind"],
  referenceLogprob: number,
  candidateLogprob: number,
  error: number,
): void {
  w.token = token;
  w.kind = kind;
  w.referenceLogprob = referenceLogprob;
  w.candidateLogprob = candidateLogprob;
  w.error = error;
}

/** The reference's top-1 logprob at a position: the best of its chosen token and its top list. */
export function topLogprob(t: GateToken): number {
  let m = t.logprob;
  for (let i = 0; i < t.top.length; i++) m = Math.max(m, (t.top[i] as GateTopLogprob).logprob);
  return m;
}

export type Coverage =
  | { ok: true }
  /** The entries spell a strict prefix of the text: the rest has no logprobs entry. */
  | { ok: false; kind: "missing"; token: number; byte: number; textBytes: number }
  /** Entry `token` disagrees with the text at `byte` (or runs past its end). */
  | { ok: false; kind: "mismatch"; token: number; byte: number; textBytes: number };

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** Whether the tokens' bytes (the bytes field, else the token string's UTF-8) concatenate to
 *  exactly the text's UTF-8. */
export function coverText(text: string, tokens: readonly TokenLike[]): Coverage {
  const want = encoder.encode(text);
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as TokenLike;
    let bytes: ArrayLike<number>;
    let n: number;
    if (t.bytes !== null) {
      bytes = t.bytes;
      n = t.bytes.length;
    } else {
      if (scratch.length < t.token.length * 3) scratch = new Uint8Array(t.token.length * 3);
      n = encoder.encodeInto(t.token, scratch).written;
      bytes = scratch;
    }
    for (let k = 0; k < n; k++, at++) {
      if (at >= want.length || want[at] !== bytes[k])
        return { ok: false, kind: "mismatch", token: i, byte: at, textBytes: want.length };
    }
  }
  if (at < want.length)
    return { ok: false, kind: "missing", token: tokens.length, byte: at, textBytes: want.length };
  return { ok: true };
}
