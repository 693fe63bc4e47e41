// The chain core without the network: the remaining dispatch errors, each one a real error of the
// runtime-424 metadata, with extrinsics signed by @polkadot/types as the api signs them.
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { Call } from "@polkadot/types/interfaces";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DEV_ADDRESSES, parseGenesis } from "../../../src/chain/local/genesis.js";
import { ChainNode } from "../../../src/chain/local/node.js";
import {
  loadRuntime,
  type Runtime,
  SPEC_VERSION,
  TRANSACTION_VERSION,
} from "../../../src/chain/local/runtime.js";
import { Storage } from "../../../src/chain/local/storage.js";
import type { Loose } from "./helpers.js";

const { alice: A, bob: B, charlie: C } = DEV_ADDRESSES;
let runtime: Runtime;
let alice: KeyringPair;
let tx: Loose;

beforeAll(async () => {
  await cryptoWaitReady();
  runtime = loadRuntime();
  tx = runtime.decorated.tx;
  alice = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice");
});

function newNode(subnet: Record<string, unknown>): ChainNode {
  return ChainNode.fromGenesis(
    runtime,
    parseGenesis({
      subnets: [
        {
          netuid: 1,
          tempo: 100,
          hotkeys: [{ address: A, validatorPermit: true }, { address: B }, { address: C }],
          minAllowedWeights: 1,
          ...subnet,
        },
      ],
    }),
  );
}

/** Sign `call` as Alice (immortal, next nonce), submit it, make a block: the failed error name or null. */
function apply(node: ChainNode, call: Call): string | null {
  const ext = runtime.registry.createType("Extrinsic", call);
  ext.sign(alice, {
    blockHash: node.genesisHash,
    genesisHash: node.genesisHash,
    nonce: node.nextIndex(A),
    runtimeVersion: { specVersion: SPEC_VERSION, transactionVersion: TRANSACTION_VERSION },
  } as never);
  node.submit(u8aToHex(ext.toU8a()));
  const block = node.produceBlock();
  const records: Loose = new Storage(runtime, node.stateAt(block.hash)).get("system", "events");
  for (const record of records) {
    const error = record.event.data[0];
    if (error?.isModule) {
      const meta = runtime.registry.findMetaError(error.asModule);
      return `${meta.section}.${meta.name}`;
    }
  }
  return null;
}

describe("dispatch errors not reached through the api tests", () => {
  it("set_weights: length, min weights, max weight", () => {
    const node = newNode({ commitRevealWeightsEnabled: false, weightsSetRateLimit: 0 });
    expect(apply(node, tx.subtensorModule.setWeights(1, [0, 1, 2, 0], [1, 1, 1, 1], 0))).toBe(
      "subtensorModule.UidsLengthExceedUidsInSubNet",
    );
    const limited = newNode({
      commitRevealWeightsEnabled: false,
      weightsSetRateLimit: 0,
      maxWeightsLimit: 40000,
      minAllowedWeights: 2,
    });
    expect(apply(limited, tx.subtensorModule.setWeights(1, [1], [1], 0))).toBe(
      "subtensorModule.WeightVecLengthIsLow",
    );
    expect(apply(limited, tx.subtensorModule.setWeights(1, [1, 2], [3, 1], 0))).toBe(
      "subtensorModule.MaxWeightExceeded",
    );
    expect(apply(limited, tx.subtensorModule.setWeights(1, [1, 2], [1, 1], 0))).toBeNull();
    // A self-weight needs neither the minimum count nor the max-weight limit.
    expect(apply(limited, tx.subtensorModule.setWeights(1, [0], [1], 0))).toBeNull();
  });

  it("commit_weights: rate limit and at most 10 unrevealed commits", () => {
    const limited = newNode({ weightsSetRateLimit: 5 });
    expect(apply(limited, tx.subtensorModule.commitWeights(1, `0x${"11".repeat(32)}`))).toBeNull();
    expect(apply(limited, tx.subtensorModule.commitWeights(1, `0x${"12".repeat(32)}`))).toBe(
      "subtensorModule.CommittingWeightsTooFast",
    );
    const node = newNode({ weightsSetRateLimit: 0 });
    for (let i = 0; i < 10; i++) {
      const hash = `0x${i.toString(16).padStart(2, "0").repeat(32)}`;
      expect(apply(node, tx.subtensorModule.commitWeights(1, hash))).toBeNull();
    }
    expect(apply(node, tx.subtensorModule.commitWeights(1, `0x${"ff".repeat(32)}`))).toBe(
      "subtensorModule.TooManyUnrevealedCommits",
    );
  });

  it("set_commitment: at most 3 fields and the per-epoch space budget", () => {
    const node = newNode({});
    const field = (n: number) => ({ [`Raw${n}`]: `0x${"61".repeat(n)}` });
    expect(
      apply(
        node,
        tx.commitments.setCommitment(1, { fields: [field(1), field(1), field(1), field(1)] }),
      ),
    ).toBe("commitments.TooManyFieldsInCommitmentInfo");
    // MaxSpace is 3100 bytes per epoch: 24 commitments of 128 bytes fit, the 25th does not.
    for (let i = 0; i < 24; i++)
      expect(apply(node, tx.commitments.setCommitment(1, { fields: [field(128)] }))).toBeNull();
    expect(apply(node, tx.commitments.setCommitment(1, { fields: [field(128)] }))).toBe(
      "commitments.SpaceLimitExceeded",
    );
  });
});
