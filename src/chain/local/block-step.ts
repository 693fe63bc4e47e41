// What the local chain does at the start of each block, before its extrinsics, for the parts of
// runtime 424's on_initialize it doubles: drand pulses (the test beacon's own, and fed ones), the
// stateful epoch scheduler (SubnetEpochIndex, LastEpochBlock, PendingEpochAt, BlocksSinceLastStep)
// and the chain's own reveal of timelocked weight commits (subtensor's
// coinbase/reveal_commits.rs): every block, the commits of epoch `SubnetEpochIndex -
// RevealPeriodEpochs` whose round's pulse is stored are decrypted; a payload whose hotkey is the
// committer sets the weights (event TimelockedWeightsRevealed); a commit whose pulse has not come
// is kept and retried, and deleted with its epoch once the reveal epoch has passed.
import { decodeAddress } from "@polkadot/util-crypto";
import { tlockDecrypt } from "../timelock/tlock.js";
import {
  type DispatchContext,
  doSetWeights,
  ModuleError,
  mechanismIndex,
  type TimelockedCommit,
} from "./dispatch.js";
import { dueTestRounds, pulseSignature, storePulses, testBeaconSignature } from "./drand.js";
import { keySuffixNumber, type Storage } from "./storage.js";

const S = "subtensorModule";

export interface InitContext {
  storage: Storage;
  /** The block being built. */
  block: number;
  /** Its timestamp (ms). */
  nowMs: number;
  /** Pulses fed since the last block (checked when fed). */
  fedPulses: { round: number; signature: Uint8Array }[];
  /** Deposit an event in the Initialization phase. */
  emit(section: string, name: string, args: unknown[]): void;
}

const num = (storage: Storage, item: string, args: unknown[] = []): number =>
  Number(storage.get(S, item, args)?.toString() ?? "0");

/** The netuids of NetworksAdded (Identity-hashed u16 keys). */
function subnets(storage: Storage): number[] {
  return storage
    .keysWithPrefix(S, "networksAdded")
    .map((key) => keySuffixNumber(key, 2))
    .filter((netuid) => storage.get(S, "networksAdded", [netuid])?.toJSON() === true);
}

/** The epoch slot of one subnet: consumed when `block - LastEpochBlock >= tempo` (or a trigger is due). */
function epochScheduler(storage: Storage, netuid: number, block: number): void {
  const tempo = num(storage, "tempo", [netuid]);
  const since = num(storage, "blocksSinceLastStep", [netuid]);
  storage.put(S, "blocksSinceLastStep", [netuid], Math.min(since + 1, tempo + 1));
  if (tempo === 0) return;
  const pending = num(storage, "pendingEpochAt", [netuid]);
  const due =
    (pending > 0 && block >= pending) ||
    since + 1 > tempo ||
    block - num(storage, "lastEpochBlock", [netuid]) >= tempo;
  if (!due) return;
  storage.put(S, "blocksSinceLastStep", [netuid], 0);
  storage.put(S, "lastEpochBlock", [netuid], block);
  storage.put(S, "pendingEpochAt", [netuid], 0);
  storage.put(S, "subnetEpochIndex", [netuid], num(storage, "subnetEpochIndex", [netuid]) + 1);
}

/** The decrypted payload as the pallet reads it: WeightsTlockPayload, else the legacy one. */
type Payload = { hotkey?: Uint8Array; uids: number[]; values: number[]; versionKey: bigint };

/** SCALE as `Decode::decode` reads it: fields in order, trailing bytes ignored; null on failure. */
function decodeFields(bytes: Uint8Array, withHotkey: boolean): Payload | null {
  let at = 0;
  const compact = (): number | null => {
    const first = bytes[at];
    if (first === undefined) return null;
    const mode = first & 3;
    if (mode === 3) return null; // lengths past 2^30 never fit a commit
    const size = mode === 0 ? 1 : mode === 1 ? 2 : 4;
    if (at + size > bytes.length) return null;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[at + i] as number);
    at += size;
    return Math.floor(v / 4);
  };
  const take = (n: number): Uint8Array | null => {
    if (at + n > bytes.length) return null;
    at += n;
    return bytes.subarray(at - n, at);
  };
  const u16s = (): number[] | null => {
    const n = compact();
    const raw = n === null ? null : take(n * 2);
    if (!raw) return null;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return Array.from({ length: raw.length / 2 }, (_, i) => view.getUint16(2 * i, true));
  };
  let hotkey: Uint8Array | undefined;
  if (withHotkey) {
    const n = compact();
    const h = n === null ? null : take(n);
    if (!h) return null;
    hotkey = h;
  }
  const uids = u16s();
  const values = uids && u16s();
  const version = values && take(8);
  if (!uids || !values || !version) return null;
  const versionKey = Buffer.from(version).readBigUInt64LE(0);
  return { ...(hotkey ? { hotkey } : {}), uids, values, versionKey };
}

/**
 * The weights a decrypted commit of `who` sets, or null where the pallet skips it: the new payload
 * whose hotkey (as an AccountId32) is not the committer is skipped; one whose hotkey does not even
 * decode as an account, or a payload of the new shape that does not decode, is read as the legacy
 * payload (no hotkey), as reveal_commits.rs does.
 */
export function payloadWeights(plain: Uint8Array, who: string): Payload | null {
  const fresh = decodeFields(plain, true);
  if (fresh?.hotkey && fresh.hotkey.length >= 32) {
    const signer = decodeAddress(who);
    return fresh.hotkey.subarray(0, 32).every((b, i) => b === signer[i]) ? fresh : null;
  }
  return decodeFields(plain, false);
}

function revealTimelocked(ctx: InitContext, netuid: number): void {
  const { storage } = ctx;
  const period = num(storage, "revealPeriodEpochs", [netuid]);
  const current = num(storage, "subnetEpochIndex", [netuid]);
  const revealEpoch = Math.max(0, current - period);
  const mechanisms = num(storage, "mechanismCountCurrent", [netuid]);
  for (let mecid = 0; mecid < mechanisms; mecid++) {
    const index = mechanismIndex(netuid, mecid);
    for (const key of storage.keysWithPrefix(S, "timelockedWeightCommits", [index])) {
      const epoch = keySuffixNumber(key, 8);
      if (epoch < revealEpoch) storage.remove(S, "timelockedWeightCommits", [index, epoch]);
    }
    if (current < period) return;
    const entries = (storage.get(S, "timelockedWeightCommits", [index, revealEpoch])?.toJSON() ??
      []) as TimelockedCommit[];
    if (entries.length === 0) continue;
    storage.remove(S, "timelockedWeightCommits", [index, revealEpoch]);
    const unrevealed: TimelockedCommit[] = [];
    for (const entry of entries) {
      const [who, , commitHex, round] = entry;
      const signature = pulseSignature(storage, round);
      if (!signature) {
        unrevealed.push(entry); // retried every block of the reveal epoch
        continue;
      }
      let plain: Uint8Array;
      try {
        plain = tlockDecrypt(Buffer.from(commitHex.slice(2), "hex"), signature);
      } catch {
        continue; // undecodable or not this round's ciphertext: dropped, as the pallet does
      }
      const payload = payloadWeights(plain, who);
      if (!payload) continue;
      const dispatch: DispatchContext = { storage, block: ctx.block, who, emit: ctx.emit };
      try {
        // Only mechanism 0 exists here (MechanismCountCurrent is 1): its weights are the subnet's.
        doSetWeights(dispatch, netuid, payload.uids, payload.values, payload.versionKey);
      } catch (err) {
        if (err instanceof ModuleError) continue; // do_set_mechanism_weights refused: dropped
        throw err;
      }
      ctx.emit(S, "TimelockedWeightsRevealed", [index, who]);
    }
    if (unrevealed.length > 0)
      storage.put(S, "timelockedWeightCommits", [index, revealEpoch], unrevealed);
  }
}

/** Runs the block's initialisation on `ctx.storage` (the block's new state). */
export function blockStep(ctx: InitContext): void {
  const rounds = dueTestRounds(ctx.storage, ctx.nowMs);
  const byRound = new Map<number, Uint8Array>();
  for (const round of rounds) byRound.set(round, testBeaconSignature(round));
  for (const p of ctx.fedPulses) byRound.set(p.round, p.signature);
  const pulses = [...byRound]
    .map(([round, signature]) => ({ round, signature }))
    .sort((a, b) => a.round - b.round);
  if (pulses.length > 0) {
    storePulses(ctx.storage, pulses);
    ctx.emit("drand", "NewPulse", [pulses.map((p) => p.round)]);
  }
  for (const netuid of subnets(ctx.storage)) {
    epochScheduler(ctx.storage, netuid, ctx.block);
    revealTimelocked(ctx, netuid);
  }
}
