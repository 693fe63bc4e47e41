import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { King } from "../../src/score/king.js";
import { V1_KING_RULES } from "../../src/score/margin.js";
import { weightVector } from "../../src/score/weights.js";

const uid = fc.integer({ min: 0, max: 65535 });
const king: fc.Arbitrary<King> = fc.record({
  hotkey: fc.string({ minLength: 1 }),
  uid,
  submissionId: fc.string({ minLength: 1 }),
  digest: fc.string({ minLength: 1 }),
  score: fc.double({ min: 0, max: 10, noNaN: true }),
  crownedAtMs: fc.nat(),
});

describe("weightVector", () => {
  it("gives everything to the king's uid", () => {
    const k: King = {
      hotkey: "5K",
      uid: 17,
      submissionId: "s1",
      digest: "sha256:aa",
      score: 0.3,
      crownedAtMs: 0,
    };
    expect(weightVector(k, V1_KING_RULES)).toEqual({ uids: [17], weights: [1] });
  });

  it("gives everything to the burn uid when there is no king", () => {
    expect(weightVector(null, V1_KING_RULES)).toEqual({ uids: [0], weights: [1] });
    expect(weightVector(null, { ...V1_KING_RULES, burnUid: 204 })).toEqual({
      uids: [204],
      weights: [1],
    });
  });

  it("always sums to 1 with non-negative entries, one per uid", () => {
    fc.assert(
      fc.property(fc.option(king), uid, (k, burnUid) => {
        const w = weightVector(k, { ...V1_KING_RULES, burnUid });
        expect(w.uids).toHaveLength(w.weights.length);
        expect(new Set(w.uids).size).toBe(w.uids.length);
        expect(w.weights.reduce((a, b) => a + b, 0)).toBe(1);
        for (const x of w.weights) expect(x).toBeGreaterThanOrEqual(0);
        expect(w.uids).toContain(k ? k.uid : burnUid);
      }),
    );
  });
});
