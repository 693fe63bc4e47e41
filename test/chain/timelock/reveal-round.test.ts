// The SDK's legacy reveal_round (bittensor-drand 1.2.0 generate_commit), with worked examples
// computed by hand below, and the Drand.LastStoredRound floor.
import { describe, expect, it } from "vitest";
import { legacyRevealRound } from "../../../src/chain/timelock/reveal-round.js";

const base = {
  block: 5_000_000,
  netuid: 7,
  mecid: 0,
  tempo: 360,
  revealPeriodEpochs: 1,
  blockTimeSeconds: 12,
  nowUnixSeconds: 1_760_000_000.5,
};

describe("legacy reveal_round", () => {
  it("netuid 7, tempo 360, one epoch: worked by hand", () => {
    // np1 = 0·4096 + 7 + 1 = 8, tp1 = 361
    // current epoch = floor((5_000_000 + 8) / 361) = 13850   (361 · 13850 = 4_999_850, rest 158)
    // reveal epoch = 13851; first block = 13851 · 361 − 8 = 5_000_211 − 8 = 5_000_203
    // target = 5_000_206; 206 blocks · 12 s = 2472 s
    // round = floor((1_760_000_000.5 + 2472 − 1_692_803_367) / 3) = floor(67_199_105.5 / 3)
    //       = floor(22_399_701.83…) = 22_399_701
    expect(legacyRevealRound(base)).toEqual({
      revealRound: 22_399_701,
      formulaRound: 22_399_701,
      revealEpoch: 13851,
      firstRevealBlock: 5_000_203,
      targetBlock: 5_000_206,
      secondsUntilTarget: 2472,
    });
  });

  it("mechanism 1 of netuid 7 uses index 4096 + 7", () => {
    // np1 = 4096 + 7 + 1 = 4104; floor(5_004_104 / 361) = 13861 (361 · 13861 = 5_003_821)
    // first = 13862 · 361 − 4104 = 5_004_182 − 4104 = 5_000_078; target 5_000_081: 81 · 12 = 972 s
    // round = floor((1_760_000_000.5 + 972 − 1_692_803_367) / 3) = floor(67_197_605.5 / 3) = 22_399_201
    const r = legacyRevealRound({ ...base, mecid: 1 });
    expect(r.firstRevealBlock).toBe(5_000_078);
    expect(r.revealRound).toBe(22_399_201);
  });

  it("never waits a negative time: a target already past counts as now", () => {
    // Reveal period 0: first = 13850 · 361 − 8 = 4_999_842, target 4_999_845 < block, 0 s.
    // round = floor((1_760_000_000.5 − 1_692_803_367) / 3) = floor(67_196_633.5 / 3) = 22_398_877
    const r = legacyRevealRound({ ...base, revealPeriodEpochs: 0 });
    expect(r.targetBlock).toBe(4_999_845);
    expect(r.secondsUntilTarget).toBe(0);
    expect(r.revealRound).toBe(22_398_877);
  });

  it("is never below Drand.LastStoredRound, and not raised when already above it", () => {
    const raised = legacyRevealRound({ ...base, lastStoredRound: 22_400_000 });
    expect(raised.revealRound).toBe(22_400_000);
    expect(raised.formulaRound).toBe(22_399_701);
    expect(legacyRevealRound({ ...base, lastStoredRound: 22_000_000 }).revealRound).toBe(
      22_399_701,
    );
  });

  it("is at least round 1 (a clock before genesis), and follows the clock", () => {
    expect(legacyRevealRound({ ...base, nowUnixSeconds: 0 }).revealRound).toBe(1);
    const later = legacyRevealRound({ ...base, nowUnixSeconds: base.nowUnixSeconds + 30 });
    expect(later.revealRound).toBe(22_399_711);
  });

  it("refuses inputs that are not what the chain has", () => {
    expect(() => legacyRevealRound({ ...base, block: -1 })).toThrow(/block/);
    expect(() => legacyRevealRound({ ...base, tempo: 1.5 })).toThrow(/tempo/);
    expect(() => legacyRevealRound({ ...base, lastStoredRound: -3 })).toThrow(/lastStoredRound/);
    expect(() => legacyRevealRound({ ...base, nowUnixSeconds: Number.NaN })).toThrow(
      /nowUnixSeconds/,
    );
    expect(() => legacyRevealRound({ ...base, blockTimeSeconds: -12 })).toThrow(/blockTimeSeconds/);
  });
});
