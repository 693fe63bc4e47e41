import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  convertWeightsAndUidsForEmit,
  epochIndex,
  rateLimitBlocksLeft,
  revealStatus,
  revealWindow,
  roundHalfEven,
  U16_MAX,
} from "../../src/chain/weights.js";
import { parseWeightList } from "../../src/cli/validator-set-weights.js";

describe("roundHalfEven (Python's round)", () => {
  it("rounds ties to even and everything else to nearest", () => {
    expect([0.5, 1.5, 2.5, 3.5, 32767.5, 2.4999, 2.5001, 7].map(roundHalfEven)).toEqual([
      0, 2, 2, 4, 32768, 2, 3, 7,
    ]);
  });
  it("is within 0.5 of its input and an integer", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (x) => {
        const r = roundHalfEven(x);
        expect(Number.isInteger(r)).toBe(true);
        expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
});

describe("convertWeightsAndUidsForEmit (Bittensor SDK)", () => {
  it("max-upscales to 65535, rounds half to even and drops zeros with their uids", () => {
    expect(convertWeightsAndUidsForEmit([3, 7, 9], [1, 0.5, 0])).toEqual({
      uids: [3, 7],
      values: [65535, 32768],
    });
    expect(convertWeightsAndUidsForEmit([0, 1], [2, 1])).toEqual({
      uids: [0, 1],
      values: [65535, 32768],
    });
    // 0.5/65535 of the max rounds to 0 (tie, to even) and is dropped; 1.5/65535 rounds up to 2.
    expect(convertWeightsAndUidsForEmit([0, 1, 2], [65535, 0.5, 1.5])).toEqual({
      uids: [0, 2],
      values: [65535, 2],
    });
  });
  it("goes through float32 as the SDK's numpy array does", () => {
    // float64: 0.04757 * 65535 = 3117.499...; float32(0.04757) * 65535 = 3117.5000... -> 3118.
    expect(convertWeightsAndUidsForEmit([0, 1], [1, 0.04757]).values).toEqual([65535, 3118]);
    expect(convertWeightsAndUidsForEmit([0, 1], [1, 0.3]).values).toEqual([65535, 19661]);
  });
  it("sets nothing for all-zero weights and refuses bad input", () => {
    expect(convertWeightsAndUidsForEmit([1, 2], [0, 0])).toEqual({ uids: [], values: [] });
    expect(() => convertWeightsAndUidsForEmit([1], [1, 2])).toThrow(/same length/);
    expect(() => convertWeightsAndUidsForEmit([1], [-1])).toThrow(/>= 0/);
    expect(() => convertWeightsAndUidsForEmit([1], [Number.NaN])).toThrow(/finite/);
    expect(() => convertWeightsAndUidsForEmit([70000], [1])).toThrow(/uid/);
  });
  it("keeps the max at 65535, every value in 1..65535, order and proportions within rounding", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: U16_MAX }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 40, maxLength: 40 }),
        (uids, all) => {
          const weights = all.slice(0, uids.length);
          const out = convertWeightsAndUidsForEmit(uids, weights);
          const f32 = weights.map(Math.fround);
          const max = Math.max(...f32);
          if (max === 0) {
            expect(out.values).toEqual([]);
            return;
          }
          expect(Math.max(...out.values)).toBe(U16_MAX);
          for (const v of out.values) expect(v >= 1 && v <= U16_MAX).toBe(true);
          const kept = uids.filter(
            (_, i) => roundHalfEven(((f32[i] as number) / max) * U16_MAX) > 0,
          );
          expect(out.uids).toEqual(kept);
          out.uids.forEach((uid, k) => {
            const exact = ((f32[uids.indexOf(uid)] as number) / max) * U16_MAX;
            expect(Math.abs((out.values[k] as number) - exact)).toBeLessThanOrEqual(0.5);
          });
          // The sum of what is emitted is within rounding of the sum of the max-upscaled weights.
          const sum = out.values.reduce((a, b) => a + b, 0);
          const exactSum = f32.reduce((a, w) => a + (w / max) * U16_MAX, 0);
          expect(Math.abs(sum - exactSum)).toBeLessThanOrEqual(0.5 * uids.length + 1e-6);
        },
      ),
    );
  });
  it("is invariant to scaling all weights by a power of two", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: -8, max: 8 }),
        (weights, e) => {
          const uids = weights.map((_, i) => i);
          const scaled = weights.map((w) => Math.fround(w) * 2 ** e);
          expect(convertWeightsAndUidsForEmit(uids, scaled)).toEqual(
            convertWeightsAndUidsForEmit(uids, weights),
          );
        },
      ),
    );
  });
});

describe("commit-reveal epochs (pallet get_epoch_index / get_reveal_blocks)", () => {
  it("matches the pallet formula on examples", () => {
    // tempo 360, netuid 1: epoch = (block + 2) / 361.
    expect(epochIndex(1, 360, 0)).toBe(0);
    expect(epochIndex(1, 360, 358)).toBe(0);
    expect(epochIndex(1, 360, 359)).toBe(1);
    expect(revealWindow(1, 360, 1, 100)).toEqual({
      revealEpoch: 1,
      firstBlock: 359,
      lastBlock: 719,
    });
  });
  it("the reveal window is exactly the blocks whose epoch is the reveal epoch", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 100_000 }),
        (netuid, tempo, period, commitBlock) => {
          const w = revealWindow(netuid, tempo, period, commitBlock);
          // The pallet saturates the first block at 0 for the first epochs; skip those.
          fc.pre(w.revealEpoch * (tempo + 1) >= netuid + 1);
          expect(epochIndex(netuid, tempo, w.firstBlock)).toBe(w.revealEpoch);
          expect(epochIndex(netuid, tempo, w.lastBlock)).toBe(w.revealEpoch);
          if (w.firstBlock > 0)
            expect(epochIndex(netuid, tempo, w.firstBlock - 1)).toBe(w.revealEpoch - 1);
          expect(epochIndex(netuid, tempo, w.lastBlock + 1)).toBe(w.revealEpoch + 1);
          expect(revealStatus(netuid, tempo, w.revealEpoch, w.firstBlock)).toBe("open");
          expect(revealStatus(netuid, tempo, w.revealEpoch, w.lastBlock + 1)).toBe("expired");
          if (w.firstBlock > 0 && period > 0)
            expect(revealStatus(netuid, tempo, w.revealEpoch, w.firstBlock - 1)).toBe("early");
        },
      ),
    );
  });
});

describe("rate limit", () => {
  it("counts blocks since LastUpdate; never set means now", () => {
    expect(rateLimitBlocksLeft(0, 100, 5)).toBe(0);
    expect(rateLimitBlocksLeft(50, 100, 120)).toBe(30);
    expect(rateLimitBlocksLeft(50, 100, 150)).toBe(0);
    expect(rateLimitBlocksLeft(50, 100, 40)).toBe(100);
  });
});

describe("parseWeightList", () => {
  it("reads uid:weight pairs and refuses bad or duplicate items", () => {
    expect(parseWeightList("0:1, 3:0.25,7:2e-1")).toEqual({
      uids: [0, 3, 7],
      weights: [1, 0.25, 0.2],
    });
    expect(() => parseWeightList("1:1,1:2")).toThrow(/twice/);
    expect(() => parseWeightList("a:1")).toThrow(/uid:weight/);
    expect(() => parseWeightList("1:-1")).toThrow(/uid:weight/);
    expect(() => parseWeightList("70000:1")).toThrow(/above/);
  });
});
