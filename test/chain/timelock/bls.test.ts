// (a) Fixed values: GT in arkworks' byte layout against Aptos' published constants, and the strict
// point decoding every later check relies on.
import { bls12_381 } from "@noble/curves/bls12-381";
import { describe, expect, it } from "vitest";
import {
  decodeG1,
  decodeG2,
  G1_GENERATOR,
  G2_GENERATOR,
  gtEquals,
  gtFromArkworksBytes,
  gtToArkworksBytes,
  pairing,
  reverseLimbs,
  SUBGROUP_ORDER,
  scalarFromBeBytes,
  TimelockError,
} from "../../../src/chain/timelock/bls.js";
import { bytes, toHex, vectors } from "./vectors.js";

const { Fp, Fp2, Fp12 } = bls12_381.fields;

describe("GT in the arkworks 0.4 layout", () => {
  const e1 = pairing(G1_GENERATOR, G2_GENERATOR);

  it("e(G1, G2) is Aptos' GT_GENERATOR_SERIALIZED (ark-bls12-381-0.4.0)", () => {
    expect(toHex(gtToArkworksBytes(e1))).toBe(vectors.gt.generator);
  });

  it("e(7·G1, G2), e(G1, 7·G2) and e(G1, G2)^7 are GT_GENERATOR_MUL_BY_7_SERIALIZED", () => {
    const seven = (gt: ReturnType<typeof pairing>) => toHex(gtToArkworksBytes(gt));
    expect(seven(pairing(G1_GENERATOR.multiply(7n), G2_GENERATOR))).toBe(vectors.gt.generatorMul7);
    expect(seven(pairing(G1_GENERATOR, G2_GENERATOR.multiply(7n)))).toBe(vectors.gt.generatorMul7);
    expect(seven(Fp12.pow(e1, 7n))).toBe(vectors.gt.generatorMul7);
  });

  it("the layout conversion is its own inverse and reads the constants back as the same elements", () => {
    const ark = bytes(vectors.gt.generator);
    expect(toHex(reverseLimbs(reverseLimbs(ark)))).toBe(vectors.gt.generator);
    // noble's big-endian layout differs (else the conversion would be doing nothing).
    expect(toHex(Fp12.toBytes(e1))).not.toBe(vectors.gt.generator);
    expect(gtEquals(gtFromArkworksBytes(ark), e1)).toBe(true);
    expect(gtEquals(gtFromArkworksBytes(bytes(vectors.gt.generatorMul7)), e1)).toBe(false);
    // The input is left alone (reverse() works in place on a view).
    expect(toHex(ark)).toBe(vectors.gt.generator);
  });

  it("refuses bytes that are not whole 48-byte limbs or not 576 bytes", () => {
    expect(() => reverseLimbs(new Uint8Array(47))).toThrow(TimelockError);
    expect(() => gtFromArkworksBytes(new Uint8Array(528))).toThrow(/576 bytes/);
  });
});

describe("scalars", () => {
  it("reads 32 bytes big-endian modulo r, as arkworks' from_be_bytes_mod_order", () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(scalarFromBeBytes(one)).toBe(1n);
    const ones = new Uint8Array(32).fill(0xff);
    expect(scalarFromBeBytes(ones)).toBe(((1n << 256n) - 1n) % SUBGROUP_ORDER);
    const order = new Uint8Array(Buffer.from(SUBGROUP_ORDER.toString(16).padStart(64, "0"), "hex"));
    expect(scalarFromBeBytes(order)).toBe(0n);
  });
});

/** The first k·G1 whose x leaves room to add p below 2^381: its x + p is a non-canonical x. */
function nonCanonicalG1(): Uint8Array {
  for (let k = 1n; k < 100n; k++) {
    const p = G1_GENERATOR.multiply(k);
    const { x } = p.toAffine();
    if (x + Fp.ORDER < 1n << 381n) {
      const canonical = p.toBytes(true);
      const big = Buffer.from((x + Fp.ORDER).toString(16).padStart(96, "0"), "hex");
      big[0] = (big[0] as number) | ((canonical[0] as number) & 0xe0);
      return new Uint8Array(big);
    }
  }
  throw new Error("no k·G1 with a small enough x");
}

/**
 * A point on the G2 curve outside the prime-order subgroup (the cofactor is huge: x = 1, 2, …
 * finds one at once), ZCash-compressed by hand because noble refuses to encode it.
 */
function offSubgroupG2(): Uint8Array {
  const b = Fp2.fromBigTuple([4n, 4n]);
  for (let c0 = 1n; c0 < 100n; c0++) {
    const x = Fp2.fromBigTuple([c0, 0n]);
    let y: ReturnType<typeof Fp2.sqrt>;
    try {
      y = Fp2.sqrt(Fp2.add(Fp2.pow(x, 3n), b));
    } catch {
      continue; // no square root: not on the curve
    }
    if (bls12_381.G2.Point.fromAffine({ x, y }).isTorsionFree()) continue;
    const out = Buffer.from(
      x.c1.toString(16).padStart(96, "0") + x.c0.toString(16).padStart(96, "0"),
      "hex",
    );
    const big = y.c1 === 0n ? y.c0 * 2n > Fp.ORDER : y.c1 * 2n > Fp.ORDER;
    out[0] = (out[0] as number) | 0x80 | (big ? 0x20 : 0);
    return new Uint8Array(out);
  }
  throw new Error("no off-subgroup point among the first x");
}

describe("strict point decoding", () => {
  it("accepts the generators' encodings and the quicknet key", () => {
    expect(decodeG1(G1_GENERATOR.toBytes(true)).equals(G1_GENERATOR)).toBe(true);
    expect(decodeG2(G2_GENERATOR.toBytes(true)).equals(G2_GENERATOR)).toBe(true);
    expect(toHex(decodeG2(bytes(vectors.quicknet.publicKey)).toBytes(true))).toBe(
      vectors.quicknet.publicKey,
    );
  });

  it("leaves a Buffer argument as it was (noble clears flag bits in what it is given)", () => {
    const key = Buffer.from(vectors.quicknet.publicKey, "hex");
    decodeG2(key);
    decodeG2(key);
    expect(key.toString("hex")).toBe(vectors.quicknet.publicKey);
  });

  it("refuses a wrong length, an x off the curve, the identity and an uncompressed encoding", () => {
    expect(() => decodeG1(new Uint8Array(47))).toThrow(/48 bytes/);
    expect(() => decodeG2(new Uint8Array(95))).toThrow(/96 bytes/);
    expect(() => decodeG1(bytes(vectors.notACurvePoint))).toThrow(/not a valid G1 point/);
    expect(() =>
      decodeG1(G1_GENERATOR.multiply(2n).subtract(G1_GENERATOR.double()).toBytes(true)),
    ).toThrow(/identity/);
    expect(() => decodeG2(G2_GENERATOR.toBytes(false).subarray(0, 96))).toThrow(TimelockError);
  });

  it("refuses an x >= p that noble alone would reduce", () => {
    const wide = nonCanonicalG1();
    // noble accepts it as some point; only the canonical check refuses it.
    expect(() => bls12_381.G1.Point.fromBytes(wide)).not.toThrow();
    expect(() => decodeG1(wide)).toThrow(/not canonically encoded/);
  });

  it("refuses a G2 curve point outside the prime-order subgroup", () => {
    expect(() => decodeG2(offSubgroupG2())).toThrow(/subgroup/);
  });
});
