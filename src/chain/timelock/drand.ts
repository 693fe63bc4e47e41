// drand quicknet, the beacon subtensor's Drand pallet stores: BLS12-381 "bls-unchained-g1-rfc9380"
// (signatures in G1, public key in G2). A round's signature is the timelock key of that round, so
// verifying one is how a test (or a cautious validator) knows a key is real. Pure functions.
import { createHash } from "node:crypto";
import { bls12_381 } from "@noble/curves/bls12-381";
import {
  decodeG1,
  decodeG2,
  type G1Point,
  G2_GENERATOR,
  type G2Point,
  gtEquals,
  pairing,
  TimelockError,
} from "./bls.js";

export const QUICKNET = {
  chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  publicKey:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  /** Unix seconds of round 1. */
  genesisTime: 1692803367,
  /** Seconds between rounds. */
  period: 3,
  scheme: "bls-unchained-g1-rfc9380",
  /** The hash-to-G1 domain separation tag quicknet signs (and `tle` hashes identities) with. */
  dst: "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_",
} as const;

const U64_MAX = (1n << 64n) - 1n;

function u64(round: number | bigint): bigint {
  const r = typeof round === "bigint" ? round : Number.isSafeInteger(round) ? BigInt(round) : -1n;
  if (r < 0n || r > U64_MAX) throw new TimelockError(`round ${round} is not a u64`);
  return r;
}

/** What drand signs for a round (unchained): sha256 of the round as a big-endian u64. */
export function roundMessage(round: number | bigint): Uint8Array {
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(u64(round));
  return new Uint8Array(createHash("sha256").update(be).digest());
}

/** A message hashed to G1 as quicknet does: the IBE identity whose key is the round's signature. */
export function hashToG1(message: Uint8Array): G1Point {
  const h = bls12_381.G1.hashToCurve(message, { DST: QUICKNET.dst });
  return bls12_381.G1.Point.fromAffine(h.toAffine());
}

export function roundIdentity(round: number | bigint): G1Point {
  return hashToG1(roundMessage(round));
}

let quicknetKey: G2Point | undefined;

/** The quicknet public key as a point (decoded once: its subgroup check is not free). */
export function quicknetPublicKey(): G2Point {
  quicknetKey ??= decodeG2(Buffer.from(QUICKNET.publicKey, "hex"));
  return quicknetKey;
}

/**
 * Whether `signature` (48 bytes, compressed G1) is the beacon's signature of `round`:
 * e(sig, G2) == e(H(round), pk). Malformed bytes are not a signature: false.
 */
export function verifyRoundSignature(
  round: number | bigint,
  signature: Uint8Array,
  publicKey: G2Point = quicknetPublicKey(),
): boolean {
  let sig: G1Point;
  try {
    sig = decodeG1(signature);
  } catch (err) {
    if (err instanceof TimelockError) return false;
    throw err;
  }
  return gtEquals(pairing(sig, G2_GENERATOR), pairing(roundIdentity(round), publicKey));
}
