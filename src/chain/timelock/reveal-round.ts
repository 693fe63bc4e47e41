// Which drand round to lock a weights commit to, as Bittensor's SDK (bittensor-drand 1.2.0,
// `generate_commit`) computes it: the round due 3 blocks into the reveal epoch, estimated from the
// wall clock. Every input is explicit, so the function is pure.
//
// The chain decrypts the commits of epoch `current - RevealPeriodEpochs` with the pulse of their
// round: too late a round and the commit is dropped unrevealed when the epoch advances; too early
// and anyone reads it early. The legacy epoch arithmetic below can be off by up to a tempo on
// runtimes with the stateful epoch index; `statefulRevealRound` reads that index instead (the reveal
// epoch's first block from SubnetEpochIndex, LastEpochBlock and PendingEpochAt). The chain refuses
// a round below Drand.LastStoredRound, so neither result is ever below `lastStoredRound`.
import { TimelockError } from "./bls.js";
import { QUICKNET } from "./drand.js";

/** Blocks past the reveal epoch's first block the SDK aims the pulse at. */
export const SECURITY_BLOCK_OFFSET = 3;
/** A mechanism's storage index is mecid * 4096 + netuid (subtensor's GLOBAL_MAX_SUBNET_COUNT). */
export const MECHANISM_INDEX_STRIDE = 4096;

export interface RevealRoundInputs {
  /** The current block (the commit goes in at or just after it). */
  block: number;
  netuid: number;
  /** Mechanism id (0 for a subnet's main mechanism). */
  mecid: number;
  /** The subnet's Tempo. */
  tempo: number;
  /** The subnet's RevealPeriodEpochs. */
  revealPeriodEpochs: number;
  /** Seconds per block (12 on finney). */
  blockTimeSeconds: number;
  /** Wall clock, Unix seconds (may be fractional, as the SDK's `as_secs_f64`). */
  nowUnixSeconds: number;
  /** Drand.LastStoredRound: the result is raised to it (default 0: no floor). */
  lastStoredRound?: number;
  /** The beacon's round-1 time and period (default: quicknet). */
  genesisTime?: number;
  period?: number;
}

export interface RevealRound {
  revealRound: number;
  /** What the SDK's formula gives, before the LastStoredRound floor. */
  formulaRound: number;
  revealEpoch: number;
  firstRevealBlock: number;
  targetBlock: number;
  secondsUntilTarget: number;
}

function nonNegativeInteger(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new TimelockError(`${name} must be a non-negative integer, got ${v}`);
}

/** What both formulas share: the beacon's clock, checked once. */
interface BeaconClockInputs {
  blockTimeSeconds: number;
  nowUnixSeconds: number;
  lastStoredRound?: number;
  genesisTime?: number;
  period?: number;
}

/**
 * The round due `secondsUntilTarget` from now: rounded down so it is never one the chain cannot
 * have yet, at least round 1, and (revealRound) never below `lastStoredRound`.
 */
function roundsFrom(
  inputs: BeaconClockInputs,
): (secondsUntilTarget: number) => Pick<RevealRound, "revealRound" | "formulaRound"> {
  const lastStoredRound = inputs.lastStoredRound ?? 0;
  nonNegativeInteger("lastStoredRound", lastStoredRound);
  const genesisTime = inputs.genesisTime ?? QUICKNET.genesisTime;
  const period = inputs.period ?? QUICKNET.period;
  if (!(period > 0)) throw new TimelockError(`period must be positive, got ${period}`);
  if (!Number.isFinite(inputs.blockTimeSeconds) || inputs.blockTimeSeconds < 0)
    throw new TimelockError(`blockTimeSeconds must be >= 0, got ${inputs.blockTimeSeconds}`);
  if (!Number.isFinite(inputs.nowUnixSeconds))
    throw new TimelockError(`nowUnixSeconds must be finite, got ${inputs.nowUnixSeconds}`);
  return (secondsUntilTarget) => {
    const formulaRound = Math.max(
      1,
      Math.floor((inputs.nowUnixSeconds + secondsUntilTarget - genesisTime) / period),
    );
    return { revealRound: Math.max(formulaRound, lastStoredRound), formulaRound };
  };
}

export function legacyRevealRound(inputs: RevealRoundInputs): RevealRound {
  const { block, netuid, mecid, tempo, revealPeriodEpochs } = inputs;
  for (const [name, v] of Object.entries({ block, netuid, mecid, tempo, revealPeriodEpochs }))
    nonNegativeInteger(name, v);
  const roundIn = roundsFrom(inputs);

  const tp1 = tempo + 1;
  const np1 = mecid * MECHANISM_INDEX_STRIDE + netuid + 1;
  const revealEpoch = Math.floor((block + np1) / tp1) + revealPeriodEpochs;
  // The SDK's u64 saturating_sub: never below block 0.
  const firstRevealBlock = Math.max(0, revealEpoch * tp1 - np1);
  const targetBlock = firstRevealBlock + SECURITY_BLOCK_OFFSET;
  const secondsUntilTarget = Math.max(0, targetBlock - block) * inputs.blockTimeSeconds;
  return {
    ...roundIn(secondsUntilTarget),
    revealEpoch,
    firstRevealBlock,
    targetBlock,
    secondsUntilTarget,
  };
}

/**
 * The runtime's stateful epoch scheduler (runtime 424 on: `SubnetEpochIndex`, `LastEpochBlock`,
 * `PendingEpochAt`), as read from storage at the head. An epoch slot is consumed, and the index
 * incremented, at the first block where `block - LastEpochBlock >= tempo` (or at `PendingEpochAt`
 * when an owner triggered one), in the block's initialisation, before its extrinsics.
 */
export interface EpochSchedule {
  /** SubnetEpochIndex: the epoch a commit included now is filed under. */
  index: number;
  /** LastEpochBlock: the block whose initialisation consumed the last slot. */
  lastEpochBlock: number;
  /** PendingEpochAt: a triggered epoch's block, 0 when none is pending. */
  pendingEpochAt: number;
}

export interface StatefulRevealRoundInputs {
  /** The head; the commit is expected in the next block. */
  head: number;
  tempo: number;
  revealPeriodEpochs: number;
  schedule: EpochSchedule;
  /** Seconds per block. */
  blockTimeSeconds: number;
  /** The head's time, Unix seconds. */
  nowUnixSeconds: number;
  lastStoredRound?: number;
  genesisTime?: number;
  period?: number;
}

export interface StatefulRevealRound extends RevealRound {
  /** The epoch the commit will be filed under (SubnetEpochIndex when it is included). */
  commitEpoch: number;
  /** The block the commit is expected in. */
  commitBlock: number;
}

/**
 * reveal_round from the chain's own epoch state: the reveal epoch (commit epoch +
 * RevealPeriodEpochs) starts at the block that consumes that many more slots, and the round is the
 * one due SECURITY_BLOCK_OFFSET blocks after it, as the SDK aims. Never below `lastStoredRound`.
 */
export function statefulRevealRound(inputs: StatefulRevealRoundInputs): StatefulRevealRound {
  const { head, tempo, revealPeriodEpochs, schedule } = inputs;
  for (const [name, v] of Object.entries({
    head,
    tempo,
    revealPeriodEpochs,
    index: schedule.index,
    lastEpochBlock: schedule.lastEpochBlock,
    pendingEpochAt: schedule.pendingEpochAt,
  }))
    nonNegativeInteger(name, v);
  if (tempo === 0)
    throw new TimelockError("tempo is 0: the subnet runs no epochs, so no commit is ever revealed");
  const roundIn = roundsFrom(inputs);

  const commitBlock = head + 1;
  let next = schedule.lastEpochBlock + tempo;
  if (schedule.pendingEpochAt > 0) next = Math.min(next, schedule.pendingEpochAt);
  let commitEpoch = schedule.index;
  // A slot due at or before the commit's block is consumed in that block's initialisation, before
  // the commit; a slot already overdue at the head fires in the next block.
  if (next <= commitBlock) {
    commitEpoch += 1;
    next = commitBlock + tempo;
  }
  const revealEpoch = commitEpoch + revealPeriodEpochs;
  const firstRevealBlock =
    revealPeriodEpochs === 0 ? commitBlock : next + (revealPeriodEpochs - 1) * tempo;
  const targetBlock = firstRevealBlock + SECURITY_BLOCK_OFFSET;
  const secondsUntilTarget = Math.max(0, targetBlock - head) * inputs.blockTimeSeconds;
  return {
    ...roundIn(secondsUntilTarget),
    commitEpoch,
    commitBlock,
    revealEpoch,
    firstRevealBlock,
    targetBlock,
    secondsUntilTarget,
  };
}
