// Cross-check vectors for runtime 424 (call data, storage keys and the weight-commit hash, derived
// from subtensor's source and checked with @polkadot/types), byte for byte, with the encoders the
// client uses and finney's runtime-424 metadata (data/subtensor/).
import { Keyring } from "@polkadot/keyring";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import { compactStripLength, hexToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { commitmentRef, encodeCommitmentField } from "../../src/chain/commitment.js";
import { weightCommitHash } from "../../src/chain/weights.js";
import { fixtureRegistry } from "./fixture.js";

const ALICE = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

describe("commit hash vector (no metadata needed)", () => {
  it("matches blake2_256 of SCALE (AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)", () => {
    expect(
      weightCommitHash({
        publicKey: hexToU8a(ALICE),
        netuid: 1,
        uids: [0, 1],
        values: [65535, 32768],
        salt: [1, 2, 3, 4, 5, 6, 7, 8],
        versionKey: 0n,
      }),
    ).toBe("0x15d1d763685dfce22d8650296059d5767f0932787b33a80c31d996c3d36b6eef");
  });
});

describe("runtime 424 vectors (finney metadata)", () => {
  let f: ReturnType<typeof fixtureRegistry>;
  let decorated: ReturnType<typeof expandMetadata>;
  beforeAll(async () => {
    await cryptoWaitReady();
    f = fixtureRegistry();
    decorated = expandMetadata(f.registry, f.metadata);
  });
  const storageKey = (key: Uint8Array) => u8aToHex(compactStripLength(key)[1]);

  it("set_weights call data", () => {
    const call = decorated.tx.subtensorModule?.setWeights?.(1, [0, 1, 2], [65535, 32768, 1], 0);
    expect(call?.toHex()).toBe("0x070001000c0000010002000cffff008001000000000000000000");
  });

  it("set_commitment call data, with the field the encoder picks", () => {
    const ref = commitmentRef("ghcr.io/acme/sn-miner:v1", `sha256:${"ab".repeat(32)}`);
    const field = encodeCommitmentField(
      ref,
      new Set(
        (f.registry.createType("PalletCommitmentsData") as unknown as { defKeys: string[] })
          .defKeys,
      ),
    );
    expect(field.variant).toBe("Raw96");
    const call = decorated.tx.commitments?.setCommitment?.(1, {
      fields: [{ [field.variant]: u8aToHex(field.bytes) }],
    });
    const hex = call?.toHex() ?? "";
    expect(hex.startsWith(`0x1200010004${"61"}${Buffer.from("ghcr.io/").toString("hex")}`)).toBe(
      true,
    );
    expect((hex.length - 2) / 2).toBe(102);
    expect(hex.endsWith(Buffer.from(ref.text).toString("hex"))).toBe(true);
  });

  it("the runtime's Data enum has BigRaw at 136 and a long reference uses it", () => {
    const data = f.registry.createType("PalletCommitmentsData", { BigRaw: "0x0102" });
    expect(u8aToHex(data.toU8a())).toBe("0x88080102");
    const long = commitmentRef(`ghcr.io/${"a".repeat(80)}/miner`, `sha256:${"cd".repeat(32)}`);
    const field = encodeCommitmentField(long, new Set(["BigRaw"]));
    const encoded = f.registry.createType("PalletCommitmentsData", {
      [field.variant]: u8aToHex(field.bytes),
    });
    expect(encoded.toU8a()[0]).toBe(136);
  });

  it("CommitmentOf(1, Alice) and Keys(1, 0) storage keys", () => {
    expect(storageKey(decorated.query.commitments?.commitmentOf?.(1, ALICE) as Uint8Array)).toBe(
      "0xca407206ec1ab726b2636c4b145ac287419a60ae8b01e6dcaebd7317e43c69bf0100518366b5b1bc7c99d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
    );
    expect(storageKey(decorated.query.subtensorModule?.keys?.(1, 0) as Uint8Array)).toBe(
      "0x658faa385070e074c85bf6b568cf05559f99a2ce711f3a31b2fc05604c93f17901000000",
    );
  });

  it("commit_timelocked_weights call data (the call the client refuses to fake)", () => {
    const call = decorated.tx.subtensorModule?.commitTimelockedWeights?.(
      1,
      "0x010203",
      20000000,
      4,
    );
    expect(call?.toHex()).toBe("0x077101000c010203002d3101000000000400");
  });

  it("the signing payload carries no bytes for runtime 424's own extensions", () => {
    const { registry } = f;
    expect(registry.signedExtensions).toEqual([
      "CheckNonZeroSender",
      "CheckSpecVersion",
      "CheckTxVersion",
      "CheckGenesis",
      "CheckMortality",
      "CheckNonce",
      "CheckWeight",
      "ChargeTransactionPayment",
      "SudoTransactionExtension",
      "CheckShieldedTxValidity",
      "SubtensorTransactionExtension",
      "DrandPriority",
      "CheckMetadataHash",
    ]);
    const method = "0x070001000c0000010002000cffff008001000000000000000000";
    const genesis = `0x${"11".repeat(32)}`;
    const block = `0x${"22".repeat(32)}`;
    const payload = registry.createType("ExtrinsicPayload", {
      method,
      era: "0x00",
      nonce: 5,
      tip: 0,
      mode: 0,
      specVersion: 424,
      transactionVersion: 1,
      genesisHash: genesis,
      blockHash: block,
      metadataHash: null,
    });
    const expected = u8aConcat(
      hexToU8a(method),
      new Uint8Array([0x00, 5 << 2, 0, 0]), // immortal era, compact nonce 5, compact tip 0, mode 0
      new Uint8Array([0xa8, 0x01, 0, 0, 1, 0, 0, 0]), // spec 424, tx version 1
      hexToU8a(genesis),
      hexToU8a(block),
      new Uint8Array([0]), // metadata hash: None
    );
    expect(u8aToHex(payload.toU8a({ method: true }))).toBe(u8aToHex(expected));
    // And a signed extrinsic built from it verifies against the signer's key.
    const alice = new Keyring({ type: "sr25519" }).addFromUri("//Alice");
    const sig = payload.sign(alice);
    const raw = hexToU8a(sig.signature);
    expect(raw[0]).toBe(1); // MultiSignature::Sr25519
    expect(alice.verify(payload.toU8a({ method: true }), raw.subarray(1), alice.publicKey)).toBe(
      true,
    );
  });
});
