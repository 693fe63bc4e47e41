// A server's answer to one request, as the gate compares it and the report stores it. The report
// keeps every answer so the gate can be re-run offline. To keep it small it stores answers
// column-wise, drops each `bytes` array that is just the UTF-8 of its token (the common case), and
// stores a candidate's top lists against the reference's at the same position: where the tokens
// are the same only the logprobs are kept, and where the logprobs are the same too, nothing.
import { z } from "zod";
import type { TokenLogprob, TopLogprob } from "../contract/schemas.js";
import type { GateOutput, GateTopLogprob } from "../gate/index.js";
import type { StreamResult } from "../harness/client.js";
import { parseBytesForm } from "../harness/tokens.js";

const Bytes = z.array(z.number().int().min(0).max(255));

export const StoredOutputSchema = z.strictObject({
  text: z.string(),
  finishReason: z.string().nullable(),
  /** null: the response carried no logprobs. */
  tokens: z.array(z.string()).nullable(),
  logprobs: z.array(z.number()),
  /** Sparse: position → bytes, only where they differ from the token's UTF-8 (null: none sent). */
  bytes: z.record(z.string(), Bytes.nullable()).optional(),
  /**
   * Per position, the top list: [tokens, logprobs] and its sparse bytes like `bytes`; or, for a
   * candidate, only its logprobs (tokens and bytes as in the reference's list at that position), or
   * 0 (the same list as the reference's there).
   */
  top: z.array(
    z.union([
      z.literal(0),
      z.array(z.number()),
      z
        .tuple([z.array(z.string()), z.array(z.number())])
        .rest(z.record(z.string(), Bytes.nullable())),
    ]),
  ),
});
type StoredTop = StoredOutput["top"][number];
export type StoredOutput = z.infer<typeof StoredOutputSchema>;

const enc = new TextEncoder();

/** Whether `bytes` is the UTF-8 of `token`; ASCII (most tokens) is compared without encoding. */
function sameBytes(token: string, bytes: readonly number[] | null): boolean {
  if (bytes === null) return false;
  let ascii = token.length === bytes.length;
  for (let i = 0; ascii && i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else if (c !== bytes[i]) return false;
  }
  if (ascii) return true;
  const u = enc.encode(token);
  if (u.length !== bytes.length) return false;
  for (let i = 0; i < u.length; i++) if (u[i] !== bytes[i]) return false;
  return true;
}

/**
 * Logprobs are kept to 1e-5 nats, both for judging and in the report: far below any gate tolerance,
 * a third of the JSON of full doubles, and a rescore sees exactly the numbers the session judged.
 * (`+ 0` turns -0 into 0, which is what JSON keeps.)
 */
export const roundLogprob = (x: number) => Math.round(x * 1e5) / 1e5 + 0;

function bytesOfForm(token: string): number[] | null {
  const b = parseBytesForm(token);
  return b ? Array.from(b) : null;
}

/** What the gate needs from a finished stream. */
export function gateOutputOf(r: StreamResult): GateOutput {
  const lps: readonly TokenLogprob[] = r.logprobs;
  const top = (t: TopLogprob): GateTopLogprob => ({
    token: t.token,
    logprob: roundLogprob(t.logprob),
    // A token in vLLM's `bytes:\xNN` form without a bytes field is named by those bytes.
    bytes: t.bytes ?? bytesOfForm(t.token),
  });
  return {
    text: r.text,
    finishReason: r.finishReason,
    tokens:
      lps.length === 0 && r.text.length > 0
        ? null
        : lps.map((t) => ({ ...top(t), top: t.top_logprobs.map(top) })),
  };
}

function sparseBytes(items: readonly { token: string; bytes: number[] | null }[]) {
  let out: Record<string, number[] | null> | undefined;
  items.forEach((t, i) => {
    if (!sameBytes(t.token, t.bytes)) {
      out ??= {};
      out[i] = t.bytes;
    }
  });
  return out;
}

function sameTokens(a: readonly GateTopLogprob[], b: readonly GateTopLogprob[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as GateTopLogprob;
    const y = b[i] as GateTopLogprob;
    if (x.token !== y.token || x.bytes?.length !== y.bytes?.length) return false;
    if (x.bytes && y.bytes && x.bytes.some((v, j) => v !== y.bytes?.[j])) return false;
  }
  return true;
}

function storeTop(top: readonly GateTopLogprob[], ref: readonly GateTopLogprob[] | undefined) {
  if (ref && sameTokens(top, ref))
    return top.every((t, j) => t.logprob === ref[j]?.logprob) ? 0 : top.map((t) => t.logprob);
  const b = sparseBytes(top);
  const row: [string[], number[], ...Record<string, number[] | null>[]] = [
    top.map((x) => x.token),
    top.map((x) => x.logprob),
  ];
  if (b) row.push(b);
  return row;
}

/** The stored form of an answer; a candidate's is stored against the reference's answer. */
export function storeOutput(o: GateOutput, reference?: GateOutput): StoredOutput {
  const tokens = o.tokens ?? [];
  const bytes = sparseBytes(tokens);
  return {
    text: o.text,
    finishReason: o.finishReason,
    tokens: o.tokens === null ? null : tokens.map((t) => t.token),
    logprobs: tokens.map((t) => t.logprob),
    ...(bytes ? { bytes } : {}),
    top: tokens.map((t, i) => storeTop(t.top, reference?.tokens?.[i]?.top)),
  };
}

export class StoredOutputError extends Error {}

/** The answer back from its stored form; `reference` must be the one it was stored against. */
export function loadOutput(s: StoredOutput, reference?: GateOutput): GateOutput {
  const bytesAt = (
    token: string,
    sparse: Record<string, number[] | null> | undefined,
    i: number,
  ) => (sparse && i in sparse ? (sparse[i] ?? null) : Array.from(enc.encode(token)));
  const loadTop = (stored: StoredTop | undefined, i: number): GateTopLogprob[] => {
    if (stored === undefined) return [];
    if (!Array.isArray(stored) || typeof stored[0] !== "object") {
      const ref = reference?.tokens?.[i]?.top;
      if (!ref)
        throw new StoredOutputError(
          `token ${i}: the top list is stored against a reference answer that is missing`,
        );
      const lps = stored === 0 ? null : (stored as number[]);
      if (lps && lps.length !== ref.length)
        throw new StoredOutputError(
          `token ${i}: ${lps.length} logprobs stored against a top list of ${ref.length}`,
        );
      return ref.map((t, j) => ({ ...t, logprob: lps ? (lps[j] as number) : t.logprob }));
    }
    const [tt, tl, tb] = stored as [string[], number[], Record<string, number[] | null>?];
    return tt.map((t, j) => ({ token: t, logprob: tl[j] as number, bytes: bytesAt(t, tb, j) }));
  };
  return {
    text: s.text,
    finishReason: s.finishReason,
    tokens:
      s.tokens === null
        ? null
        : s.tokens.map((token, i) => ({
            token,
            logprob: s.logprobs[i] as number,
            bytes: bytesAt(token, s.bytes, i),
            top: loadTop(s.top[i], i),
          })),
  };
}
