// A validator's weights on subtensor, by whichever path the subnet allows: `set_weights` directly,
// or where `CommitRevealWeightsEnabled` is on, the hash commit-reveal (`commit_weights` now,
// `reveal_weights` in the reveal epoch) with the pending reveal kept in a file so a restart still
// reveals. The drand-timelocked path (`commit_timelocked_weights`) is not implemented: where the
// chain accepts only that, this refuses and says so; it never reports weights it did not set.
import { randomInt } from "node:crypto";
import type { KeyringPair } from "@polkadot/keyring/types";
import { loadPendingReveals, type PendingReveal, savePendingReveals } from "./pending-reveal.js";
import { ChainError, ExtrinsicFailedError, type Subtensor } from "./subtensor.js";
import {
  convertWeightsAndUidsForEmit,
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
>;

export interface SubmitWeightsOptions {
  /** Where pending reveals are kept (JSON, replaced atomically). */
  pendingPath: string;
  /** The version key to send; raised to the chain's `WeightsVersionKey` when lower (default 0). */
  versionKey?: bigint;
  /** Salt of a hash commit (default: 8 random u16, as Bittensor's SDK makes). */
  salt?: number[];
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
    };

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

/**
 * Sets `pair`'s weights on the subnet: u16 as Bittensor's SDK encodes them, version key at least
 * the chain's, rate limit checked first ("too soon: N blocks left"). Pending reveals are handled
 * first. Returns what happened; throws WeightsRefusedError where only the timelocked path is open.
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
  if (left > 0)
    throw new ChainError(
      `too soon: ${left} blocks left before uid ${uid} may set weights on subnet ${netuid} (WeightsSetRateLimit ${params.weightsSetRateLimit})`,
    );
  const wanted = opts.versionKey ?? 0n;
  const versionKey = wanted > params.weightsVersionKey ? wanted : params.weightsVersionKey;
  const sm = "subtensorModule";

  if (!params.commitRevealEnabled) {
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
        `subnet ${netuid} has CommitRevealWeightsEnabled (CommitRevealWeightsVersion ${params.commitRevealVersion}) and the chain refused the hash commit (${name}): it takes only commit_timelocked_weights, which Cacheon does not implement yet; no weights were set`,
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
