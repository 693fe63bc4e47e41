// The SDK's legacy reveal_round (bittensor-drand 1.2.0 generate_commit) and the one from the
// chain's stateful epoch index, with worked examples computed by hand below, and the
// Drand.LastStoredRound floor.
import { describe, expect, it } from "vitest";
import {
  legacyRevealRound,
  statefulRevealRound,
} from "../../../src/chain/timelock/reveal-round.js";

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

describe("reveal_round from the stateful epoch index (SubnetEpochIndex, LastEpochBlock)", () => {
  const state = {
    head: 1000,
    tempo: 360,
    revealPeriodEpochs: 1,
    schedule: { index: 50, lastEpochBlock: 900, pendingEpochAt: 0 },
    blockTimeSeconds: 12,
    nowUnixSeconds: 1_760_000_000.5,
  };

  it("the reveal epoch starts at the next slot: LastEpochBlock + tempo", () => {
    // Next slot 900 + 360 = 1260 > commit block 1001: commit epoch 50, reveal epoch 51 from 1260.
    // target 1263: 263 blocks · 12 s = 3156 s
    // round = floor((1_760_000_000.5 + 3156 − 1_692_803_367) / 3) = floor(67_199_789.5 / 3)
    //       = floor(22_399_929.83…) = 22_399_929
    expect(statefulRevealRound(state)).toEqual({
      revealRound: 22_399_929,
      formulaRound: 22_399_929,
      commitEpoch: 50,
      commitBlock: 1001,
      revealEpoch: 51,
      firstRevealBlock: 1260,
      targetBlock: 1263,
      secondsUntilTarget: 3156,
    });
  });

  it("a slot due by the commit's block is consumed first: the commit files under the next epoch", () => {
    // LastEpochBlock 641: next slot 1001 = the commit's block, consumed before the commit.
    const r = statefulRevealRound({
      ...state,
      schedule: { index: 50, lastEpochBlock: 641, pendingEpochAt: 0 },
    });
    expect([r.commitEpoch, r.revealEpoch, r.firstRevealBlock]).toEqual([51, 52, 1361]);
    // Overdue at the head (deferred): fires in the next block all the same.
    const overdue = statefulRevealRound({
      ...state,
      schedule: { index: 50, lastEpochBlock: 100, pendingEpochAt: 0 },
    });
    expect([overdue.commitEpoch, overdue.firstRevealBlock]).toEqual([51, 1361]);
  });

  it("an owner's pending trigger comes first when it is sooner", () => {
    const r = statefulRevealRound({
      ...state,
      schedule: { index: 50, lastEpochBlock: 900, pendingEpochAt: 1100 },
    });
    expect([r.commitEpoch, r.firstRevealBlock, r.targetBlock]).toEqual([50, 1100, 1103]);
  });

  it("a longer reveal period adds whole tempos; period 0 reveals in the commit's own epoch", () => {
    const two = statefulRevealRound({ ...state, revealPeriodEpochs: 2 });
    expect([two.revealEpoch, two.firstRevealBlock]).toEqual([52, 1620]);
    const zero = statefulRevealRound({ ...state, revealPeriodEpochs: 0 });
    expect([zero.revealEpoch, zero.firstRevealBlock, zero.secondsUntilTarget]).toEqual([
      50,
      1001,
      4 * 12,
    ]);
  });

  it("follows the beacon's timing, and is never below Drand.LastStoredRound", () => {
    // 1 s blocks (the demo's chain): 263 s; genesis and period as given.
    const fast = statefulRevealRound({
      ...state,
      blockTimeSeconds: 1,
      nowUnixSeconds: 1000,
      genesisTime: 100,
      period: 2,
    });
    expect(fast.revealRound).toBe(Math.floor((1000 + 263 - 100) / 2));
    expect(statefulRevealRound({ ...state, lastStoredRound: 30_000_000 }).revealRound).toBe(
      30_000_000,
    );
  });

  it("refuses a subnet with tempo 0 (no epochs, nothing is ever revealed) and bad state", () => {
    expect(() => statefulRevealRound({ ...state, tempo: 0 })).toThrow(/tempo is 0/);
    expect(() =>
      statefulRevealRound({ ...state, schedule: { ...state.schedule, index: -1 } }),
    ).toThrow(/index/);
  });
});
