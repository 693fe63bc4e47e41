// Pure rules for a validator's weights on subtensor: the u16 encoding Bittensor's Python SDK emits,
// the commit-reveal hash and epochs as the pallet computes them, and the rate limit. No I/O.
import { compactToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a } from "@polkadot/util-crypto";

export const U16_MAX = 65535;

export interface EmitWeights {
  uids: number[];
  values: number[];
}

/** Python's round(): to nearest, ties to even (exact on doubles: x - floor(x) loses nothing). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const frac = x - floor;
  if (frac < 0.5) return floor;
  if (frac > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * `convert_and_normalize_weights_and_uids` of Bittensor's SDK: weights become float32 (the SDK
 * makes a numpy float32 array of them), are divided by their max, scaled to 65535 and rounded half
 * to even; zeros are dropped with their uids. All-zero weights give nothing to set.
 */
export function convertWeightsAndUidsForEmit(uids: number[], weights: number[]): EmitWeights {
  if (uids.length !== weights.length)
    throw new Error(
      `uids and weights must have the same length, got ${uids.length} and ${weights.length}`,
    );
  for (const uid of uids)
    if (!Number.isInteger(uid) || uid < 0 || uid > U16_MAX)
      throw new Error(`uid ${uid} is not an integer in 0..${U16_MAX}`);
  const floats = weights.map((w) => {
    if (!Number.isFinite(w) || w < 0) throw new Error(`weight ${w} is not a finite number >= 0`);
    return Math.fround(w);
  });
  const max = Math.max(0, ...floats);
  if (max === 0) return { uids: [], values: [] };
  const out: EmitWeights = { uids: [], values: [] };
  floats.forEach((w, i) => {
    const value = roundHalfEven((w / max) * U16_MAX);
    if (value !== 0) {
      out.uids.push(uids[i] as number);
      out.values.push(value);
    }
  });
  return out;
}

function u16Vec(items: number[]): Uint8Array {
  const body = new Uint8Array(items.length * 2);
  const view = new DataView(body.buffer);
  items.forEach((v, i) => {
    view.setUint16(i * 2, v, true);
  });
  return u8aConcat(compactToU8a(items.length), body);
}

export interface WeightCommit {
  publicKey: Uint8Array;
  netuid: number;
  uids: number[];
  values: number[];
  salt: number[];
  versionKey: bigint;
}

/** The hash `commit_weights` takes: blake2_256 of SCALE (AccountId32, u16, Vec<u16> ×3, u64). */
export function weightCommitHash(c: WeightCommit): `0x${string}` {
  if (c.publicKey.length !== 32) throw new Error("an AccountId32 public key has 32 bytes");
  const netuid = new Uint8Array(2);
  new DataView(netuid.buffer).setUint16(0, c.netuid, true);
  const version = new Uint8Array(8);
  new DataView(version.buffer).setBigUint64(0, c.versionKey, true);
  const data = u8aConcat(
    c.publicKey,
    netuid,
    u16Vec(c.uids),
    u16Vec(c.values),
    u16Vec(c.salt),
    version,
  );
  return u8aToHex(blake2AsU8a(data, 256)) as `0x${string}`;
}

/** The pallet's `get_epoch_index`: (block + netuid + 1) / (tempo + 1). */
export function epochIndex(netuid: number, tempo: number, block: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

export interface RevealWindow {
  revealEpoch: number;
  firstBlock: number;
  lastBlock: number;
}

/** The pallet's `get_reveal_blocks`: a commit is revealable only in epoch commit + RevealPeriodEpochs. */
export function revealWindow(
  netuid: number,
  tempo: number,
  revealPeriodEpochs: number,
  commitBlock: number,
): RevealWindow {
  const revealEpoch = epochIndex(netuid, tempo, commitBlock) + revealPeriodEpochs;
  const firstBlock = Math.max(0, revealEpoch * (tempo + 1) - (netuid + 1));
  return { revealEpoch, firstBlock, lastBlock: firstBlock + tempo };
}

export type RevealStatus = "early" | "open" | "expired";

export function revealStatus(
  netuid: number,
  tempo: number,
  revealEpoch: number,
  currentBlock: number,
): RevealStatus {
  const epoch = epochIndex(netuid, tempo, currentBlock);
  if (epoch < revealEpoch) return "early";
  return epoch === revealEpoch ? "open" : "expired";
}

/** Blocks until `check_rate_limit` passes (0 = now); a LastUpdate of 0 means never set. */
export function rateLimitBlocksLeft(
  lastUpdate: number,
  rateLimit: number,
  currentBlock: number,
): number {
  if (lastUpdate === 0) return 0;
  return Math.max(0, rateLimit - Math.max(0, currentBlock - lastUpdate));
}
