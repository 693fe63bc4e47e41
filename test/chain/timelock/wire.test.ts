// The wire layout (arkworks serialize_compressed of the tle crate's TLECiphertext), field by field,
// and the parser's refusals.
import { describe, expect, it } from "vitest";
import { G2_GENERATOR } from "../../../src/chain/timelock/bls.js";
import { tlockEncrypt } from "../../../src/chain/timelock/tlock.js";
import {
  parseTlockCiphertext,
  plaintextLength,
  serializeTlockCiphertext,
  TLOCK_OVERHEAD,
} from "../../../src/chain/timelock/wire.js";
import { toHex } from "./vectors.js";

const le64 = (b: Uint8Array, at: number) =>
  Number(new DataView(b.buffer, b.byteOffset).getBigUint64(at, true));

describe("wire layout", () => {
  const L = 59;
  const ct = tlockEncrypt(new Uint8Array(L).fill(7), 1000);

  it("is U(96) | V 8+32 | W 8+32 | body 8+(L+44) [8+(L+16) | 8+12] | suite 8+8, L + 244 bytes", () => {
    expect(ct.length).toBe(L + 244);
    expect(le64(ct, 96)).toBe(32);
    expect(le64(ct, 136)).toBe(32);
    expect(le64(ct, 176)).toBe(L + 44);
    expect(le64(ct, 184)).toBe(L + 16);
    expect(le64(ct, 184 + 8 + L + 16)).toBe(12);
    expect(le64(ct, ct.length - 16)).toBe(8);
    expect(new TextDecoder().decode(ct.subarray(ct.length - 8))).toBe("AES_GCM_");
    expect(plaintextLength(ct.length)).toBe(L);
  });

  it("parses into fields that serialise back to the same bytes", () => {
    const fields = parseTlockCiphertext(ct);
    expect(fields.u).toHaveLength(96);
    expect(fields.v).toHaveLength(32);
    expect(fields.w).toHaveLength(32);
    expect(fields.ciphertext).toHaveLength(L + 16);
    expect(fields.nonce).toHaveLength(12);
    expect(fields.cipherSuite).toBe("AES_GCM_");
    expect(toHex(serializeTlockCiphertext(fields))).toBe(toHex(ct));
  });

  it("parses a Buffer from Node's shared pool (a view that does not start at its ArrayBuffer's 0)", () => {
    const pooled = Buffer.from(toHex(ct), "hex");
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(toHex(serializeTlockCiphertext(parseTlockCiphertext(pooled)))).toBe(toHex(ct));
  });

  const patched = (offset: number, bytes: number[]) => {
    const copy = ct.slice();
    copy.set(bytes, offset);
    return copy;
  };
  const u64le = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return [...b];
  };

  it("refuses short input, trailing bytes and the same fields without length prefixes", () => {
    expect(() => parseTlockCiphertext(ct.subarray(0, TLOCK_OVERHEAD - 1))).toThrow(/at least 244/);
    expect(() => parseTlockCiphertext(ct.subarray(0, ct.length - 1))).toThrow(
      /cipher suite at offset \d+ claims 8 bytes, 7 left/,
    );
    expect(() => parseTlockCiphertext(new Uint8Array([...ct, 0]))).toThrow(/after the end/);
    const f = parseTlockCiphertext(ct);
    const bare = new Uint8Array([
      ...f.u,
      ...f.v,
      ...f.w,
      ...f.ciphertext,
      ...f.nonce,
      ...new TextEncoder().encode("AES_GCM_"),
    ]);
    expect(() => parseTlockCiphertext(new Uint8Array([...bare, ...new Uint8Array(16)]))).toThrow(
      /V at offset 96/,
    );
  });

  it("refuses a U that is not a G2 point, or is the identity", () => {
    expect(() =>
      parseTlockCiphertext(patched(0, [0x80, ...new Uint8Array(95).fill(0xff)])),
    ).toThrow(/U at offset 0/);
    expect(() =>
      parseTlockCiphertext(patched(0, [...G2_GENERATOR.subtract(G2_GENERATOR).toBytes(true)])),
    ).toThrow(/identity/);
  });

  it("refuses V or W of another length, a short ciphertext, a nonce of 16 and another suite", () => {
    expect(() => parseTlockCiphertext(patched(96, u64le(31)))).toThrow(
      /V at offset 96 has length 31/,
    );
    expect(() => parseTlockCiphertext(patched(136, u64le(33)))).toThrow(
      /W at offset 136 has length 33/,
    );
    expect(() => parseTlockCiphertext(patched(176, u64le(2 ** 40)))).toThrow(
      /body at offset 176 claims/,
    );
    expect(() => parseTlockCiphertext(patched(184 + 8 + L + 16, u64le(16)))).toThrow(
      /nonce .* has length 16/,
    );
    expect(() =>
      parseTlockCiphertext(patched(ct.length - 8, [...new TextEncoder().encode("AES_CTR_")])),
    ).toThrow(/cipher suite is "AES_CTR_"/);
    // A body whose ciphertext is shorter than a GCM tag.
    const f = parseTlockCiphertext(ct);
    const short = serializeTlockCiphertext({ ...f, ciphertext: f.ciphertext.subarray(0, 15) });
    expect(() =>
      parseTlockCiphertext(new Uint8Array([...short, ...new Uint8Array(TLOCK_OVERHEAD)])),
    ).toThrow(/less than its 16-byte tag/);
  });
});
