// Commit-reveal v4 for a validator's weights: which path the subnet's settings take, the
// drand-timelocked commit (`commit_timelocked_mechanism_weights`, mechanism 0) with its reveal round
// from the chain's own epoch state, the checks made before anything is signed, and, after it is
// sent, whether the chain revealed it. There is no reveal transaction: the chain decrypts the
// commits of epoch `current − RevealPeriodEpochs` with drand's pulse of their round.
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import { blake2AsHex } from "@polkadot/util-crypto";
import { ChainError, type Head, type Subtensor, type WeightsParams } from "./subtensor.js";
import { decodeG2 } from "./timelock/bls.js";
import { COMMIT_REVEAL_VERSION, timelockedWeightsCommit } from "./timelock/commit.js";
import { QUICKNET } from "./timelock/drand.js";
import {
  legacyRevealRound,
  MECHANISM_INDEX_STRIDE,
  type RevealRound,
  statefulRevealRound,
} from "./timelock/reveal-round.js";
import type { TlockRandomness } from "./timelock/tlock.js";
import type { EmitWeights } from "./weights.js";

/** The pallet keeps at most this many unrevealed timelocked commits per hotkey and epoch. */
export const MAX_UNREVEALED_TIMELOCKED = 10;

const SM = "subtensorModule";

/** How a subnet takes weights. */
export type WeightsPath =
  | { kind: "set_weights" }
  | { kind: "hash" }
  | { kind: "timelocked"; call: "commitTimelockedMechanismWeights" | "commitTimelockedWeights" }
  | { kind: "none"; reason: string };

/**
 * The path the chain's storage says: `set_weights` with commit-reveal off; the drand-timelocked
 * commit with it on and CommitRevealWeightsVersion ≥ 4 (the runtime default, finney's), or where the
 * runtime has no hash commit any more; the hash commit-reveal only where the runtime still has it and
 * the version is below 4.
 */
export function chooseWeightsPath(
  params: Pick<WeightsParams, "commitRevealEnabled" | "commitRevealVersion">,
  hasCall: (call: string) => boolean,
): WeightsPath {
  if (!params.commitRevealEnabled)
    return hasCall("setWeights")
      ? { kind: "set_weights" }
      : { kind: "none", reason: "commit-reveal is off and the runtime has no set_weights" };
  const timelocked = hasCall("commitTimelockedMechanismWeights")
    ? ("commitTimelockedMechanismWeights" as const)
    : hasCall("commitTimelockedWeights")
      ? ("commitTimelockedWeights" as const)
      : null;
  const hash = hasCall("commitWeights") && hasCall("revealWeights");
  if (params.commitRevealVersion < COMMIT_REVEAL_VERSION && hash) return { kind: "hash" };
  if (timelocked) return { kind: "timelocked", call: timelocked };
  if (hash) return { kind: "hash" };
  return {
    kind: "none",
    reason: `commit-reveal is on (CommitRevealWeightsVersion ${params.commitRevealVersion}) and the runtime has neither commit_timelocked_*weights nor commit_weights`,
  };
}

/** The part of the client the timelocked path needs (a test can stand in for it). */
export type TimelockChain = Pick<
  Subtensor,
  | "hasCall"
  | "epochSchedule"
  | "drandState"
  | "timestampMs"
  | "blockTimeSeconds"
  | "timelockedCommits"
  | "timelockedWeightsEvents"
  | "blockHash"
  | "head"
  | "txFn"
>;

export interface TimelockOptions {
  /**
   * The drand beacon to encrypt to. "quicknet" (default): drand's quicknet, and the chain must
   * announce it in Drand.BeaconConfig (finney does). "chain": whatever key the chain announces —
   * for local test chains whose beacon is not quicknet, never for real weights (a chain, or a node
   * lying about it, that knows the key reads the weights at once).
   */
  beacon?: "quicknet" | "chain";
  /** Seconds per block (default: from the chain's timestamps, else 12). */
  blockTimeSeconds?: number;
  /** The time to count from, Unix seconds (default: the head's Timestamp.Now). */
  nowUnixSeconds?: number;
  /** Fixed encryption randomness (tests). */
  randomness?: TlockRandomness;
}

export interface TimelockedPlan {
  /** `SubtensorModule.commit_timelocked_mechanism_weights` (or `…_weights` on older runtimes). */
  call: string;
  netuid: number;
  mecid: number;
  /** The storage index of the mechanism (mecid · 4096 + netuid). */
  netuidIndex: number;
  uids: number[];
  values: number[];
  versionKey: string;
  commitRevealVersion: number;
  revealRound: number;
  /** What the formula gave before the floor. */
  formulaRound: number;
  lastStoredRound: number;
  /** The lowest round sent: LastStoredRound plus the rounds two blocks take (it moves meanwhile). */
  roundFloor: number;
  /** Where the reveal epoch's first block came from. */
  roundFrom: "epoch-state" | "legacy-formula";
  head: number;
  /** The block the commit is expected in, the epoch it is filed under and the one it is revealed in. */
  commitBlock: number;
  commitEpoch: number;
  revealEpoch: number;
  firstRevealBlock: number;
  targetBlock: number;
  blockTimeSeconds: number;
  beacon: { name: "quicknet" | "chain"; publicKey: string; genesisTime: number; period: number };
  /** The encrypted payload's size, and blake2_256 of it (the TimelockedWeightsCommitted hash). */
  commitBytes: number;
  commitHash: string;
  /** SCALE call data, hex. */
  callData: string;
  /** Why the chain would refuse it now, one line each (empty: it may be sent). */
  blockers: string[];
}

const quicknetKey = `0x${QUICKNET.publicKey}`;
const short = (hex: string) => `${hex.slice(0, 18)}…`;

/**
 * Builds the timelocked commit of `emit` for `pair` without sending it: the payload (hotkey's
 * public key, weights as for set_weights, version key) encrypted to drand's round due 3 blocks into
 * the reveal epoch, that epoch's first block read from the chain's epoch state (SubnetEpochIndex,
 * LastEpochBlock, PendingEpochAt) where the runtime has it, else the SDK's legacy formula; the round
 * is never below Drand.LastStoredRound as it will be when the commit lands (two blocks of rounds on). `blockers` says, one line each, what would make the chain
 * refuse it now (too many unrevealed commits this epoch, a beacon the chain does not decrypt with).
 */
export async function planTimelockedCommit(
  chain: TimelockChain,
  pair: KeyringPair,
  netuid: number,
  emit: EmitWeights,
  versionKey: bigint,
  params: WeightsParams,
  call: "commitTimelockedMechanismWeights" | "commitTimelockedWeights",
  opts: TimelockOptions = {},
): Promise<{ plan: TimelockedPlan; tx: SubmittableExtrinsic<"promise"> }> {
  const mecid = 0;
  const netuidIndex = mecid * MECHANISM_INDEX_STRIDE + netuid;
  const head: Head = await chain.head();
  const drand = await chain.drandState();
  if (!drand)
    throw new ChainError(
      "the runtime has no Drand pallet: timelocked weights could never be revealed there",
    );
  const blockers: string[] = [];
  const wantChain = opts.beacon === "chain";
  if (!wantChain && drand.beacon.publicKey !== quicknetKey)
    blockers.push(
      `the chain's drand beacon (Drand.BeaconConfig key ${short(drand.beacon.publicKey)}) is not quicknet, so it could not decrypt a commit to quicknet; encrypting to the chain's own beacon is for test chains only`,
    );
  const beacon = wantChain
    ? { name: "chain" as const, ...drand.beacon }
    : {
        name: "quicknet" as const,
        publicKey: quicknetKey,
        genesisTime: QUICKNET.genesisTime,
        period: QUICKNET.period,
      };
  const blockTimeSeconds = opts.blockTimeSeconds ?? (await chain.blockTimeSeconds(head));
  const nowUnixSeconds = opts.nowUnixSeconds ?? (await chain.timestampMs(head.hash)) / 1000;
  // The chain refuses a round below LastStoredRound when the commit lands, a block or two from
  // now: count the rounds it stores meanwhile (two blocks' worth, at least one).
  const roundFloor =
    drand.lastStoredRound + Math.max(1, Math.ceil((2 * blockTimeSeconds) / beacon.period));
  const common = {
    tempo: params.tempo,
    revealPeriodEpochs: params.revealPeriodEpochs,
    blockTimeSeconds,
    nowUnixSeconds,
    lastStoredRound: roundFloor,
    genesisTime: beacon.genesisTime,
    period: beacon.period,
  };
  const schedule = await chain.epochSchedule(netuid);
  let round: RevealRound & { commitEpoch: number; commitBlock: number };
  if (schedule) {
    round = statefulRevealRound({ ...common, head: head.number, schedule });
  } else {
    const legacy = legacyRevealRound({ ...common, block: head.number, netuid, mecid });
    round = {
      ...legacy,
      commitEpoch: legacy.revealEpoch - params.revealPeriodEpochs,
      commitBlock: head.number + 1,
    };
  }

  const pending = await chain.timelockedCommits(netuidIndex, round.commitEpoch);
  const mine = pending.filter((c) => c.who === pair.address).length;
  if (mine >= MAX_UNREVEALED_TIMELOCKED)
    blockers.push(
      `${mine} unrevealed timelocked commits of ${pair.address} in epoch ${round.commitEpoch} of subnet ${netuid} already (the chain takes ${MAX_UNREVEALED_TIMELOCKED} an epoch): wait for epoch ${round.commitEpoch + 1}`,
    );

  const commit = timelockedWeightsCommit(
    { hotkey: pair.publicKey, ...emit, versionKey },
    round.revealRound,
    {
      publicKey: decodeG2(Buffer.from(beacon.publicKey.slice(2), "hex")),
      ...(opts.randomness ? { randomness: opts.randomness } : {}),
    },
  );
  const commitHex = u8aToHex(commit);
  const fn = chain.txFn(SM, call);
  const tx =
    call === "commitTimelockedMechanismWeights"
      ? fn(netuid, mecid, commitHex, round.revealRound, params.commitRevealVersion)
      : fn(netuid, commitHex, round.revealRound, params.commitRevealVersion);
  return {
    tx,
    plan: {
      call: `SubtensorModule.${call.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
      netuid,
      mecid,
      netuidIndex,
      ...emit,
      versionKey: versionKey.toString(),
      commitRevealVersion: params.commitRevealVersion,
      revealRound: round.revealRound,
      formulaRound: round.formulaRound,
      lastStoredRound: drand.lastStoredRound,
      roundFloor,
      roundFrom: schedule ? "epoch-state" : "legacy-formula",
      head: head.number,
      commitBlock: round.commitBlock,
      commitEpoch: round.commitEpoch,
      revealEpoch: round.revealEpoch,
      firstRevealBlock: round.firstRevealBlock,
      targetBlock: round.targetBlock,
      blockTimeSeconds,
      beacon,
      commitBytes: commit.length,
      commitHash: blake2AsHex(commit),
      callData: tx.method.toHex(),
      blockers,
    },
  };
}

/** What became of a timelocked commit. */
export type TimelockedRevealStatus =
  | { status: "waiting"; epoch: number; revealEpoch: number }
  | { status: "pending"; epoch: number; revealEpoch: number }
  | { status: "revealed"; block: number }
  | { status: "expired"; epoch: number; revealEpoch: number }
  | { status: "dropped"; epoch: number }
  /** Gone, and the blocks that would say whether it was revealed are older than the node keeps. */
  | { status: "unconfirmed"; epoch: number; revealEpoch: number };

export interface TimelockedCommitRecord {
  netuid: number;
  netuidIndex: number;
  hotkey: string;
  commitBlock: number;
  commitEpoch: number;
  revealEpoch: number;
}

/**
 * Whether the chain revealed `record`: `waiting` before its reveal epoch, `pending` while it is still
 * in TimelockedWeightCommits (its pulse has not come), `revealed` with the block of the hotkey's
 * TimelockedWeightsRevealed within the reveal epoch (blocks from `fromBlock` on are read, none older
 * than `readableBlocks` behind the head), `expired` when the reveal epoch passed without one,
 * `dropped` when it left storage within the epoch unrevealed (the chain could not decrypt it or
 * refused its weights), `unconfirmed` when it is gone and the blocks that would tell are too old to
 * read (after a long downtime: the weights on chain are what is left to compare).
 */
export async function timelockedRevealStatus(
  chain: Pick<
    TimelockChain,
    "epochSchedule" | "head" | "timelockedCommits" | "timelockedWeightsEvents" | "blockHash"
  >,
  record: TimelockedCommitRecord,
  tempo: number,
  fromBlock: number,
  /** Blocks behind the head whose events are read (a pruning node keeps 256 blocks of state). */
  readableBlocks = 240,
): Promise<TimelockedRevealStatus> {
  const head = await chain.head();
  const schedule = await chain.epochSchedule(record.netuid);
  const epoch = schedule
    ? schedule.index
    : Math.floor((head.number + record.netuidIndex + 1) / (tempo + 1));
  const { revealEpoch } = record;
  if (epoch < revealEpoch) return { status: "waiting", epoch, revealEpoch };
  if (epoch === revealEpoch) {
    const still = await chain.timelockedCommits(record.netuidIndex, record.commitEpoch);
    if (still.some((c) => c.who === record.hotkey && c.commitBlock === record.commitBlock))
      return { status: "pending", epoch, revealEpoch };
  }
  // The reveal epoch's blocks, where the epoch state tells them (a slot every tempo blocks since).
  let from = Math.max(fromBlock, record.commitBlock + 1);
  let to = head.number;
  if (schedule) {
    from = Math.max(from, schedule.lastEpochBlock - (epoch - revealEpoch) * tempo);
    if (epoch > revealEpoch) to = schedule.lastEpochBlock - (epoch - revealEpoch - 1) * tempo - 1;
  }
  const oldest = Math.max(0, head.number - readableBlocks + 1);
  const clipped = from < oldest;
  from = Math.max(from, oldest);
  for (let n = from; n <= to; n++) {
    const events = await chain.timelockedWeightsEvents(await chain.blockHash(n));
    if (
      events.some(
        (e) =>
          e.name === "TimelockedWeightsRevealed" &&
          e.netuidIndex === record.netuidIndex &&
          e.who === record.hotkey,
      )
    )
      return { status: "revealed", block: n };
  }
  if (clipped) return { status: "unconfirmed", epoch, revealEpoch };
  return epoch > revealEpoch
    ? { status: "expired", epoch, revealEpoch }
    : { status: "dropped", epoch };
}

/**
 * The hotkey's timelocked commit made at or after `sinceBlock`, found in TimelockedWeightCommits of
 * the epochs that can still hold it (the current one and the RevealPeriodEpochs before): what a
 * validator killed mid-send looks up to learn what the chain took. Null when none is there (it was
 * never made, or is already revealed or expired).
 */
export async function findTimelockedCommit(
  chain: Pick<TimelockChain, "epochSchedule" | "head" | "timelockedCommits">,
  netuid: number,
  hotkey: string,
  sinceBlock: number,
  params: Pick<WeightsParams, "tempo" | "revealPeriodEpochs">,
): Promise<{
  commitEpoch: number;
  commitBlock: number;
  revealRound: number;
  commitHash: string;
} | null> {
  const netuidIndex = netuid; // mechanism 0
  const schedule = await chain.epochSchedule(netuid);
  const epoch = schedule
    ? schedule.index
    : Math.floor(((await chain.head()).number + netuidIndex + 1) / (params.tempo + 1));
  for (let e = epoch; e >= Math.max(0, epoch - params.revealPeriodEpochs); e--) {
    const found = (await chain.timelockedCommits(netuidIndex, e)).find(
      (c) => c.who === hotkey && c.commitBlock >= sinceBlock,
    );
    if (found)
      return {
        commitEpoch: e,
        commitBlock: found.commitBlock,
        revealRound: found.revealRound,
        commitHash: blake2AsHex(Buffer.from(found.commit.slice(2), "hex")),
      };
  }
  return null;
}
