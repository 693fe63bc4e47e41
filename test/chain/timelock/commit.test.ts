// The `commit` bytes of commit_timelocked_mechanism_weights, end to end: weights → payload →
// timelocked for the round → what the chain would decrypt with that round's pulse.
import { describe, expect, it } from "vitest";
import { MAX_COMMIT_BYTES, timelockedWeightsCommit } from "../../../src/chain/timelock/commit.js";
import {
  decodeWeightsTlockPayload,
  encodeWeightsTlockPayload,
  weightsTlockPayload,
} from "../../../src/chain/timelock/payload.js";
import { tlockDecrypt } from "../../../src/chain/timelock/tlock.js";
import { arkworksDecrypt } from "./oracle.js";
import { signature, toHex } from "./vectors.js";

const hotkey = new Uint8Array(32).map((_, i) => i);

describe("timelocked weights commit", () => {
  it("decrypts with the round's signature to the hotkey's normalised weights (ours and arkworks)", () => {
    const payload = weightsTlockPayload(hotkey, [0, 1, 2, 3], [0.9, 0.1, 0, 0.3], 1001n);
    const commit = timelockedWeightsCommit(payload, 1000);
    expect(commit.length).toBe(encodeWeightsTlockPayload(payload).length + 244);
    const decoded = decodeWeightsTlockPayload(tlockDecrypt(commit, signature(1000)));
    expect(toHex(decoded.hotkey)).toBe(toHex(hotkey));
    expect(decoded.uids).toEqual([0, 1, 3]);
    expect(decoded.values).toEqual([65535, 7282, 21845]);
    expect(decoded.versionKey).toBe(1001n);
    expect(toHex(arkworksDecrypt(commit, signature(1000)))).toBe(
      toHex(encodeWeightsTlockPayload(payload)),
    );
  });

  it(`refuses a commit over the pallet's ${MAX_COMMIT_BYTES} bytes (1200 weights)`, () => {
    const uids = Array.from({ length: 1200 }, (_, i) => i);
    const payload = weightsTlockPayload(
      hotkey,
      uids,
      uids.map((i) => i + 1),
      0n,
    );
    expect(() => timelockedWeightsCommit(payload, 1000)).toThrow(
      /5089 bytes, over the chain's 5000/,
    );
  });
});
