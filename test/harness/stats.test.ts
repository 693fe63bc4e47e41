import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bootstrapMedianCi,
  mean,
  median,
  mulberry32,
  quantile,
  summarize,
} from "../../src/harness/stats.js";

describe("stats", () => {
  it("computes type-7 percentiles (numpy's default) with linear interpolation", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 3, 2, 1], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([1, 2, 3, 4], 0.99)).toBeCloseTo(3.97, 12);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    // numpy.percentile(range(1, 101), [50, 90, 99]) == [50.5, 90.1, 99.01]
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(hundred, 0.5)).toBeCloseTo(50.5, 12);
    expect(quantile(hundred, 0.9)).toBeCloseTo(90.1, 12);
    expect(quantile(hundred, 0.99)).toBeCloseTo(99.01, 12);
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
  });

  it("handles empty input with nulls and rejects bad arguments", () => {
    expect(mean([])).toBeNull();
    expect(quantile([], 0.5)).toBeNull();
    expect(summarize([])).toEqual({
      n: 0,
      mean: null,
      min: null,
      max: null,
      p50: null,
      p90: null,
      p99: null,
    });
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
  });

  it("summarizes samples", () => {
    expect(summarize([10, 30, 20])).toEqual({
      n: 3,
      mean: 20,
      min: 10,
      max: 30,
      p50: 20,
      p90: 28,
      p99: 29.8,
    });
  });

  it("mulberry32 is deterministic per seed and stays in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  it("bootstraps a reproducible CI of the median that contains the median", () => {
    const rand = mulberry32(7);
    const xs = Array.from({ length: 200 }, () => 50 + 20 * rand());
    const ci = bootstrapMedianCi(xs, { seed: 3 });
    expect(ci).toEqual(bootstrapMedianCi(xs, { seed: 3 }));
    expect(ci?.level).toBe(0.95);
    expect(ci?.resamples).toBe(2000);
    const m = median(xs) as number;
    expect(ci?.lo).toBeLessThanOrEqual(m);
    expect(ci?.hi).toBeGreaterThanOrEqual(m);
    // Wider at a higher level, and narrower with more data.
    const wide = bootstrapMedianCi(xs, { seed: 3, level: 0.99 });
    expect((wide?.hi as number) - (wide?.lo as number)).toBeGreaterThanOrEqual(
      (ci?.hi as number) - (ci?.lo as number),
    );
    expect(bootstrapMedianCi([], {})).toBeNull();
    expect(bootstrapMedianCi([5], {})).toMatchObject({ lo: 5, hi: 5 });
    expect(bootstrapMedianCi([2, 2, 2, 2])).toMatchObject({ lo: 2, hi: 2 });
    expect(() => bootstrapMedianCi([1], { level: 1 })).toThrow(RangeError);
  });

  it("property: percentiles are ordered and within [min, max]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }),
        (xs) => {
          const s = summarize(xs);
          const min = s.min as number;
          const p50 = s.p50 as number;
          const p90 = s.p90 as number;
          const p99 = s.p99 as number;
          const max = s.max as number;
          expect(min <= p50 && p50 <= p90 && p90 <= p99 && p99 <= max).toBe(true);
          expect(s.mean as number).toBeGreaterThanOrEqual(min - 1e-6);
          expect(s.mean as number).toBeLessThanOrEqual(max + 1e-6);
        },
      ),
    );
  });
});
