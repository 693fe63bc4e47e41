// Weight setting, once per slot of `everyBlocks` blocks (default: the subnet's tempo), at most one
// success per slot even across kills: the attempt is recorded before the extrinsic is sent, and a
// restarted validator that finds an attempt still "submitting" asks the chain whether it landed
// (the neuron's LastUpdate moved past the attempt's start) before sending anything again.
// On a commit-reveal v4 subnet the slot's weights go as a drand-timelocked commit, recorded with the
// slot; the chain reveals it itself, and revealStep watches for that (TimelockedWeightsRevealed for
// this hotkey in the reveal epoch). A commit that expires unrevealed is reported; the next slot
// commits again.
import type { KeyringPair } from "@polkadot/keyring/types";
import { submitWeights, type WeightsChain } from "../chain/submit-weights.js";
import { backoffDelay, type Subtensor, type WeightsParams } from "../chain/subtensor.js";
import {
  findTimelockedCommit,
  type TimelockOptions,
  timelockedRevealStatus,
} from "../chain/timelocked-weights.js";
import { convertWeightsAndUidsForEmit } from "../chain/weights.js";
import type { ValidatorStore, WeightCommitInput, WeightSet } from "../store/store.js";
import { failpoint } from "./failpoint.js";

export interface WeightsOptions {
  chain: WeightsChain;
  pair: KeyringPair;
  netuid: number;
  store: ValidatorStore;
  /** Pending hash-commit reveals (commit-reveal subnets), JSON in the state dir. */
  pendingPath: string;
  /** Blocks per slot; default the subnet's tempo (never below its rate limit). */
  everyBlocks?: number;
  retry: { baseMs: number; maxMs: number };
  now: () => number;
  /** The timelocked path's drand beacon (quicknet unless told otherwise), clock and block time. */
  timelock?: TimelockOptions;
}

type Landed = { ok: true; block: number; outcome: string; commit?: WeightCommitInput };

/**
 * What an attempt whose end is unknown left on chain: the neuron's LastUpdate past the attempt's
 * start means it landed; on a timelocked subnet the commit itself is looked up, so its reveal is
 * still watched (when it is no longer in storage, it is recorded as a plain set).
 */
async function landed(
  o: WeightsOptions,
  w: WeightSet,
  params: WeightsParams,
): Promise<Landed | null> {
  const uid = await o.chain.uidOf(o.netuid, o.pair.address);
  const last = uid === undefined ? 0 : await o.chain.lastUpdate(o.netuid, uid);
  if (last < w.startedBlock) return null;
  const found: Landed = { ok: true, block: last, outcome: "set (found on chain afterwards)" };
  if (!params.commitRevealEnabled) return found;
  const c = await findTimelockedCommit(o.chain, o.netuid, o.pair.address, w.startedBlock, params);
  if (!c) return found;
  const firstRevealBlock = c.commitBlock + params.revealPeriodEpochs * params.tempo;
  return {
    ok: true,
    block: c.commitBlock,
    outcome: `timelocked commit to drand round ${c.revealRound} (found on chain afterwards)`,
    commit: {
      netuidIndex: o.netuid,
      hotkey: o.pair.address,
      commitHash: c.commitHash,
      revealRound: c.revealRound,
      commitBlock: c.commitBlock,
      commitEpoch: c.commitEpoch,
      revealEpoch: c.commitEpoch + params.revealPeriodEpochs,
      // Not known exactly from storage: the reveal epoch's blocks as estimated from the commit.
      firstRevealBlock,
      lastRevealBlock: firstRevealBlock + params.tempo,
    },
  };
}

/** Sets the weights if this slot has none yet; the slot's record when something happened. */
export async function weightsStep(
  o: WeightsOptions,
  head: number,
  vector: { uids: number[]; weights: number[] },
): Promise<WeightSet | null> {
  const params = await o.chain.weightsParams(o.netuid);
  const every = Math.max(o.everyBlocks ?? params.tempo, params.weightsSetRateLimit, 1);
  const slot = Math.floor(head / every);
  // An attempt whose end is unknown — a kill interrupted it, or it failed on a timeout or a lost
  // connection, possibly after the chain took it — is looked up on chain before any new attempt.
  for (const w of o.store.weightSets().filter((x) => x.status === "submitting")) {
    const found = await landed(o, w, params);
    o.store.finishWeightSet(
      w.slot,
      found ?? { ok: false, error: "interrupted before it reached the chain", nextTryMs: 0 },
      o.now(),
    );
  }
  const prev = o.store.weightSet(slot);
  if (prev?.status === "set") return null;
  if (prev?.status === "failed") {
    if (o.now() < prev.nextTryMs) return null;
    const found = await landed(o, prev, params);
    if (found) {
      o.store.finishWeightSet(slot, found, o.now());
      return o.store.weightSet(slot);
    }
  }
  const started = o.store.beginWeightSet(slot, vector, head, o.now());
  failpoint("before-weights-submit");
  try {
    const r = await submitWeights(o.chain, o.pair, o.netuid, vector.uids, vector.weights, {
      pendingPath: o.pendingPath,
      ...(o.timelock ? { timelock: o.timelock } : {}),
    });
    failpoint("after-weights-submit");
    const { outcome } = r;
    if (outcome.kind === "timelocked") {
      o.store.finishWeightSet(
        slot,
        {
          ok: true,
          block: outcome.commitBlock,
          outcome: `timelocked commit to drand round ${outcome.revealRound}, for the chain to reveal in epoch ${outcome.revealEpoch}`,
          commit: {
            netuidIndex: outcome.netuidIndex,
            hotkey: o.pair.address,
            commitHash: outcome.commitHash,
            revealRound: outcome.revealRound,
            commitBlock: outcome.commitBlock,
            commitEpoch: outcome.commitEpoch,
            revealEpoch: outcome.revealEpoch,
            firstRevealBlock: outcome.firstRevealBlock,
            lastRevealBlock: outcome.lastRevealBlock,
          },
        },
        o.now(),
      );
      return o.store.weightSet(slot);
    }
    const block =
      outcome.kind === "set"
        ? outcome.block
        : outcome.kind === "committed"
          ? outcome.commitBlock
          : head;
    o.store.finishWeightSet(
      slot,
      { ok: true, block, outcome: outcome.kind === "nothing" ? outcome.reason : outcome.kind },
      o.now(),
    );
  } catch (err) {
    const wait = backoffDelay(started.attempts - 1, o.retry.baseMs, o.retry.maxMs);
    o.store.finishWeightSet(
      slot,
      { ok: false, error: (err as Error).message, nextTryMs: o.now() + wait },
      o.now(),
    );
  }
  return o.store.weightSet(slot);
}

/**
 * Checks each pending timelocked commit against the chain: revealed (the hotkey's
 * TimelockedWeightsRevealed in its reveal epoch), expired (the epoch passed without it), dropped
 * (gone unrevealed within it), or still pending. Returns the slots whose commit was settled now,
 * with it.
 */
export async function revealStep(
  o: Pick<WeightsOptions, "netuid" | "store" | "now"> & {
    chain: WeightsChain & Pick<Subtensor, "weightsOf">;
  },
): Promise<WeightSet[]> {
  const pending = o.store.pendingWeightCommits();
  if (pending.length === 0) return [];
  const { tempo } = await o.chain.weightsParams(o.netuid);
  const settled: WeightSet[] = [];
  for (const c of pending) {
    const head = (await o.chain.head()).number;
    const status = await timelockedRevealStatus(
      o.chain,
      { ...c, netuid: o.netuid },
      tempo,
      c.checkedBlock + 1,
    );
    if (status.status === "waiting" || status.status === "pending") {
      o.store.updateWeightCommit(c.slot, { status: "pending", checkedBlock: head }, o.now());
      continue;
    }
    if (status.status === "unconfirmed") {
      // Its reveal epoch is older than the node's state: the weights on chain tell.
      const set = o.store.weightSet(c.slot);
      const uid = await o.chain.uidOf(o.netuid, c.hotkey);
      const onChain = uid === undefined ? [] : await o.chain.weightsOf(o.netuid, uid);
      const mine = set
        ? convertWeightsAndUidsForEmit(set.uids, set.weights)
        : { uids: [], values: [] };
      const same =
        onChain.length === mine.uids.length &&
        onChain.every(([u, v], i) => u === mine.uids[i] && v === mine.values[i]);
      o.store.updateWeightCommit(
        c.slot,
        same
          ? { status: "revealed", revealBlock: null, checkedBlock: head }
          : { status: "unconfirmed", checkedBlock: head },
        o.now(),
      );
    } else
      o.store.updateWeightCommit(
        c.slot,
        status.status === "revealed"
          ? { status: "revealed", revealBlock: status.block, checkedBlock: status.block }
          : { status: status.status, checkedBlock: head },
        o.now(),
      );
    const set = o.store.weightSet(c.slot);
    if (set) settled.push(set);
  }
  return settled;
}
