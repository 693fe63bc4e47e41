// Stored answers: every answer comes back exactly as judged, a candidate's top lists are stored
// against the reference's (only what differs), and a report that lost its reference says so.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  gateOutputOf,
  loadOutput,
  roundLogprob,
  type StoredOutput,
  StoredOutputError,
  StoredOutputSchema,
  storeOutput,
} from "../../src/eval/outputs.js";
import type { GateOutput, GateToken } from "../../src/gate/index.js";
import type { StreamResult } from "../../src/harness/client.js";

const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));
const tokenText = fc.oneof(fc.constantFrom(" the", ",", " río", "é", "\ufffd", ""), fc.string());
const entry = fc.record({
  token: tokenText,
  logprob: fc.double({ min: -30, max: 0, noNaN: true }).map(roundLogprob),
  bytesKind: fc.constantFrom("utf8", "null", "other"),
});
const toTop = (e: { token: string; logprob: number; bytesKind: string }) => ({
  token: e.token,
  logprob: e.logprob,
  bytes: e.bytesKind === "utf8" ? utf8(e.token) : e.bytesKind === "null" ? null : [0xe2, 0x82],
});
const answer: fc.Arbitrary<GateOutput> = fc.record({
  text: fc.string(),
  finishReason: fc.constantFrom("stop", "length", null),
  tokens: fc.option(
    fc.array(
      fc
        .tuple(entry, fc.array(entry, { maxLength: 5 }))
        .map(([e, top]): GateToken => ({ ...toTop(e), top: top.map(toTop) })),
      { maxLength: 12 },
    ),
    { nil: null },
  ),
});

/** Through JSON and the report's schema, as a rescore reads it. */
const roundTrip = (s: StoredOutput) => StoredOutputSchema.parse(JSON.parse(JSON.stringify(s)));

describe("stored answers", () => {
  it("load back exactly as they were judged, alone or against any reference", () => {
    fc.assert(
      fc.property(answer, answer, (a, ref) => {
        expect(loadOutput(roundTrip(storeOutput(a)))).toEqual(a);
        expect(loadOutput(roundTrip(storeOutput(a, ref)), ref)).toEqual(a);
      }),
    );
  });

  it("keep only what differs from the reference's top lists", () => {
    const ref: GateOutput = {
      text: " the río",
      finishReason: "stop",
      tokens: [
        {
          ...toTop({ token: " the", logprob: -0.5, bytesKind: "utf8" }),
          top: [" the", ","].map((t, i) =>
            toTop({ token: t, logprob: -0.5 - i, bytesKind: "utf8" }),
          ),
        },
        {
          ...toTop({ token: " río", logprob: -1, bytesKind: "utf8" }),
          top: [" río", "é"].map((t, i) => toTop({ token: t, logprob: -1 - i, bytesKind: "utf8" })),
        },
      ],
    };
    const cand = structuredClone(ref);
    const second = cand.tokens?.[1]?.top[1];
    if (second) second.logprob = -2.25;
    const stored = storeOutput(cand, ref);
    expect(stored.top).toEqual([0, [-1, -2.25]]);
    expect(loadOutput(stored, ref)).toEqual(cand);
    expect(storeOutput(ref).top[0]).toEqual([
      [" the", ","],
      [-0.5, -1.5],
    ]);
    expect(() => loadOutput(stored)).toThrow(StoredOutputError);
  });

  it("names a token given in vLLM's bytes: form by its bytes, and rounds logprobs", () => {
    const lp = (token: string, logprob: number) => ({ token, logprob, bytes: null });
    const result = {
      text: "€",
      finishReason: "length",
      logprobs: [
        {
          ...lp("bytes:\\xe2\\x82", -0.1234567),
          top_logprobs: [lp("bytes:\\xe2\\x82", -0.1234567)],
        },
        { ...lp("bytes:\\xac", -0.000001), top_logprobs: [] },
      ],
    } as unknown as StreamResult;
    const out = gateOutputOf(result);
    expect(out.tokens?.map((t) => t.bytes)).toEqual([[0xe2, 0x82], [0xac]]);
    expect(out.tokens?.[0]?.top[0]?.bytes).toEqual([0xe2, 0x82]);
    expect(out.tokens?.map((t) => t.logprob)).toEqual([-0.12346, 0]);
    expect(Object.is(out.tokens?.[1]?.logprob, 0)).toBe(true);
  });
});
