// (c) Against the arkworks implementation itself (the tle crate as WASM, the layout subtensor
// reads): it encrypts and we decrypt, we encrypt and it decrypts, under the round-1000 signature.
import { describe, expect, it } from "vitest";
import { roundMessage } from "../../../src/chain/timelock/drand.js";
import {
  encodeWeightsTlockPayload,
  weightsTlockPayload,
} from "../../../src/chain/timelock/payload.js";
import { tlockDecrypt, tlockEncrypt } from "../../../src/chain/timelock/tlock.js";
import { parseTlockCiphertext, TLOCK_OVERHEAD } from "../../../src/chain/timelock/wire.js";
import { arkworksDecrypt, arkworksEncrypt } from "./oracle.js";
import { bytes, signature, toHex, vectors } from "./vectors.js";

const PK = bytes(vectors.quicknet.publicKey);
const payload = encodeWeightsTlockPayload(
  weightsTlockPayload(new Uint8Array(32).fill(0x42), [0, 5, 9], [0.2, 1, 0.7], 1001n),
);
const messages: [string, Uint8Array][] = [
  ["a weights payload", payload],
  ["an empty message", new Uint8Array(0)],
  ["1000 bytes", new Uint8Array(1000).map((_, i) => (i * 7) & 0xff)],
];

describe("arkworks encrypts, we decrypt", () => {
  for (const [name, message] of messages)
    it(`${name}, round 1000`, () => {
      const ct = arkworksEncrypt(roundMessage(1000), message, new Uint8Array(32).fill(9), PK);
      expect(ct.length).toBe(message.length + TLOCK_OVERHEAD);
      expect(parseTlockCiphertext(ct).cipherSuite).toBe("AES_GCM_");
      expect(toHex(tlockDecrypt(ct, signature(1000)))).toBe(toHex(message));
      expect(() => tlockDecrypt(ct, signature(1001))).toThrow(/does not open/);
    });

  it("many fresh ciphertexts (both signs of U's y, any r) all open", () => {
    for (let i = 0; i < 8; i++) {
      const ct = arkworksEncrypt(roundMessage(1000), payload, new Uint8Array(32).fill(i), PK);
      expect(toHex(tlockDecrypt(ct, signature(1000)))).toBe(toHex(payload));
    }
  });
});

describe("we encrypt, arkworks decrypts", () => {
  for (const [name, message] of messages)
    it(`${name}, round 1000`, () => {
      const ct = tlockEncrypt(message, 1000);
      expect(toHex(arkworksDecrypt(ct, signature(1000)))).toBe(toHex(message));
      expect(() => arkworksDecrypt(ct, signature(1001))).toThrow();
    });

  it("many fresh ciphertexts all open", () => {
    for (let i = 0; i < 8; i++) {
      const ct = tlockEncrypt(payload, 1000);
      expect(toHex(arkworksDecrypt(ct, signature(1000)))).toBe(toHex(payload));
    }
  });

  it("for another round (12040883) too", () => {
    const ct = tlockEncrypt(payload, 12040883);
    expect(toHex(arkworksDecrypt(ct, signature(12040883)))).toBe(toHex(payload));
  });
});
