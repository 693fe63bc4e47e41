// The bytes `commit_timelocked_*weights` carries: the `tle` crate's TLECiphertext (rev 5416406,
// the one subtensor pins) as arkworks `serialize_compressed` writes it, where every Vec<u8> is a
// u64 little-endian length and its bytes. A plaintext of L bytes becomes L + 244 bytes:
//   U: G2 (96) | V: 8+32 | W: 8+32 | body: 8 + [ciphertext‖tag: 8+(L+16) | nonce: 8+12 ]
//   | cipher suite: 8+8 "AES_GCM_"
// The crate's later v0.3 layout (no length prefixes, L + 228) is not what the chain reads.
import { decodeG2, G2_COMPRESSED_BYTES, TimelockError } from "./bls.js";

export const CIPHER_SUITE = "AES_GCM_";
/** Wire bytes over the plaintext's length. */
export const TLOCK_OVERHEAD = 244;
export const HASH_BYTES = 32;
export const GCM_TAG_BYTES = 16;
export const GCM_NONCE_BYTES = 12;

export interface TlockCiphertext {
  /** r·G2, compressed (96 bytes). */
  u: Uint8Array;
  /** sigma ⊕ H2(e(Q, r·PK)) (32 bytes). */
  v: Uint8Array;
  /** esk ⊕ H4(sigma) (32 bytes). */
  w: Uint8Array;
  /** AES-256-GCM ciphertext followed by its 16-byte tag. */
  ciphertext: Uint8Array;
  /** The GCM nonce (12 bytes). */
  nonce: Uint8Array;
  cipherSuite: string;
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + bytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function serializeTlockCiphertext(ct: TlockCiphertext): Uint8Array {
  const body = concat([lengthPrefixed(ct.ciphertext), lengthPrefixed(ct.nonce)]);
  return concat([
    ct.u,
    lengthPrefixed(ct.v),
    lengthPrefixed(ct.w),
    lengthPrefixed(body),
    lengthPrefixed(new TextEncoder().encode(ct.cipherSuite)),
  ]);
}

/** Reads fields front to back; every error names the field and its offset. */
class Reader {
  at = 0;
  private readonly bytes: Uint8Array;
  constructor(
    bytes: Uint8Array,
    private readonly base = 0,
  ) {
    // A plain copy: a Buffer's slice() is a view into Node's shared pool, whose `.buffer` (read
    // through a DataView below) starts elsewhere.
    this.bytes = Uint8Array.from(bytes);
  }
  take(n: number, field: string): Uint8Array {
    if (this.at + n > this.bytes.length)
      throw new TimelockError(
        `${field} at offset ${this.base + this.at} needs ${n} bytes, ${this.bytes.length - this.at} left`,
      );
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  vec(field: string, expected?: number): Uint8Array {
    const at = this.base + this.at;
    const len = new DataView(this.take(8, `${field} length`).buffer).getBigUint64(0, true);
    if (expected !== undefined && len !== BigInt(expected))
      throw new TimelockError(`${field} at offset ${at} has length ${len}, expected ${expected}`);
    if (len > BigInt(this.bytes.length - this.at))
      throw new TimelockError(
        `${field} at offset ${at} claims ${len} bytes, ${this.bytes.length - this.at} left`,
      );
    return this.take(Number(len), field);
  }
  end(what: string): void {
    if (this.at !== this.bytes.length)
      throw new TimelockError(`${this.bytes.length - this.at} bytes after the end of ${what}`);
  }
}

/**
 * Parses the wire layout and checks every field: the lengths, U a valid G2 point (curve,
 * subgroup, canonical, not zero), a GCM ciphertext with room for its tag, a 12-byte nonce, the
 * "AES_GCM_" suite, and nothing left over.
 */
export function parseTlockCiphertext(bytes: Uint8Array): TlockCiphertext {
  if (bytes.length < TLOCK_OVERHEAD)
    throw new TimelockError(
      `a timelock ciphertext has at least ${TLOCK_OVERHEAD} bytes, got ${bytes.length}`,
    );
  const r = new Reader(bytes);
  const u = r.take(G2_COMPRESSED_BYTES, "U");
  try {
    decodeG2(u);
  } catch (err) {
    throw new TimelockError(`U at offset 0: ${(err as Error).message}`);
  }
  const v = r.vec("V", HASH_BYTES);
  const w = r.vec("W", HASH_BYTES);
  const bodyAt = r.at;
  const body = r.vec("body");
  const b = new Reader(body, bodyAt + 8);
  const ciphertext = b.vec("AES-GCM ciphertext");
  if (ciphertext.length < GCM_TAG_BYTES)
    throw new TimelockError(
      `the AES-GCM ciphertext has ${ciphertext.length} bytes, less than its ${GCM_TAG_BYTES}-byte tag`,
    );
  const nonce = b.vec("nonce", GCM_NONCE_BYTES);
  b.end("the body");
  const suite = r.vec("cipher suite", CIPHER_SUITE.length);
  const cipherSuite = new TextDecoder().decode(suite);
  if (cipherSuite !== CIPHER_SUITE)
    throw new TimelockError(
      `cipher suite is ${JSON.stringify(cipherSuite)}, expected "${CIPHER_SUITE}"`,
    );
  r.end("the ciphertext");
  return { u, v, w, ciphertext, nonce, cipherSuite };
}

/** The plaintext length a well-formed ciphertext of `wireLength` bytes carries. */
export function plaintextLength(wireLength: number): number {
  return wireLength - TLOCK_OVERHEAD;
}
