// Output token counting (DESIGN §2.3). The count is the number of `logprobs.content` entries of a
// response, and it is valid only if
//   1. every entry is exactly one vocabulary token: its `token` text is a vocab token, or, for a
//      token that is not whole UTF-8 by itself (part of a multi-byte character), its bytes are —
//      given as vLLM's `bytes:\xNN…` token string, or as the entry's `bytes` array (OpenAI's form,
//      also the way to name a token whose text is shown as U+FFFD);
//   2. the entries' bytes, concatenated, equal the streamed text's UTF-8 bytes exactly; and
//   3. the validator's own tokenization of the text agrees with the count within a tolerance:
//      |count − encode(text).length| ≤ max(absolute, relative · encode(text).length).
// The server's `usage` is never consulted. This runs after a phase, off the hot path.
import type { TokenLogprob } from "../contract/schemas.js";
import type { Vocabulary } from "../contract/tokenizer.js";

export interface TokenTolerance {
  /** Relative tolerance against the validator's tokenization, e.g. 0.05 for 5 %. */
  relative: number;
  /** Absolute tolerance in tokens; the larger of the two applies. */
  absolute: number;
}

export const DEFAULT_TOKEN_TOLERANCE: TokenTolerance = { relative: 0.05, absolute: 3 };

export type TokenCheckFailure =
  | "not_vocab_token"
  | "bytes_mismatch"
  | "text_mismatch"
  | "tokenization";

export interface TokenCount {
  valid: boolean;
  /** Number of logprobs entries: the output token count, meaningful only when valid. */
  count: number;
  /** Length of the validator's own tokenization of the text (null if the check stopped earlier). */
  tokenizerCount: number | null;
  failure?: TokenCheckFailure;
  /** Why the count is not valid, in words. */
  reason?: string;
}

const BYTES_FORM = /^bytes:((?:\\x[0-9a-fA-F]{2})+)$/;
const REPLACEMENT = "\ufffd";

/** The bytes of a token given in vLLM's `bytes:\xNN…` form, or null for any other token string. */
export function parseBytesForm(token: string): Uint8Array | null {
  const m = BYTES_FORM.exec(token);
  if (!m) return null;
  const hex = m[1] as string;
  const out = new Uint8Array(hex.length / 4);
  for (let i = 0; i < out.length; i++)
    out[i] = Number.parseInt(hex.slice(i * 4 + 2, i * 4 + 4), 16);
  return out;
}

function sameBytes(a: Uint8Array, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function show(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** The bytes of one logprobs entry if it is exactly one vocabulary token, else why not. */
export function entryBytes(
  entry: Pick<TokenLogprob, "token" | "bytes">,
  vocab: Vocabulary,
): { bytes: Uint8Array } | { error: string; failure: TokenCheckFailure } {
  const { token } = entry;
  const hexForm = parseBytesForm(token);
  if (hexForm) {
    if (vocab.idOfBytes(hexForm) === undefined)
      return { failure: "not_vocab_token", error: `${show(token)} is not one vocabulary token` };
    if (entry.bytes && !sameBytes(hexForm, entry.bytes))
      return { failure: "bytes_mismatch", error: `${show(token)} disagrees with its bytes field` };
    return { bytes: hexForm };
  }
  const utf8 = Buffer.from(token, "utf8");
  const textIsToken = vocab.idOfText(token) !== undefined;
  if (textIsToken && (!entry.bytes || sameBytes(utf8, entry.bytes))) return { bytes: utf8 };
  // The text is not a token (or is shown as U+FFFD): the bytes field names the token.
  if (entry.bytes && (!textIsToken || token.includes(REPLACEMENT))) {
    const bytes = Uint8Array.from(entry.bytes);
    if (vocab.idOfBytes(bytes) !== undefined) return { bytes };
  }
  if (textIsToken)
    return { failure: "bytes_mismatch", error: `${show(token)} disagrees with its bytes field` };
  return { failure: "not_vocab_token", error: `${show(token)} is not one vocabulary token` };
}

/** Counts and validates the output tokens of one response. */
export function countOutputTokens(
  text: string,
  logprobs: readonly Pick<TokenLogprob, "token" | "bytes">[],
  vocab: Vocabulary,
  tolerance: TokenTolerance = DEFAULT_TOKEN_TOLERANCE,
): TokenCount {
  const count = logprobs.length;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < logprobs.length; i++) {
    const r = entryBytes(logprobs[i] as TokenLogprob, vocab);
    if ("error" in r) {
      return {
        valid: false,
        count,
        tokenizerCount: null,
        failure: r.failure,
        reason: `logprobs entry ${i}: ${r.error}`,
      };
    }
    parts.push(r.bytes);
  }
  const joined = Buffer.concat(parts);
  const expected = Buffer.from(text, "utf8");
  if (!joined.equals(expected)) {
    let at = 0;
    while (at < joined.length && at < expected.length && joined[at] === expected[at]) at++;
    return {
      valid: false,
      count,
      tokenizerCount: null,
      failure: "text_mismatch",
      reason:
        `the logprobs tokens (${joined.length} bytes) do not concatenate to the streamed text ` +
        `(${expected.length} bytes); first difference at byte ${at}`,
    };
  }
  const tokenizerCount = vocab.encode(text).length;
  const allowed = Math.max(tolerance.absolute, tolerance.relative * tokenizerCount);
  if (Math.abs(count - tokenizerCount) > allowed) {
    return {
      valid: false,
      count,
      tokenizerCount,
      failure: "tokenization",
      reason:
        `${count} logprobs tokens but the text tokenizes to ${tokenizerCount} ` +
        `(tolerance ±${Math.round(allowed * 100) / 100})`,
    };
  }
  return { valid: true, count, tokenizerCount };
}
