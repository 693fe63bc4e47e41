// (a) Fixed values: quicknet's constants, the round identity, and real beacon signatures that
// verify under the quicknet key only for their own round.
import { describe, expect, it } from "vitest";
import { decodeG1, TimelockError } from "../../../src/chain/timelock/bls.js";
import {
  QUICKNET,
  quicknetPublicKey,
  roundMessage,
  verifyRoundSignature,
} from "../../../src/chain/timelock/drand.js";
import { bytes, signature, toHex, vectors } from "./vectors.js";

const ROUNDS = [1000, 1001, 1002, 1003, 2000, 12040883];

describe("quicknet", () => {
  it("has the published chain hash, key, genesis and period", () => {
    expect(QUICKNET.chainHash).toBe(vectors.quicknet.chainHash);
    expect(QUICKNET.publicKey).toBe(vectors.quicknet.publicKey);
    expect(QUICKNET.genesisTime).toBe(vectors.quicknet.genesisTime);
    expect(QUICKNET.period).toBe(vectors.quicknet.period);
    expect(toHex(quicknetPublicKey().toBytes(true))).toBe(vectors.quicknet.publicKey);
  });

  it("signs sha256 of the round as a big-endian u64", () => {
    expect(toHex(roundMessage(1000))).toBe(vectors.round1000MessageSha256);
    expect(toHex(roundMessage(1000n))).toBe(vectors.round1000MessageSha256);
    expect(toHex(roundMessage(1001))).not.toBe(vectors.round1000MessageSha256);
  });

  it("refuses rounds that are not a u64", () => {
    expect(() => roundMessage(-1)).toThrow(TimelockError);
    expect(() => roundMessage(1.5)).toThrow(TimelockError);
    expect(() => roundMessage(1n << 64n)).toThrow(TimelockError);
    expect(toHex(roundMessage((1n << 64n) - 1n))).toHaveLength(64);
  });
});

describe("round signatures", () => {
  for (const round of ROUNDS)
    it(`round ${round}'s signature verifies under the quicknet key`, () => {
      expect(verifyRoundSignature(round, signature(round))).toBe(true);
    });

  it("a signature does not verify for a neighbouring round", () => {
    expect(verifyRoundSignature(1001, signature(1000))).toBe(false);
    expect(verifyRoundSignature(1000, signature(1001))).toBe(false);
    expect(verifyRoundSignature(20000, signature(2000))).toBe(false);
  });

  it("the bytes that are not a curve point are refused", () => {
    expect(verifyRoundSignature(1000, bytes(vectors.notACurvePoint))).toBe(false);
    expect(() => decodeG1(bytes(vectors.notACurvePoint))).toThrow(/not a valid G1 point/);
  });

  it("a flipped bit or a truncated signature is refused", () => {
    const flipped = signature(1000);
    flipped[47] = (flipped[47] as number) ^ 1;
    expect(verifyRoundSignature(1000, flipped)).toBe(false);
    expect(verifyRoundSignature(1000, signature(1000).subarray(0, 47))).toBe(false);
  });
});
