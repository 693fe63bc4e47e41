import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type KingRules, margin, marginZeroAtMs, V1_KING_RULES } from "../../src/score/margin.js";

const DAY = 24 * 60 * 60 * 1000;

const rules: fc.Arbitrary<KingRules> = fc.record({
  marginM0: fc.double({ min: 0, max: 1, noNaN: true }),
  decayMs: fc.integer({ min: 1, max: 365 * DAY }),
  burnUid: fc.integer({ min: 0, max: 65535 }),
});
const instant = fc.integer({ min: 0, max: 4e12 });

describe("margin", () => {
  it("is V1's 0.01 at crowning, half of it after 3.5 days, 0 from 7 days on", () => {
    const t0 = 1_700_000_000_000;
    expect(V1_KING_RULES).toEqual({ marginM0: 0.01, decayMs: 7 * DAY, burnUid: 0 });
    expect(margin(t0, t0, V1_KING_RULES)).toBe(0.01);
    expect(margin(t0 + 3.5 * DAY, t0, V1_KING_RULES)).toBeCloseTo(0.005, 15);
    expect(margin(t0 + 7 * DAY, t0, V1_KING_RULES)).toBe(0);
    expect(margin(t0 + 30 * DAY, t0, V1_KING_RULES)).toBe(0);
    expect(marginZeroAtMs(t0, V1_KING_RULES)).toBe(t0 + 7 * DAY);
  });

  it("counts a time before the crowning as the crowning: never above m0", () => {
    expect(margin(0, 5 * DAY, V1_KING_RULES)).toBe(0.01);
  });

  it("is m0 at crowning, within [0, m0], non-increasing in t, and 0 at and after D", () => {
    fc.assert(
      fc.property(rules, instant, instant, instant, (r, crownedAt, a, b) => {
        const [t1, t2] = a <= b ? [a, b] : [b, a];
        expect(margin(crownedAt, crownedAt, r)).toBe(r.marginM0);
        const m1 = margin(t1, crownedAt, r);
        const m2 = margin(t2, crownedAt, r);
        expect(m2).toBeLessThanOrEqual(m1);
        expect(m1).toBeGreaterThanOrEqual(0);
        expect(m1).toBeLessThanOrEqual(r.marginM0);
        if (t1 >= crownedAt + r.decayMs) expect(m1).toBe(0);
      }),
    );
  });

  it("reaches 0 exactly at marginZeroAtMs, not a millisecond before", () => {
    fc.assert(
      // m0 of at least 1e-6 score units: smaller ones underflow to 0 before D, as any float would.
      fc.property(
        rules,
        fc.double({ min: 1e-6, max: 1, noNaN: true }),
        instant,
        (rs, m0, crownedAt) => {
          const r = { ...rs, marginM0: m0 };
          const zeroAt = marginZeroAtMs(crownedAt, r);
          expect(margin(zeroAt, crownedAt, r)).toBe(0);
          expect(margin(zeroAt - 1, crownedAt, r)).toBeGreaterThan(0);
        },
      ),
    );
  });
});
