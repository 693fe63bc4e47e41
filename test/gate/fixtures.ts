// Building blocks for gate tests: tokens with UTF-8 bytes, outputs whose text is their tokens'
// concatenation, requests, and a fast-check model of greedy outputs.
import fc from "fast-check";
import type { GateOutput, GateRequest, GateToken, GateTopLogprob } from "../../src/gate/index.js";

const enc = new TextEncoder();

export function entry(token: string, logprob: number): GateTopLogprob {
  return { token, logprob, bytes: [...enc.encode(token)] };
}

/** A generated token with its top list: itself first, then `alts`. */
export function tok(token: string, logprob: number, alts: [string, number][] = []): GateToken {
  return {
    token,
    logprob,
    bytes: [...enc.encode(token)],
    top: [entry(token, logprob), ...alts.map(([t, lp]) => entry(t, lp))],
  };
}

export function out(tokens: GateToken[], finishReason: string | null = "stop"): GateOutput {
  return { text: tokens.map((t) => t.token).join(""), tokens, finishReason };
}

export function req(
  reference: GateOutput,
  candidate: GateRequest["candidate"],
  more: Partial<GateRequest> = {},
): GateRequest {
  return { id: "gate:0", maxTokens: 64, fixedLength: false, reference, candidate, ...more };
}

/** A deep copy, so no test passes because both sides share objects. */
export function copy<T>(x: T): T {
  return structuredClone(x);
}

/** Words with distinct UTF-8 bytes, some multi-byte. */
export const WORDS = [
  " the",
  " river",
  " é",
  " 水",
  " cat",
  " sat",
  ".",
  ",",
  " on",
  " a",
  " 🙂",
  "Hi",
];

/** A position's distribution: distinct tokens in rank order, logprobs strictly descending. */
const distribution = fc
  .record({
    order: fc.shuffledSubarray(WORDS, { minLength: 4, maxLength: 6 }),
    first: fc.double({ min: -3, max: 0, noNaN: true }).map((x) => x + 0), // no -0: JSON writes it as 0
    gaps: fc.array(fc.double({ min: 0.001, max: 3, noNaN: true }), {
      minLength: 5,
      maxLength: 5,
    }),
  })
  .map(({ order, first, gaps }) => {
    let lp = first;
    const alts: [string, number][] = [];
    for (let i = 1; i < order.length; i++) {
      lp -= gaps[i - 1] as number;
      alts.push([order[i] as string, lp]);
    }
    return tok(order[0] as string, first, alts);
  });

/** A greedy output: each token its position's top-1. */
export const greedyOutput = fc
  .array(distribution, { minLength: 0, maxLength: 24 })
  .map((tokens) => out(tokens));

/** An output's tokens, which the test built. */
export function toks(o: GateOutput): GateToken[] {
  if (o.tokens === null) throw new Error("no tokens");
  return o.tokens;
}
