// The SCALE plaintext `WeightsTlockPayload { hotkey: Vec<u8>, uids: Vec<u16>, values: Vec<u16>,
// version_key: u64 }`: the published 59-byte vector, @polkadot/types as a second encoder, the
// set_weights normalisation, and the decoder's refusals.
import { TypeRegistry } from "@polkadot/types";
import { u8aToHex } from "@polkadot/util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeWeightsTlockPayload,
  encodeWeightsTlockPayload,
  type WeightsTlockPayload,
  weightsTlockPayload,
} from "../../../src/chain/timelock/payload.js";
import { bytes, toHex, vectors } from "./vectors.js";

const ex = vectors.payloadExample;
const example: WeightsTlockPayload = {
  hotkey: bytes(ex.hotkey),
  uids: ex.uids,
  values: ex.values,
  versionKey: BigInt(ex.versionKey),
};

const registry = new TypeRegistry();
registry.register({
  WeightsTlockPayload: {
    hotkey: "Vec<u8>",
    uids: "Vec<u16>",
    values: "Vec<u16>",
    versionKey: "u64",
  },
});
// A Uint8Array given for Vec<u8> is read as already SCALE-encoded; a hex string is the raw bytes.
const polkadotEncode = (p: WeightsTlockPayload) =>
  toHex(registry.createType("WeightsTlockPayload", { ...p, hotkey: u8aToHex(p.hotkey) }).toU8a());

describe("WeightsTlockPayload", () => {
  it("encodes the published example to its 59 bytes and decodes them back", () => {
    const encoded = encodeWeightsTlockPayload(example);
    expect(encoded).toHaveLength(59);
    expect(toHex(encoded)).toBe(ex.hex);
    expect(polkadotEncode(example)).toBe(ex.hex);
    const decoded = decodeWeightsTlockPayload(bytes(ex.hex));
    expect(toHex(decoded.hotkey)).toBe(ex.hotkey);
    expect(decoded.uids).toEqual([0, 1, 2, 3]);
    expect(decoded.values).toEqual([65535, 1, 2, 3]);
    expect(decoded.versionKey).toBe(1001n);
  });

  it("decodes a Buffer from Node's shared pool (a view that does not start at its ArrayBuffer's 0)", () => {
    Buffer.from("padding"); // so the pool is in use before the payload's bytes land in it
    const pooled = Buffer.from(ex.hex, "hex");
    expect(pooled.byteOffset).toBeGreaterThan(0);
    const decoded = decodeWeightsTlockPayload(pooled);
    expect([decoded.uids, decoded.values, decoded.versionKey]).toEqual([
      [0, 1, 2, 3],
      [65535, 1, 2, 3],
      1001n,
    ]);
  });

  it("encodes as @polkadot/types does, and decodes what it encodes (any payload)", () => {
    const u16 = fc.integer({ min: 0, max: 65535 });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.tuple(u16, u16), { maxLength: 300 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (hotkey, pairs, versionKey) => {
          const p = {
            hotkey,
            uids: pairs.map((x) => x[0]),
            values: pairs.map((x) => x[1]),
            versionKey,
          };
          const encoded = encodeWeightsTlockPayload(p);
          expect(toHex(encoded)).toBe(polkadotEncode(p));
          expect(decodeWeightsTlockPayload(encoded)).toEqual({
            ...p,
            hotkey: Uint8Array.from(hotkey),
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("normalises weights exactly as for set_weights: max to 65535, half to even, zeros dropped", () => {
    const p = weightsTlockPayload(example.hotkey, [3, 5, 9, 11], [2, 1, 0, 0.5], 7n);
    // 1/2·65535 = 32767.5 rounds to the even 32768; 0.5/2·65535 = 16383.75 rounds to 16384.
    expect(p).toEqual({
      hotkey: example.hotkey,
      uids: [3, 5, 11],
      values: [65535, 32768, 16384],
      versionKey: 7n,
    });
    expect(weightsTlockPayload(example.hotkey, [1, 2], [0, 0], 0n).uids).toEqual([]);
  });

  it("refuses what the chain could not take", () => {
    expect(() => encodeWeightsTlockPayload({ ...example, hotkey: new Uint8Array(31) })).toThrow(
      /32-byte/,
    );
    expect(() => encodeWeightsTlockPayload({ ...example, values: [1, 2, 3] })).toThrow(
      /4 uids but 3 values/,
    );
    expect(() => encodeWeightsTlockPayload({ ...example, uids: [0, 1, 2, 65536] })).toThrow(
      /uids\[3\] = 65536/,
    );
    expect(() => encodeWeightsTlockPayload({ ...example, values: [0, 1, 2, -1] })).toThrow(
      /values\[3\]/,
    );
    expect(() => encodeWeightsTlockPayload({ ...example, versionKey: 1n << 64n })).toThrow(
      /not a u64/,
    );
  });

  it("decodes strictly: short input, trailing bytes, a 31-byte hotkey, a non-canonical length", () => {
    const good = bytes(ex.hex);
    expect(() => decodeWeightsTlockPayload(good.subarray(0, 58))).toThrow(
      /version_key .* needs 8 bytes/,
    );
    expect(() => decodeWeightsTlockPayload(new Uint8Array([...good, 0]))).toThrow(/1 bytes after/);
    expect(() => decodeWeightsTlockPayload(new Uint8Array([0x7c, ...good.subarray(1)]))).toThrow(
      /hotkey has 31 bytes/,
    );
    // 32 as a two-byte compact (0x81 0x00) instead of 0x80.
    expect(() =>
      decodeWeightsTlockPayload(new Uint8Array([0x81, 0x00, ...good.subarray(1)])),
    ).toThrow(/canonical/);
    expect(() => decodeWeightsTlockPayload(new Uint8Array(0))).toThrow(/no bytes left/);
  });
});
