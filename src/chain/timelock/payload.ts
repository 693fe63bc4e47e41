// The plaintext of a timelocked weights commit: SCALE `WeightsTlockPayload { hotkey: Vec<u8>,
// uids: Vec<u16>, values: Vec<u16>, version_key: u64 }` (subtensor decodes it after the reveal and
// sets the weights only if `hotkey` is the committing account). Plain byte code, pure.
import { compactFromU8a, compactToU8a } from "@polkadot/util";
import { convertWeightsAndUidsForEmit, U16_MAX } from "../weights.js";
import { TimelockError } from "./bls.js";

export const HOTKEY_BYTES = 32;
const U64_MAX = (1n << 64n) - 1n;

export interface WeightsTlockPayload {
  /** The hotkey's 32-byte public key (AccountId32), not its SS58 address. */
  hotkey: Uint8Array;
  uids: number[];
  values: number[];
  versionKey: bigint;
}

/**
 * The payload for `weights` (any non-negative numbers) normalised exactly as for `set_weights`
 * (weights.ts: max-scaled to 65535, round half to even, zeros dropped with their uids).
 */
export function weightsTlockPayload(
  hotkey: Uint8Array,
  uids: number[],
  weights: number[],
  versionKey: bigint,
): WeightsTlockPayload {
  return { hotkey, ...convertWeightsAndUidsForEmit(uids, weights), versionKey };
}

function u16Items(name: string, items: number[]): Uint8Array {
  const out = new Uint8Array(items.length * 2);
  const view = new DataView(out.buffer);
  items.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > U16_MAX)
      throw new TimelockError(`${name}[${i}] = ${v} is not a u16`);
    view.setUint16(i * 2, v, true);
  });
  return out;
}

export function encodeWeightsTlockPayload(p: WeightsTlockPayload): Uint8Array {
  if (p.hotkey.length !== HOTKEY_BYTES)
    throw new TimelockError(
      `hotkey must be a ${HOTKEY_BYTES}-byte public key, got ${p.hotkey.length} bytes`,
    );
  if (p.uids.length !== p.values.length)
    throw new TimelockError(`${p.uids.length} uids but ${p.values.length} values`);
  if (p.versionKey < 0n || p.versionKey > U64_MAX)
    throw new TimelockError(`version key ${p.versionKey} is not a u64`);
  const version = new Uint8Array(8);
  new DataView(version.buffer).setBigUint64(0, p.versionKey, true);
  const parts = [
    compactToU8a(p.hotkey.length),
    p.hotkey,
    compactToU8a(p.uids.length),
    u16Items("uids", p.uids),
    compactToU8a(p.values.length),
    u16Items("values", p.values),
    version,
  ];
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

class ScaleReader {
  at = 0;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    // A plain copy: a Buffer's slice() is a view into Node's shared pool (see wire.ts).
    this.bytes = Uint8Array.from(bytes);
  }
  take(n: number, field: string): Uint8Array {
    if (n > this.bytes.length - this.at)
      throw new TimelockError(
        `${field} at offset ${this.at} needs ${n} bytes, ${this.bytes.length - this.at} left`,
      );
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  compactLength(field: string): number {
    const first = this.bytes[this.at];
    if (first === undefined)
      throw new TimelockError(`${field} length at offset ${this.at}: no bytes left`);
    const mode = first & 3;
    const size = mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : (first >> 2) + 5;
    const raw = this.take(size, `${field} length`);
    const [, value] = compactFromU8a(raw);
    // SCALE decoders refuse a length not in its shortest form; so does this one.
    const canonical = compactToU8a(value);
    if (canonical.length !== raw.length || value.bitLength() > 32)
      throw new TimelockError(
        `${field} length at offset ${this.at - size} is not a canonical compact`,
      );
    return value.toNumber();
  }
  u16Vec(field: string): number[] {
    const n = this.compactLength(field);
    const bytes = this.take(n * 2, field);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true));
  }
}

/** Decodes a payload; refuses short input, a hotkey that is not 32 bytes and trailing bytes. */
export function decodeWeightsTlockPayload(bytes: Uint8Array): WeightsTlockPayload {
  const r = new ScaleReader(bytes);
  const hotkeyLength = r.compactLength("hotkey");
  if (hotkeyLength !== HOTKEY_BYTES)
    throw new TimelockError(`hotkey has ${hotkeyLength} bytes, expected ${HOTKEY_BYTES}`);
  const hotkey = r.take(hotkeyLength, "hotkey");
  const uids = r.u16Vec("uids");
  const values = r.u16Vec("values");
  const versionKey = new DataView(r.take(8, "version_key").buffer).getBigUint64(0, true);
  if (r.at !== bytes.length)
    throw new TimelockError(`${bytes.length - r.at} bytes after the end of the payload`);
  return { hotkey, uids, values, versionKey };
}
