// A server's answer to one request, as the gate compares it and the report stores it. The report
// keeps every answer so the gate can be re-run offline; it stores them column-wise and drops each
// `bytes` array that is just the UTF-8 of its token (the common case), which keeps v1 reports to a
// fraction of the size of the raw logprobs.
import { z } from "zod";
import type { TokenLogprob, TopLogprob } from "../contract/schemas.js";
import type { GateOutput, GateTopLogprob } from "../gate/index.js";
import type { StreamResult } from "../harness/client.js";

const Bytes = z.array(z.number().int().min(0).max(255));

export const StoredOutputSchema = z.strictObject({
  text: z.string(),
  finishReason: z.string().nullable(),
  /** null: the response carried no logprobs. */
  tokens: z.array(z.string()).nullable(),
  logprobs: z.array(z.number()),
  /** Sparse: position → bytes, only where they differ from the token's UTF-8 (null: none sent). */
  bytes: z.record(z.string(), Bytes.nullable()).optional(),
  /** Per position: the top list as [tokens, logprobs] and its sparse bytes like `bytes`. */
  top: z.array(
    z
      .tuple([z.array(z.string()), z.array(z.number())])
      .rest(z.record(z.string(), Bytes.nullable())),
  ),
});
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
 */
export const roundLogprob = (x: number) => Math.round(x * 1e5) / 1e5;

/** What the gate needs from a finished stream. */
export function gateOutputOf(r: StreamResult): GateOutput {
  const lps: readonly TokenLogprob[] = r.logprobs;
  const top = (t: TopLogprob): GateTopLogprob => ({
    token: t.token,
    logprob: roundLogprob(t.logprob),
    bytes: t.bytes,
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

export function storeOutput(o: GateOutput): StoredOutput {
  const tokens = o.tokens ?? [];
  const bytes = sparseBytes(tokens);
  return {
    text: o.text,
    finishReason: o.finishReason,
    tokens: o.tokens === null ? null : tokens.map((t) => t.token),
    logprobs: tokens.map((t) => t.logprob),
    ...(bytes ? { bytes } : {}),
    top: tokens.map((t) => {
      const b = sparseBytes(t.top);
      const row: [string[], number[], ...Record<string, number[] | null>[]] = [
        t.top.map((x) => x.token),
        t.top.map((x) => x.logprob),
      ];
      if (b) row.push(b);
      return row;
    }),
  };
}

export function loadOutput(s: StoredOutput): GateOutput {
  const bytesAt = (
    token: string,
    sparse: Record<string, number[] | null> | undefined,
    i: number,
  ) => (sparse && i in sparse ? (sparse[i] ?? null) : Array.from(enc.encode(token)));
  return {
    text: s.text,
    finishReason: s.finishReason,
    tokens:
      s.tokens === null
        ? null
        : s.tokens.map((token, i) => {
            const [tt, tl, tb] = s.top[i] ?? [[], []];
            return {
              token,
              logprob: s.logprobs[i] as number,
              bytes: bytesAt(token, s.bytes, i),
              top: tt.map((t, j) => ({
                token: t,
                logprob: tl[j] as number,
                bytes: bytesAt(t, tb, j),
              })),
            };
          }),
  };
}
