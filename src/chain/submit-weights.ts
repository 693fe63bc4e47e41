// A validator's weights on subtensor, by the path the subnet's settings take (timelocked-weights.ts,
// chooseWeightsPath): `set_weights` with commit-reveal off; with it on, the drand-timelocked commit
// (`commit_timelocked_mechanism_weights`, commit-reveal v4, finney's default), which the chain
// reveals itself, or where the runtime still has it and the version is below 4 the hash
// commit-reveal (`commit_weights` now, `reveal_weights` in the reveal epoch) with the pending reveal
// kept in a file so a restart still reveals. It never reports weights it did not send.
import { randomInt } from "node:crypto";
import type { KeyringPair } from "@polkadot/keyring/types";
import { loadPendingReveals, type PendingReveal, savePendingReveals } from "./pending-reveal.js";
import {
  ChainError,
  ExtrinsicFailedError,
  type Subtensor,
  type WeightsParams,
} from "./subtensor.js";
import {
  chooseWeightsPath,
  planTimelockedCommit,
  type TimelockChain,
  type TimelockedPlan,
  type TimelockOptions,
} from "./timelocked-weights.js";
import {
  convertWeightsAndUidsForEmit,
  type EmitWeights,
  epochIndex,
  rateLimitBlocksLeft,
  revealStatus,
  revealWindow,
  weightCommitHash,
} from "./weights.js";

/** The pallet's errors that mean "this chain does not take hash commits here". */
const HASH_PATH_REFUSED = new Set([
  "SubtensorModule.CommitRevealDisabled",
  "SubtensorModule.IncorrectCommitRevealVersion",
  "System.CallFiltered",
]);

export class WeightsRefusedError extends ChainError {}

/** The part of the client weights need (a test can stand in for it). */
export type WeightsChain = Pick<
  Subtensor,
  "weightsParams" | "head" | "uidOf" | "lastUpdate" | "txFn" | "submit"
> &
  TimelockChain;

export interface SubmitWeightsOptions {
  /** Where pending reveals are kept (JSON, replaced atomically). */
  pendingPath: string;
  /** The version key to send; raised to the chain's `WeightsVersionKey` when lower (default 0). */
  versionKey?: bigint;
  /** Salt of a hash commit (default: 8 random u16, as Bittensor's SDK makes). */
  salt?: number[];
  /** The timelocked path's beacon, clock and block time (timelocked-weights.ts). */
  timelock?: TimelockOptions;
}

/** What a timelocked commit is on chain: the store keeps it to follow the chain's reveal. */
export interface TimelockedCommitFacts {
  netuidIndex: number;
  /** blake2_256 of the commit bytes, as TimelockedWeightsCommitted names it. */
  commitHash: string;
  revealRound: number;
  commitBlock: number;
  /** The epoch it is filed under (read at its block) and the one the chain reveals it in. */
  commitEpoch: number;
  revealEpoch: number;
  /** The reveal epoch's first and last blocks, as expected when it was sent. */
  firstRevealBlock: number;
  lastRevealBlock: number;
}

export type WeightsOutcome =
  | { kind: "nothing"; reason: string }
  | { kind: "set"; uids: number[]; values: number[]; versionKey: string; block: number }
  | {
      kind: "committed";
      uids: number[];
      values: number[];
      versionKey: string;
      commitHash: string;
      commitBlock: number;
      revealEpoch: number;
      firstRevealBlock: number;
      lastRevealBlock: number;
    }
  | ({
      /** A drand-timelocked commit: the chain reveals it itself, no reveal transaction. */
      kind: "timelocked";
      uids: number[];
      values: number[];
      versionKey: string;
      call: string;
    } & TimelockedCommitFacts);

export type RevealOutcome =
  | { kind: "revealed"; netuid: number; commitHash: string; block: number }
  | { kind: "waiting"; netuid: number; commitHash: string; blocksLeft: number }
  | { kind: "dropped"; netuid: number; commitHash: string; reason: string };

export interface SubmitWeightsReport {
  /** What happened to commits pending from earlier runs (revealed first). */
  reveals: RevealOutcome[];
  outcome: WeightsOutcome;
}

function randomSalt(): number[] {
  return Array.from({ length: 8 }, () => randomInt(0, 65536));
}

function failureName(err: unknown): string | undefined {
  return err instanceof ExtrinsicFailedError ? `${err.pallet}.${err.error}` : undefined;
}

/**
 * Reveals every pending commit of `pair` whose reveal epoch has come; drops the expired ones and
 * those the chain rejects (with the reason); keeps the rest. The file is saved after each change.
 */
export async function revealPendingWeights(
  chain: WeightsChain,
  pair: KeyringPair,
  pendingPath: string,
): Promise<RevealOutcome[]> {
  const outcomes: RevealOutcome[] = [];
  let pending = await loadPendingReveals(pendingPath);
  for (const p of pending.filter((x) => x.hotkey === pair.address)) {
    const params = await chain.weightsParams(p.netuid);
    const head = await chain.head();
    // As the pallet does: both epochs with today's tempo and reveal period.
    const revealEpoch =
      epochIndex(p.netuid, params.tempo, p.commitBlock) + params.revealPeriodEpochs;
    const status = revealStatus(p.netuid, params.tempo, revealEpoch, head.number);
    const base = { netuid: p.netuid, commitHash: p.commitHash };
    if (status === "early") {
      const { firstBlock } = revealWindow(
        p.netuid,
        params.tempo,
        params.revealPeriodEpochs,
        p.commitBlock,
      );
      outcomes.push({
        ...base,
        kind: "waiting",
        blocksLeft: Math.max(1, firstBlock - head.number),
      });
      continue;
    }
    let outcome: RevealOutcome;
    if (status === "expired") {
      outcome = { ...base, kind: "dropped", reason: `reveal epoch ${revealEpoch} has passed` };
    } else {
      const tx = chain.txFn("subtensorModule", "revealWeights")(
        p.netuid,
        p.uids,
        p.values,
        p.salt,
        BigInt(p.versionKey),
      );
      try {
        const result = await chain.submit(pair, tx);
        outcome = { ...base, kind: "revealed", block: result.blockNumber };
      } catch (err) {
        // A pallet error will not go away by retrying; a connection error might.
        if (!(err instanceof ExtrinsicFailedError)) throw err;
        outcome = { ...base, kind: "dropped", reason: err.message };
      }
    }
    outcomes.push(outcome);
    pending = pending.filter((x) => x.commitHash !== p.commitHash);
    await savePendingReveals(pendingPath, pending);
  }
  return outcomes;
}

interface Preflight {
  params: WeightsParams;
  uid: number;
  versionKey: bigint;
  /** Why the chain would refuse weights from this uid now (the rate limit), one line each. */
  blockers: string[];
}

/** What every path checks first: registration, the rate limit, the version key. */
async function preflight(
  chain: WeightsChain,
  pair: KeyringPair,
  netuid: number,
  wanted: bigint,
): Promise<Preflight> {
  const params = await chain.weightsParams(netuid);
  const uid = await chain.uidOf(netuid, pair.address);
  if (uid === undefined)
    throw new ChainError(`hotkey ${pair.address} is not registered on subnet ${netuid}`);
  const head = await chain.head();
  const left = rateLimitBlocksLeft(
    await chain.lastUpdate(netuid, uid),
    params.weightsSetRateLimit,
    head.number,
  );
  const blockers =
    left > 0
      ? [
          `too soon: ${left} blocks left before uid ${uid} may set weights on subnet ${netuid} (WeightsSetRateLimit ${params.weightsSetRateLimit})`,
        ]
      : [];
  const versionKey = wanted > params.weightsVersionKey ? wanted : params.weightsVersionKey;
  return { params, uid, versionKey, blockers };
}

function pathOf(chain: WeightsChain, netuid: number, params: WeightsParams) {
  const path = chooseWeightsPath(params, (call) => chain.hasCall("subtensorModule", call));
  if (path.kind === "none")
    throw new WeightsRefusedError(`subnet ${netuid}: ${path.reason}; no weights were set`);
  return path;
}

/**
 * Sets `pair`'s weights on the subnet: u16 as Bittensor's SDK encodes them, version key at least
 * the chain's, rate limit checked first ("too soon: N blocks left"), by the path the subnet's
 * settings take (chooseWeightsPath). Pending hash reveals are handled first. Returns what happened;
 * throws ChainError with a one-line reason where the chain would refuse it.
 */
export async function submitWeights(
  chain: WeightsChain,
  pair: KeyringPair,
  netuid: number,
  uids: number[],
  weights: number[],
  opts: SubmitWeightsOptions,
): Promise<SubmitWeightsReport> {
  const emit = convertWeightsAndUidsForEmit(uids, weights);
  const reveals = await revealPendingWeights(chain, pair, opts.pendingPath);
  if (emit.uids.length === 0)
    return { reveals, outcome: { kind: "nothing", reason: "every weight is zero" } };

  const { params, versionKey, blockers } = await preflight(
    chain,
    pair,
    netuid,
    opts.versionKey ?? 0n,
  );
  if (blockers[0]) throw new ChainError(blockers[0]);
  const sm = "subtensorModule";
  const path = pathOf(chain, netuid, params);

  if (path.kind === "timelocked") {
    const { plan, tx } = await planTimelockedCommit(
      chain,
      pair,
      netuid,
      emit,
      versionKey,
      params,
      path.call,
      opts.timelock,
    );
    if (plan.blockers[0]) throw new WeightsRefusedError(plan.blockers[0]);
    return { reveals, outcome: await sendTimelocked(chain, pair, plan, tx, params) };
  }

  if (path.kind === "set_weights") {
    const tx = chain.txFn(sm, "setWeights")(netuid, emit.uids, emit.values, versionKey);
    const result = await chain.submit(pair, tx);
    return {
      reveals,
      outcome: {
        kind: "set",
        ...emit,
        versionKey: versionKey.toString(),
        block: result.blockNumber,
      },
    };
  }

  const salt = opts.salt ?? randomSalt();
  const commitHash = weightCommitHash({
    publicKey: pair.publicKey,
    netuid,
    ...emit,
    salt,
    versionKey,
  });
  let commitBlock: number;
  try {
    commitBlock = (await chain.submit(pair, chain.txFn(sm, "commitWeights")(netuid, commitHash)))
      .blockNumber;
  } catch (err) {
    const name = failureName(err);
    if (name && HASH_PATH_REFUSED.has(name))
      throw new WeightsRefusedError(
        `subnet ${netuid} has CommitRevealWeightsEnabled (CommitRevealWeightsVersion ${params.commitRevealVersion}, below 4, so the hash commit-reveal) and the chain refused the hash commit (${name}); no weights were set`,
      );
    throw err;
  }
  const window = revealWindow(netuid, params.tempo, params.revealPeriodEpochs, commitBlock);
  const pending: PendingReveal = {
    hotkey: pair.address,
    netuid,
    ...emit,
    salt,
    versionKey: versionKey.toString(),
    commitHash,
    commitBlock,
    revealEpoch: window.revealEpoch,
    firstRevealBlock: window.firstBlock,
    lastRevealBlock: window.lastBlock,
  };
  await savePendingReveals(opts.pendingPath, [
    ...(await loadPendingReveals(opts.pendingPath)),
    pending,
  ]);
  return {
    reveals,
    outcome: {
      kind: "committed",
      ...emit,
      versionKey: pending.versionKey,
      commitHash,
      commitBlock,
      revealEpoch: window.revealEpoch,
      firstRevealBlock: window.firstBlock,
      lastRevealBlock: window.lastBlock,
    },
  };
}

/** Sends a planned timelocked commit; the epoch it was filed under is read at its block. */
async function sendTimelocked(
  chain: WeightsChain,
  pair: KeyringPair,
  plan: TimelockedPlan,
  tx: Parameters<WeightsChain["submit"]>[1],
  params: WeightsParams,
): Promise<WeightsOutcome> {
  const result = await chain.submit(pair, tx);
  const schedule = await chain.epochSchedule(plan.netuid, result.blockHash);
  const commitEpoch = schedule
    ? schedule.index
    : Math.floor((result.blockNumber + plan.netuidIndex + 1) / (params.tempo + 1));
  const firstRevealBlock = plan.firstRevealBlock + (commitEpoch - plan.commitEpoch) * params.tempo;
  return {
    kind: "timelocked",
    uids: plan.uids,
    values: plan.values,
    versionKey: plan.versionKey,
    call: plan.call,
    netuidIndex: plan.netuidIndex,
    commitHash: plan.commitHash,
    revealRound: plan.revealRound,
    commitBlock: result.blockNumber,
    commitEpoch,
    revealEpoch: commitEpoch + params.revealPeriodEpochs,
    firstRevealBlock,
    // Stateful epochs are `tempo` blocks long; the legacy ones tempo + 1.
    lastRevealBlock: firstRevealBlock + params.tempo - (schedule ? 1 : 0),
  };
}

/** What `submitWeights` would send now, without signing or sending anything (a dry run). */
export interface WeightsPreview {
  path: "set_weights" | "hash" | "timelocked";
  /** `SubtensorModule.call_name`. */
  call: string;
  /** SCALE call data, hex. */
  callData: string;
  uids: number[];
  values: number[];
  versionKey: string;
  /** Why the chain would refuse it now, one line each (empty: it would be sent). */
  blockers: string[];
  /** The timelocked commit's round, epochs and beacon. */
  timelocked?: TimelockedPlan;
}

const callNameOf = (camel: string) =>
  `SubtensorModule.${camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;

/**
 * The call `submitWeights` would send for these weights, its hex, and (timelocked) its round and
 * epochs, with the reasons the chain would refuse it now; nothing is signed or sent. A hash commit's
 * salt here is a fresh one, not kept: the call shows the shape, not a commit to reveal later.
 */
export async function previewWeights(
  chain: WeightsChain,
  pair: KeyringPair,
  netuid: number,
  uids: number[],
  weights: number[],
  opts: Pick<SubmitWeightsOptions, "versionKey" | "salt" | "timelock"> = {},
): Promise<WeightsPreview | { path: "nothing"; reason: string }> {
  const emit: EmitWeights = convertWeightsAndUidsForEmit(uids, weights);
  if (emit.uids.length === 0) return { path: "nothing", reason: "every weight is zero" };
  const { params, versionKey, blockers } = await preflight(
    chain,
    pair,
    netuid,
    opts.versionKey ?? 0n,
  );
  const path = pathOf(chain, netuid, params);
  const base = { ...emit, versionKey: versionKey.toString() };
  if (path.kind === "timelocked") {
    const { plan } = await planTimelockedCommit(
      chain,
      pair,
      netuid,
      emit,
      versionKey,
      params,
      path.call,
      opts.timelock,
    );
    return {
      path: "timelocked",
      call: plan.call,
      callData: plan.callData,
      ...base,
      blockers: [...blockers, ...plan.blockers],
      timelocked: plan,
    };
  }
  const sm = "subtensorModule";
  const tx =
    path.kind === "set_weights"
      ? chain.txFn(sm, "setWeights")(netuid, emit.uids, emit.values, versionKey)
      : chain.txFn(sm, "commitWeights")(
          netuid,
          weightCommitHash({
            publicKey: pair.publicKey,
            netuid,
            ...emit,
            salt: opts.salt ?? randomSalt(),
            versionKey,
          }),
        );
  return {
    path: path.kind,
    call: callNameOf(path.kind === "set_weights" ? "setWeights" : "commitWeights"),
    callData: tx.method.toHex(),
    ...base,
    blockers,
  };
}
