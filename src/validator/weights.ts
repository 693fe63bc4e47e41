// Weight setting, once per slot of `everyBlocks` blocks (default: the subnet's tempo), at most one
// success per slot even across kills: the attempt is recorded before the extrinsic is sent, and a
// restarted validator that finds an attempt still "submitting" asks the chain whether it landed
// (the neuron's LastUpdate moved past the attempt's start) before sending anything again.
import type { KeyringPair } from "@polkadot/keyring/types";
import { submitWeights, type WeightsChain } from "../chain/submit-weights.js";
import { backoffDelay } from "../chain/subtensor.js";
import type { ValidatorStore, WeightSet } from "../store/store.js";
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
  // connection, possibly after the chain took it — is looked up on chain before any new attempt:
  // the neuron's LastUpdate past the attempt's start means it landed.
  const landed = async (w: WeightSet): Promise<number | null> => {
    const uid = await o.chain.uidOf(o.netuid, o.pair.address);
    const last = uid === undefined ? 0 : await o.chain.lastUpdate(o.netuid, uid);
    return last >= w.startedBlock ? last : null;
  };
  const found = (block: number) =>
    ({ ok: true, block, outcome: "set (found on chain afterwards)" }) as const;
  for (const w of o.store.weightSets().filter((x) => x.status === "submitting")) {
    const block = await landed(w);
    o.store.finishWeightSet(
      w.slot,
      block !== null
        ? found(block)
        : { ok: false, error: "interrupted before it reached the chain", nextTryMs: 0 },
      o.now(),
    );
  }
  const prev = o.store.weightSet(slot);
  if (prev?.status === "set") return null;
  if (prev?.status === "failed") {
    if (o.now() < prev.nextTryMs) return null;
    const block = await landed(prev);
    if (block !== null) {
      o.store.finishWeightSet(slot, found(block), o.now());
      return o.store.weightSet(slot);
    }
  }
  const started = o.store.beginWeightSet(slot, vector, head, o.now());
  failpoint("before-weights-submit");
  try {
    const r = await submitWeights(o.chain, o.pair, o.netuid, vector.uids, vector.weights, {
      pendingPath: o.pendingPath,
    });
    failpoint("after-weights-submit");
    const { outcome } = r;
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
