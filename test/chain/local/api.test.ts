// The local chain against the real @polkadot/api over a loopback WebSocket: connection, storage,
// signed extrinsics, every weight-setting rule and error, commit-reveal epochs, restart.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiPromise } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { compactFromU8a, hexToU8a, u8aToHex } from "@polkadot/util";
import { blake2AsHex, cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_ADDRESSES,
  type GenesisConfig,
  type LocalChain,
  startLocalChain,
} from "../../../src/chain/local/chain.js";
import { epochIndex } from "../../../src/chain/local/epoch.js";
import { connect, type Loose, rawRpc, sendAndInclude } from "./helpers.js";

const ALICE_HEX = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
const REF = `ghcr.io/acme/sn-miner:v1@sha256:${"ab".repeat(32)}`;
const { alice: A, bob: B, charlie: C } = DEV_ADDRESSES;

// Subnet 1: direct weights (version key 5, rate limit 3). Subnet 2: hash commit-reveal, tempo 10.
const GENESIS: GenesisConfig = {
  subnets: [
    {
      netuid: 1,
      tempo: 20,
      hotkeys: [
        { address: A, validatorPermit: true, stake: "1000000000000" },
        { address: B },
        { address: C },
      ],
      weightsVersionKey: 5,
      weightsSetRateLimit: 3,
      commitRevealWeightsEnabled: false,
      minAllowedWeights: 1,
    },
    {
      netuid: 2,
      tempo: 10,
      hotkeys: [{ address: A, validatorPermit: true }, { address: B }],
      weightsSetRateLimit: 0,
      commitRevealWeightsEnabled: true,
      revealPeriodEpochs: 1,
      minAllowedWeights: 1,
    },
  ],
  accounts: [{ address: A, free: 10 ** 12 }],
};

let chain: LocalChain;
let api: ApiPromise;
let alice: KeyringPair;
let bob: KeyringPair;
let Q: Loose;
let T: Loose;
let E: Loose;
let CALL: Loose;

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  alice = keyring.addFromUri("//Alice");
  bob = keyring.addFromUri("//Bob");
  chain = await startLocalChain({ blockTimeMs: 0, genesis: GENESIS });
  api = await connect(chain.url);
  Q = api.query;
  T = api.tx;
  E = api.events;
  CALL = api.call;
});

afterAll(async () => {
  await api?.disconnect();
  await chain?.close();
});

describe("connection and storage", () => {
  it("serves runtime 424 with this chain's own genesis", async () => {
    expect(chain.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(api.runtimeVersion.specName.toString()).toBe("node-subtensor");
    expect(api.runtimeVersion.specVersion.toNumber()).toBe(424);
    expect(api.runtimeVersion.transactionVersion.toNumber()).toBe(1);
    expect(api.runtimeMetadata.version).toBe(16);
    expect(api.registry.chainSS58).toBe(42);
    expect(api.registry.chainDecimals).toEqual([9]);
    expect(api.registry.chainTokens).toEqual(["TAO"]);
    const genesis = await api.rpc.chain.getBlockHash(0);
    expect(api.genesisHash.toHex()).toBe(genesis.toHex());
    expect(genesis.toHex()).not.toBe(
      "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03",
    );
    const header = await api.rpc.chain.getHeader(genesis);
    expect(blake2AsHex(header.toU8a())).toBe(genesis.toHex());
  });

  it("builds the fixture README's storage keys and call data byte for byte", () => {
    expect(Q.subtensorModule.keys.key(1, 0)).toBe(
      "0x658faa385070e074c85bf6b568cf05559f99a2ce711f3a31b2fc05604c93f17901000000",
    );
    expect(Q.commitments.commitmentOf.key(1, A)).toBe(
      `0xca407206ec1ab726b2636c4b145ac287419a60ae8b01e6dcaebd7317e43c69bf0100518366b5b1bc7c99${ALICE_HEX.slice(2)}`,
    );
    expect(T.subtensorModule.setWeights(1, [0, 1, 2], [65535, 32768, 1], 0).method.toHex()).toBe(
      "0x070001000c0000010002000cffff008001000000000000000000",
    );
    expect(
      T.subtensorModule.commitTimelockedWeights(1, "0x010203", 20000000, 4).method.toHex(),
    ).toBe("0x077101000c010203002d3101000000000400");
  });

  it("answers the metagraph's queries: keys, uids, permits, stake, hyperparameters", async () => {
    const keys = await Q.subtensorModule.keys.entries(1);
    const byUid = new Map(
      keys.map(([k, v]: Loose[]) => [Number(k.args[1]?.toString()), v.toString()]),
    );
    expect(byUid).toEqual(
      new Map([
        [0, A],
        [1, B],
        [2, C],
      ]),
    );
    expect((await Q.subtensorModule.uids(1, C)).toJSON()).toBe(2);
    expect((await Q.subtensorModule.uids(1, DEV_ADDRESSES.dave)).isNone).toBe(true);
    expect((await Q.subtensorModule.subnetworkN(1)).toNumber()).toBe(3);
    expect((await Q.subtensorModule.validatorPermit(1)).toJSON()).toEqual([true, false, false]);
    expect((await Q.subtensorModule.totalHotkeyAlpha(A, 1)).toString()).toBe("1000000000000");
    expect((await Q.subtensorModule.weightsVersionKey(1)).toNumber()).toBe(5);
    expect((await Q.subtensorModule.weightsSetRateLimit(1)).toNumber()).toBe(3);
    expect((await Q.subtensorModule.commitRevealWeightsEnabled(1)).isTrue).toBe(false);
    expect((await Q.subtensorModule.commitRevealWeightsEnabled(2)).isTrue).toBe(true);
    expect((await Q.subtensorModule.tempo(2)).toNumber()).toBe(10);
    expect((await Q.subtensorModule.networksAdded(3)).isTrue).toBe(false);
    const account = await Q.system.account(A);
    expect(account.data.free.toString()).toBe("1000000000000");
  });

  it("answers an unknown method with a JSON-RPC error", async () => {
    expect(await rawRpc(chain.url, "nope_nothing", [])).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32601, message: "Method not found" },
    });
  });
});

describe("commitments", () => {
  it("stores exactly the pallet's bytes for a signed set_commitment from //Alice", async () => {
    const raw = u8aToHex(new TextEncoder().encode(REF));
    const tx = T.commitments.setCommitment(1, { fields: [{ Raw96: raw }] });
    expect(tx.method.toHex().startsWith("0x120001000461676863722e696f2f")).toBe(true);
    expect(tx.method.toU8a().length).toBe(102);
    const result = await sendAndInclude(api, chain, tx, alice);
    expect(result.error).toBeNull();
    expect(result.events.map((e) => `${e.event.section}.${e.event.method}`)).toEqual([
      "commitments.Commitment",
      "system.ExtrinsicSuccess",
    ]);
    const block = (await api.rpc.chain.getHeader(result.blockHash)).number.toNumber();
    const { result: stored } = (await rawRpc(chain.url, "state_getStorage", [
      Q.commitments.commitmentOf.key(1, A),
    ])) as { result: string };
    // Registration { deposit: u64 = 0, block: u32, info: { fields: [Raw96(bytes)] } }
    const blockLe = Buffer.alloc(4);
    blockLe.writeUInt32LE(block);
    expect(stored).toBe(`0x${"00".repeat(8)}${blockLe.toString("hex")}0461${raw.slice(2)}`);
    const decoded = await Q.commitments.commitmentOf(1, A);
    expect(decoded.unwrap().info.fields[0]?.asRaw96.toUtf8()).toBe(REF);
  });

  it("refuses a hotkey not registered on the subnet with AccountNotAllowedCommit", async () => {
    const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
    const dave = keyring.addFromUri("//Dave");
    const tx = T.commitments.setCommitment(1, { fields: [{ Raw4: "0x61626364" }] });
    const result = await sendAndInclude(api, chain, tx, dave);
    expect(result.error).toBe("commitments.AccountNotAllowedCommit");
    expect((await Q.commitments.commitmentOf(1, dave.address)).isNone).toBe(true);
  });

  it("rejects a bad signature at submission and the nonce stays", async () => {
    const nonce = (await api.rpc.system.accountNextIndex(A)).toNumber();
    const tx = T.commitments.setCommitment(1, { fields: [{ Raw4: "0x61626364" }] });
    await tx.signAsync(alice, { nonce });
    const bytes = tx.toU8a();
    // Length prefix, version byte, MultiAddress::Id (1 + 32), MultiSignature tag, then the signature.
    const sigAt = compactFromU8a(bytes)[0] + 1 + 33 + 1;
    bytes[sigAt + 5] = (bytes[sigAt + 5] ?? 0) ^ 0xff;
    await expect(api.rpc.author.submitExtrinsic(u8aToHex(bytes))).rejects.toThrow(
      /1010: Invalid Transaction: Transaction has a bad signature/,
    );
    // The untouched extrinsic is accepted, so it was the signature that failed.
    await expect(api.rpc.author.submitExtrinsic(tx.toHex())).resolves.toBeTruthy();
    await chain.produceBlocks(1);
    expect((await api.rpc.system.accountNextIndex(A)).toNumber()).toBe(nonce + 1);
    await expect(api.rpc.author.submitExtrinsic(tx.toHex())).rejects.toThrow(
      /Transaction is outdated/,
    );
  });

  it("verifies ed25519 signers too", async () => {
    const ed = new Keyring({ type: "ed25519", ss58Format: 42 }).addFromUri("//Ferdie");
    const tx = T.commitments.setCommitment(1, { fields: [{ Raw1: "0x31" }] });
    const result = await sendAndInclude(api, chain, tx, ed);
    // Accepted and executed (the key is not registered, so the pallet refuses it).
    expect(result.error).toBe("commitments.AccountNotAllowedCommit");
  });

  it("refuses calls it does not execute", async () => {
    const tx = T.system.remark("0x00");
    await tx.signAsync(alice);
    await expect(api.rpc.author.submitExtrinsic(tx.toHex())).rejects.toThrow(
      /Transaction call is not expected/,
    );
  });
});

describe("set_weights", () => {
  const setWeights = (netuid: number, uids: number[], values: number[], key: number) =>
    T.subtensorModule.setWeights(netuid, uids, values, key);

  it("stores max-upscaled weights and LastUpdate, then enforces the rate limit", async () => {
    const ok = await sendAndInclude(api, chain, setWeights(1, [1, 2], [100, 50], 5), alice);
    expect(ok.error).toBeNull();
    expect(ok.events.map((e) => `${e.event.section}.${e.event.method}`)).toEqual([
      "subtensorModule.WeightsSet",
      "system.ExtrinsicSuccess",
    ]);
    expect((await Q.subtensorModule.weights(1, 0)).toJSON()).toEqual([
      [1, 65535],
      [2, 32768],
    ]);
    const block = (await api.rpc.chain.getHeader(ok.blockHash)).number.toNumber();
    expect((await Q.subtensorModule.lastUpdate(1)).toJSON()).toEqual([block, 0, 0]);

    const early = await sendAndInclude(api, chain, setWeights(1, [1], [1], 5), alice);
    expect(early.error).toBe("subtensorModule.SettingWeightsTooFast");
    await chain.produceBlocks(1);
    const later = await sendAndInclude(api, chain, setWeights(1, [1, 2], [1, 1], 5), alice);
    expect(later.error).toBeNull();
  });

  it("fails with the runtime's errors, leaving Weights untouched", async () => {
    await chain.produceBlocks(3);
    const before = (await Q.subtensorModule.weights(1, 0)).toJSON();
    const cases: [string, ReturnType<typeof setWeights>, KeyringPair][] = [
      ["subtensorModule.CommitRevealEnabled", setWeights(2, [1], [1], 0), alice],
      ["subtensorModule.IncorrectWeightVersionKey", setWeights(1, [1], [1], 4), alice],
      ["subtensorModule.NeuronNoValidatorPermit", setWeights(1, [0, 2], [1, 1], 5), bob],
      ["subtensorModule.DuplicateUids", setWeights(1, [1, 1], [1, 1], 5), alice],
      ["subtensorModule.UidVecContainInvalidOne", setWeights(1, [1, 7], [1, 1], 5), alice],
      ["subtensorModule.WeightVecNotEqualSize", setWeights(1, [1, 2], [1], 5), alice],
      // As on the real chain: an unknown subnet reads CommitRevealWeightsEnabled's default, true.
      ["subtensorModule.CommitRevealEnabled", setWeights(9, [1], [1], 5), alice],
    ];
    for (const [error, tx, signer] of cases) {
      const result = await sendAndInclude(api, chain, tx, signer);
      expect(result.error, error).toBe(error);
      const failed = result.events.find((e) => E.system.ExtrinsicFailed.is(e.event));
      expect(failed, error).toBeDefined();
    }
    expect((await Q.subtensorModule.weights(1, 0)).toJSON()).toEqual(before);
  });
});

describe("hash commit-reveal (subnet 2, tempo 10, reveal period 1)", () => {
  const UIDS = [0, 1];
  const VALUES = [65535, 32768];
  const SALT = [1, 2, 3, 4, 5, 6, 7, 8];

  function commitHash(uids = UIDS, values = VALUES, salt = SALT, key = 0): string {
    const r = api.registry;
    const encoded = new Uint8Array([
      ...r.createType("AccountId32", A).toU8a(),
      ...r.createType("u16", 2).toU8a(),
      ...r.createType("Vec<u16>", uids).toU8a(),
      ...r.createType("Vec<u16>", values).toU8a(),
      ...r.createType("Vec<u16>", salt).toU8a(),
      ...r.createType("u64", key).toU8a(),
    ]);
    return blake2AsHex(encoded);
  }

  /** Make blocks until the next block to be built falls in `epoch`. */
  async function untilEpoch(epoch: number): Promise<void> {
    while (epochIndex(2, 10, chain.bestNumber() + 1) < epoch) await chain.produceBlocks(1);
  }

  it("matches the README's hash vector for netuid 1", () => {
    const r = api.registry;
    const hash = blake2AsHex(
      new Uint8Array([
        ...r.createType("AccountId32", A).toU8a(),
        ...r.createType("u16", 1).toU8a(),
        ...r.createType("Vec<u16>", [0, 1]).toU8a(),
        ...r.createType("Vec<u16>", [65535, 32768]).toU8a(),
        ...r.createType("Vec<u16>", SALT).toU8a(),
        ...r.createType("u64", 0).toU8a(),
      ]),
    );
    expect(hash).toBe("0x15d1d763685dfce22d8650296059d5767f0932787b33a80c31d996c3d36b6eef");
  });

  it("commits, refuses an early reveal, reveals in the next epoch, expires a late one", async () => {
    const hash = commitHash();
    const commit = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitWeights(2, hash),
      alice,
    );
    expect(commit.error).toBeNull();
    const commitBlock = (await api.rpc.chain.getHeader(commit.blockHash)).number.toNumber();
    const commitEpoch = epochIndex(2, 10, commitBlock);
    const stored = (await Q.subtensorModule.weightCommits(2, A)).toJSON() as unknown[][];
    const first = (commitEpoch + 1) * 11 - 3;
    expect(stored).toEqual([[hash, commitBlock, first, first + 10]]);

    const reveal = () => T.subtensorModule.revealWeights(2, UIDS, VALUES, SALT, 0);
    if (epochIndex(2, 10, chain.bestNumber() + 1) === commitEpoch) {
      const early = await sendAndInclude(api, chain, reveal(), alice);
      expect(early.error).toBe("subtensorModule.RevealTooEarly");
    }
    const wrong = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.revealWeights(2, UIDS, [1, 2], SALT, 0),
      alice,
    );
    expect(wrong.error).toMatch(/RevealTooEarly|InvalidRevealCommitHashNotMatch/);

    await untilEpoch(commitEpoch + 1);
    const ok = await sendAndInclude(api, chain, reveal(), alice);
    expect(ok.error).toBeNull();
    expect(ok.events.map((e) => `${e.event.section}.${e.event.method}`)).toEqual([
      "subtensorModule.WeightsSet",
      "subtensorModule.WeightsRevealed",
      "system.ExtrinsicSuccess",
    ]);
    expect((await Q.subtensorModule.weights(2, 0)).toJSON()).toEqual([
      [0, 65535],
      [1, 32768],
    ]);
    expect((await Q.subtensorModule.weightCommits(2, A)).isNone).toBe(true);
    const again = await sendAndInclude(api, chain, reveal(), alice);
    expect(again.error).toBe("subtensorModule.NoWeightsCommitFound");

    // A second commit left unrevealed past its reveal epoch has expired.
    const late = commitHash(UIDS, [1, 1]);
    const commit2 = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitWeights(2, late),
      alice,
    );
    expect(commit2.error).toBeNull();
    const epoch2 = epochIndex(
      2,
      10,
      (await api.rpc.chain.getHeader(commit2.blockHash)).number.toNumber(),
    );
    await untilEpoch(epoch2 + 2);
    const expired = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.revealWeights(2, UIDS, [1, 1], SALT, 0),
      alice,
    );
    expect(expired.error).toBe("subtensorModule.ExpiredWeightCommit");
  });

  it("refuses commit_weights where commit-reveal is off", async () => {
    const result = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitWeights(1, commitHash()),
      alice,
    );
    expect(result.error).toBe("subtensorModule.CommitRevealDisabled");
  });

  it("stores a timelocked commit under the subnet's epoch index and checks its version", async () => {
    const bad = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitTimelockedWeights(2, "0x010203", 1000, 3),
      alice,
    );
    expect(bad.error).toBe("subtensorModule.IncorrectCommitRevealVersion");
    const ok = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitTimelockedWeights(2, "0x010203", 1000, 4),
      alice,
    );
    expect(ok.error).toBeNull();
    const block = (await api.rpc.chain.getHeader(ok.blockHash)).number.toNumber();
    const epoch = (await Q.subtensorModule.subnetEpochIndex.at(ok.blockHash, 2)).toNumber();
    const pending = await Q.subtensorModule.timelockedWeightCommits(2, epoch);
    expect(pending.toJSON()).toEqual([[A, block, "0x010203", 1000]]);
  });
});

describe("pool, runtime calls and subscriptions", () => {
  it("keeps a future nonce until the gap fills, then includes both in order", async () => {
    const nonce = (await CALL.accountNonceApi.accountNonce(A)).toNumber();
    const first = T.commitments.setCommitment(1, { fields: [{ Raw1: "0x31" }] });
    const second = T.commitments.setCommitment(1, { fields: [{ Raw1: "0x32" }] });
    await second.signAsync(alice, { nonce: nonce + 1 });
    await first.signAsync(alice, { nonce });
    expect((await api.rpc.author.submitExtrinsic(second.toHex())).toHex()).toBe(
      second.hash.toHex(),
    );
    expect((await api.rpc.system.accountNextIndex(A)).toNumber()).toBe(nonce);
    await api.rpc.author.submitExtrinsic(first.toHex());
    expect((await api.rpc.system.accountNextIndex(A)).toNumber()).toBe(nonce + 2);
    expect((await api.rpc.author.pendingExtrinsics()).length).toBe(2);
    await chain.produceBlocks(1);
    const block = await api.rpc.chain.getBlock();
    expect(block.block.extrinsics.map((x) => x.hash.toHex())).toEqual([
      first.hash.toHex(),
      second.hash.toHex(),
    ]);
    expect((await CALL.accountNonceApi.accountNonce(A)).toNumber()).toBe(nonce + 2);
    const latest = await Q.commitments.commitmentOf(1, A);
    expect(latest.unwrap().info.fields[0].asRaw1.toHex()).toBe("0x32");
  });

  it("answers paymentInfo (no fee: the executed calls are Pays::No) and lists commitments by netuid", async () => {
    const info = await T.subtensorModule.setWeights(1, [0], [1], 5).paymentInfo(alice);
    expect(info.partialFee.toString()).toBe("0");
    const entries = await Q.commitments.commitmentOf.entries(1);
    expect(entries.map(([k]: Loose[]) => k.args[1].toString())).toEqual([A]);
    // Paging through keys one at a time returns every key once.
    const prefix = Q.subtensorModule.keys.keyPrefix(1);
    const paged: string[] = [];
    let start: string | undefined;
    for (;;) {
      const page = await api.rpc.state.getKeysPaged(prefix, 1, start);
      if (page.length === 0) break;
      start = page[0]?.toHex();
      paged.push(start as string);
    }
    expect(paged).toHaveLength(3);
    expect(new Set(paged).size).toBe(3);
  });

  it("pushes new heads and storage changes to subscribers", async () => {
    const heads: number[] = [];
    const unsubHeads = await api.rpc.chain.subscribeNewHeads((h) => {
      heads.push(h.number.toNumber());
    });
    const seen: number[] = [];
    const unsubNumber = await Q.system.number((n: Loose) => {
      seen.push(n.toNumber());
    });
    const start = chain.bestNumber();
    await chain.produceBlocks(2);
    await new Promise((r) => setTimeout(r, 100));
    unsubHeads();
    unsubNumber();
    expect(heads).toEqual([start, start + 1, start + 2]);
    expect(seen).toEqual([start, start + 1, start + 2]);
  });
});

describe("events and restart", () => {
  it("decodes System.Events at a block: ExtrinsicFailed carries DispatchError::Module", async () => {
    const result = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.setWeights(2, [1], [1], 0),
      alice,
    );
    const at: Loose = await api.at(result.blockHash);
    const events = await at.query.system.events();
    expect(events.length).toBe(1);
    const [record] = events;
    expect(record.phase.asApplyExtrinsic.toNumber()).toBe(0);
    expect(E.system.ExtrinsicFailed.is(record.event)).toBe(true);
    const error = record.event.data.dispatchError.asModule;
    expect(error.index.toNumber()).toBe(7);
    expect(api.registry.findMetaError(error).name).toBe("CommitRevealEnabled");
    expect(record.event.data.dispatchInfo.paysFee.isNo).toBe(true);
    const block = await api.rpc.chain.getBlock(result.blockHash);
    expect(block.block.extrinsics.length).toBe(1);
    expect(block.block.extrinsics[0]?.method.method).toBe("setWeights");
  });

  it("resumes from a snapshot on the same port: same blocks and storage, the api reconnects", async () => {
    await chain.produceBlocks(1);
    const best = chain.bestNumber();
    const bestHash = (await api.rpc.chain.getBlockHash(best)).toHex();
    const weights = (await Q.subtensorModule.weights(1, 0)).toJSON();
    const state = chain.snapshot();
    const port = chain.port;
    await chain.close();
    chain = await startLocalChain({
      port,
      state: JSON.parse(JSON.stringify(state)),
      blockTimeMs: 0,
    });
    expect(chain.bestNumber()).toBe(best);
    await new Promise<void>((resolve) => {
      if (api.isConnected) resolve();
      else api.once("connected", () => resolve());
    });
    // The reconnected api reads the same chain.
    let hash = "";
    for (let i = 0; i < 50 && hash !== bestHash; i++) {
      hash = await api.rpc.chain
        .getBlockHash(best)
        .then((h) => h.toHex())
        .catch(() => "");
      if (hash !== bestHash) await new Promise((r) => setTimeout(r, 100));
    }
    expect(hash).toBe(bestHash);
    expect((await Q.subtensorModule.weights(1, 0)).toJSON()).toEqual(weights);
    const result = await sendAndInclude(
      api,
      chain,
      T.commitments.setCommitment(1, { fields: [{ Raw3: "0x616263" }] }),
      alice,
    );
    expect(result.error).toBeNull();
    expect(chain.bestNumber()).toBe(best + 1);
    expect((await api.rpc.chain.getHeader(result.blockHash)).parentHash.toHex()).toBe(bestHash);
  });

  it("makes blocks on a timer and resumes from a stateFile written on close", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cacheon-local-chain-"));
    const stateFile = join(dir, "state.json");
    try {
      const timed = await startLocalChain({ blockTimeMs: 20, genesis: GENESIS, stateFile });
      await new Promise((r) => setTimeout(r, 200));
      await timed.close();
      const best = timed.bestNumber();
      expect(best).toBeGreaterThan(2);
      await expect(
        startLocalChain({ state: { version: 2 } as never, blockTimeMs: 0 }),
      ).rejects.toThrow(/^not a local chain state: version: /);
      const resumed = await startLocalChain({ blockTimeMs: 0, stateFile });
      try {
        expect(resumed.bestNumber()).toBe(best);
        const genesis = (await rawRpc(resumed.url, "chain_getBlockHash", [0])) as {
          result: string;
        };
        const original = JSON.parse(await readFile(stateFile, "utf8")).blocks[0].header;
        expect(genesis.result).toBe(blake2AsHex(hexToU8a(original)));
      } finally {
        await resumed.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
