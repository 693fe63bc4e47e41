// A real commit from finney (block 9101269), decoded with finney's runtime-424 metadata and parsed
// field by field. Its round's signature is not in the fixtures: this checks layout, not decryption.
import type { Call } from "@polkadot/types/interfaces";
import { hexToU8a } from "@polkadot/util";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeG2 } from "../../../src/chain/timelock/bls.js";
import { COMMIT_REVEAL_VERSION } from "../../../src/chain/timelock/commit.js";
import { parseTlockCiphertext, plaintextLength } from "../../../src/chain/timelock/wire.js";
import { fixtureRegistry } from "../fixture.js";
import { finneyCallHex, toHex, vectors } from "./vectors.js";

const expected = vectors.finneyCall;

describe("finney commit_timelocked_mechanism_weights, block 9101269", () => {
  const raw = hexToU8a(`0x${finneyCallHex()}`);
  let call: Call;
  beforeAll(() => {
    call = fixtureRegistry().registry.createType("Call", raw);
  });

  it("is pallet 7, call 118 in the runtime-424 metadata", () => {
    expect([raw[0], raw[1]]).toEqual([expected.palletIndex, expected.callIndex]);
    expect(call.section).toBe("subtensorModule");
    expect(call.method).toBe("commitTimelockedMechanismWeights");
    expect([...call.callIndex]).toEqual([7, 118]);
    // Nothing left over: the metadata's argument types consumed the whole call.
    expect(call.toU8a().length).toBe(raw.length);
  });

  it("carries netuid 7, mecid 0, reveal_round 32340463 and version 4", () => {
    const [netuid, mecid, , revealRound, version] = call.args;
    expect(netuid?.toJSON()).toBe(expected.netuid);
    expect(mecid?.toJSON()).toBe(expected.mecid);
    expect(revealRound?.toJSON()).toBe(expected.revealRound);
    expect(version?.toJSON()).toBe(expected.commitRevealVersion);
    expect(version?.toJSON()).toBe(COMMIT_REVEAL_VERSION);
  });

  it("its 303-byte commit is a 59-byte payload + 244 and parses field by field", () => {
    const commit = call.args[2]?.toU8a(true) ?? new Uint8Array();
    expect(commit.length).toBe(expected.commitBytes);
    expect(plaintextLength(commit.length)).toBe(expected.payloadBytes);
    const ct = parseTlockCiphertext(commit);
    expect(ct.v).toHaveLength(32);
    expect(ct.w).toHaveLength(32);
    expect(ct.ciphertext).toHaveLength(expected.payloadBytes + 16);
    expect(ct.nonce).toHaveLength(12);
    expect(ct.cipherSuite).toBe("AES_GCM_");
    // U is a point of G2's prime-order subgroup, canonically encoded.
    expect(toHex(decodeG2(ct.u).toBytes(true))).toBe(toHex(ct.u));
  });
});
