// BLS12-381 pieces the timelock scheme needs, on @noble/curves, with the byte layouts arkworks 0.4
// uses (the `tle` crate subtensor runs is built on arkworks): ZCash-compressed G1/G2 points and GT
// as 12 little-endian Fq limbs. Pure functions; malformed input throws TimelockError.
import { bls12_381 } from "@noble/curves/bls12-381";

export class TimelockError extends Error {}

export type G1Point = InstanceType<typeof bls12_381.G1.Point>;
export type G2Point = InstanceType<typeof bls12_381.G2.Point>;
export type GtElement = ReturnType<typeof bls12_381.pairing>;

export const G1_COMPRESSED_BYTES = 48;
export const G2_COMPRESSED_BYTES = 96;
export const GT_BYTES = 576;
const FQ_BYTES = 48;

export const G1_GENERATOR: G1Point = bls12_381.G1.Point.BASE;
export const G2_GENERATOR: G2Point = bls12_381.G2.Point.BASE;
/** The order r of G1, G2 and GT (the scalar field Fr). */
export const SUBGROUP_ORDER: bigint = bls12_381.fields.Fr.ORDER;

function decodePoint<P extends { toBytes(compressed?: boolean): Uint8Array; is0(): boolean }>(
  bytes: Uint8Array,
  size: number,
  group: string,
  fromBytes: (b: Uint8Array) => P,
): P {
  if (bytes.length !== size)
    throw new TimelockError(`a compressed ${group} point has ${size} bytes, got ${bytes.length}`);
  let point: P;
  try {
    // noble checks the curve equation and the prime-order subgroup here. It clears the flag bits
    // of what `slice()` gives it, which for a Buffer is the caller's memory: give it a copy.
    point = fromBytes(Uint8Array.from(bytes));
  } catch (err) {
    throw new TimelockError(`not a valid ${group} point: ${(err as Error).message}`);
  }
  if (point.is0()) throw new TimelockError(`the ${group} point is the identity`);
  // noble reduces an x >= p and ignores stray flag bits; arkworks refuses both. Re-encoding and
  // comparing accepts exactly the canonical encoding arkworks accepts.
  const canonical = point.toBytes(true);
  if (!canonical.every((b, i) => b === bytes[i]))
    throw new TimelockError(`the ${group} point is not canonically encoded`);
  return point;
}

/** A G1 point (a drand quicknet signature): canonical, on the curve, in the subgroup, not zero. */
export function decodeG1(bytes: Uint8Array): G1Point {
  return decodePoint(bytes, G1_COMPRESSED_BYTES, "G1", (b) => bls12_381.G1.Point.fromBytes(b));
}

/** A G2 point (a public key or a ciphertext's U): canonical, on the curve, in the subgroup, not zero. */
export function decodeG2(bytes: Uint8Array): G2Point {
  return decodePoint(bytes, G2_COMPRESSED_BYTES, "G2", (b) => bls12_381.G2.Point.fromBytes(b));
}

export function pairing(p: G1Point, q: G2Point): GtElement {
  return bls12_381.pairing(p, q);
}

export function gtEquals(a: GtElement, b: GtElement): boolean {
  return bls12_381.fields.Fp12.eql(a, b);
}

/**
 * Reverses the byte order of each 48-byte limb. noble writes Fp12 as the same 12 coefficients in
 * the same order as arkworks, each big-endian; arkworks writes each little-endian. Its own inverse.
 */
export function reverseLimbs(bytes: Uint8Array): Uint8Array {
  if (bytes.length % FQ_BYTES !== 0)
    throw new TimelockError(`${bytes.length} bytes are not whole ${FQ_BYTES}-byte limbs`);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += FQ_BYTES)
    out.set(bytes.slice(i, i + FQ_BYTES).reverse(), i); // slice: reverse() is in place
  return out;
}

/** GT as arkworks 0.4 `serialize_compressed` writes it (the input of the scheme's H2). */
export function gtToArkworksBytes(gt: GtElement): Uint8Array {
  return reverseLimbs(bls12_381.fields.Fp12.toBytes(gt));
}

export function gtFromArkworksBytes(bytes: Uint8Array): GtElement {
  if (bytes.length !== GT_BYTES)
    throw new TimelockError(`a GT element has ${GT_BYTES} bytes, got ${bytes.length}`);
  return bls12_381.fields.Fp12.fromBytes(reverseLimbs(bytes));
}

/** arkworks' `Fr::from_be_bytes_mod_order`. */
export function scalarFromBeBytes(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n % SUBGROUP_ORDER;
}
