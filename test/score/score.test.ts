import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { score } from "../../src/score/score.js";

const measured = fc.record({
  ttftMs: fc.double({ min: 0.01, max: 1e5, noNaN: true }),
  tokensPerSec: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
});

describe("score", () => {
  it("is the formula of DESIGN §2.3", () => {
    const s = score({ ttftMs: 100, tokensPerSec: 1000 }, { ttftMs: 80, tokensPerSec: 1300 });
    expect(s.ttftImprovement).toBeCloseTo(0.2, 12);
    expect(s.tpsImprovement).toBeCloseTo(0.3, 12);
    expect(s.score).toBeCloseTo(0.25, 12);
  });

  it("counts only gains: a slower candidate scores 0, not negative", () => {
    expect(
      score({ ttftMs: 100, tokensPerSec: 1000 }, { ttftMs: 150, tokensPerSec: 500 }).score,
    ).toBe(0);
  });

  it("is never negative, and 0 whenever the gate fails", () => {
    fc.assert(
      fc.property(measured, measured, fc.boolean(), (b, c, gate) => {
        const s = score(b, c, gate);
        expect(s.score).toBeGreaterThanOrEqual(0);
        if (!gate) expect(s.score).toBe(0);
      }),
    );
  });

  it("scores the baseline against itself 0", () => {
    fc.assert(
      fc.property(measured, (b) => {
        expect(score(b, b).score).toBe(0);
      }),
    );
  });
});
