// Which drand round to lock a weights commit to, as Bittensor's SDK (bittensor-drand 1.2.0,
// `generate_commit`) computes it: the round due 3 blocks into the reveal epoch, estimated from the
// wall clock. Every input is explicit, so the function is pure.
//
// The chain decrypts the commits of epoch `current - RevealPeriodEpochs` with the pulse of their
// round: too late a round and the commit is dropped unrevealed when the epoch advances; too early
// and anyone reads it early. The legacy epoch arithmetic below can be off by up to a tempo on
// runtimes with the stateful epoch index. The transaction pool refuses a round below
// Drand.LastStoredRound, so the result is never below `lastStoredRound`.
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

export function legacyRevealRound(inputs: RevealRoundInputs): RevealRound {
  const { block, netuid, mecid, tempo, revealPeriodEpochs } = inputs;
  for (const [name, v] of Object.entries({ block, netuid, mecid, tempo, revealPeriodEpochs }))
    nonNegativeInteger(name, v);
  const lastStoredRound = inputs.lastStoredRound ?? 0;
  nonNegativeInteger("lastStoredRound", lastStoredRound);
  const genesisTime = inputs.genesisTime ?? QUICKNET.genesisTime;
  const period = inputs.period ?? QUICKNET.period;
  if (!(period > 0)) throw new TimelockError(`period must be positive, got ${period}`);
  if (!Number.isFinite(inputs.blockTimeSeconds) || inputs.blockTimeSeconds < 0)
    throw new TimelockError(`blockTimeSeconds must be >= 0, got ${inputs.blockTimeSeconds}`);
  if (!Number.isFinite(inputs.nowUnixSeconds))
    throw new TimelockError(`nowUnixSeconds must be finite, got ${inputs.nowUnixSeconds}`);

  const tp1 = tempo + 1;
  const np1 = mecid * MECHANISM_INDEX_STRIDE + netuid + 1;
  const revealEpoch = Math.floor((block + np1) / tp1) + revealPeriodEpochs;
  // The SDK's u64 saturating_sub: never below block 0.
  const firstRevealBlock = Math.max(0, revealEpoch * tp1 - np1);
  const targetBlock = firstRevealBlock + SECURITY_BLOCK_OFFSET;
  const secondsUntilTarget = Math.max(0, targetBlock - block) * inputs.blockTimeSeconds;
  // Rounded down so the round is never one the chain cannot have yet; at least round 1.
  const formulaRound = Math.max(
    1,
    Math.floor((inputs.nowUnixSeconds + secondsUntilTarget - genesisTime) / period),
  );
  return {
    revealRound: Math.max(formulaRound, lastStoredRound),
    formulaRound,
    revealEpoch,
    firstRevealBlock,
    targetBlock,
    secondsUntilTarget,
  };
}
