// (b) Round trip: what we encrypt for round 1000 opens with round 1000's signature only.
import { describe, expect, it } from "vitest";
import { TimelockError } from "../../../src/chain/timelock/bls.js";
import {
  type TlockRandomness,
  tlockDecrypt,
  tlockEncrypt,
} from "../../../src/chain/timelock/tlock.js";
import { parseTlockCiphertext, TLOCK_OVERHEAD } from "../../../src/chain/timelock/wire.js";
import { signature, toHex } from "./vectors.js";

const fixed: TlockRandomness = {
  esk: new Uint8Array(32).fill(0x11),
  sigma: new Uint8Array(32).fill(0x22),
  nonce: new Uint8Array(12).fill(0x33),
};
const message = new TextEncoder().encode("weights for round 1000");

describe("tlock round trip", () => {
  it("encrypts for round 1000 into plaintext + 244 bytes and decrypts with its signature", () => {
    const ct = tlockEncrypt(message, 1000);
    expect(ct.length).toBe(message.length + TLOCK_OVERHEAD);
    expect(toHex(tlockDecrypt(ct, signature(1000)))).toBe(toHex(message));
  });

  it("refuses round 1001's signature (and 1000's for a round-1001 ciphertext)", () => {
    const ct = tlockEncrypt(message, 1000);
    expect(() => tlockDecrypt(ct, signature(1001))).toThrow(/does not open/);
    const later = tlockEncrypt(message, 1001);
    expect(() => tlockDecrypt(later, signature(1000))).toThrow(TimelockError);
    expect(toHex(tlockDecrypt(later, signature(1001)))).toBe(toHex(message));
  });

  it("carries an empty plaintext (tag only) and a 4 KB one", () => {
    const empty = tlockEncrypt(new Uint8Array(0), 1002);
    expect(empty.length).toBe(TLOCK_OVERHEAD);
    expect(tlockDecrypt(empty, signature(1002))).toHaveLength(0);
    const big = new Uint8Array(4096).map((_, i) => i & 0xff);
    expect(toHex(tlockDecrypt(tlockEncrypt(big, 1003), signature(1003)))).toBe(toHex(big));
  });

  it("is a function of its randomness: the same inputs give the same bytes, fresh ones differ", () => {
    const a = tlockEncrypt(message, 1000, { randomness: fixed });
    const b = tlockEncrypt(message, 1000, { randomness: fixed });
    expect(toHex(a)).toBe(toHex(b));
    const fields = parseTlockCiphertext(a);
    expect(toHex(fields.nonce)).toBe("33".repeat(12));
    // esk and sigma never travel in the clear.
    expect(toHex(a)).not.toContain("11".repeat(32));
    expect(toHex(a)).not.toContain("22".repeat(32));
    const c = tlockEncrypt(message, 1000);
    const d = tlockEncrypt(message, 1000);
    expect(toHex(c)).not.toBe(toHex(d));
    expect(toHex(tlockDecrypt(a, signature(1000)))).toBe(toHex(message));
  });

  it("refuses a ciphertext whose V, W or body was altered", () => {
    const ct = tlockEncrypt(message, 1000, { randomness: fixed });
    const at = (offset: number) => {
      const copy = ct.slice();
      copy[offset] = (copy[offset] as number) ^ 0x01;
      return copy;
    };
    expect(() => tlockDecrypt(at(96 + 8), signature(1000))).toThrow(/does not open/); // V
    expect(() => tlockDecrypt(at(136 + 8), signature(1000))).toThrow(/does not open/); // W
    expect(() => tlockDecrypt(at(184 + 8), signature(1000))).toThrow(/tag does not verify/); // body
  });

  it("refuses bad randomness lengths and a malformed signature", () => {
    expect(() =>
      tlockEncrypt(message, 1000, { randomness: { ...fixed, nonce: new Uint8Array(16) } }),
    ).toThrow(/nonce must be 12 bytes/);
    expect(() =>
      tlockEncrypt(message, 1000, { randomness: { ...fixed, esk: new Uint8Array(16) } }),
    ).toThrow(/esk must be 32 bytes/);
    const ct = tlockEncrypt(message, 1000);
    expect(() => tlockDecrypt(ct, signature(1000).subarray(0, 47))).toThrow(/48 bytes/);
  });
});
