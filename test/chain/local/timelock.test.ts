// Commit-reveal v4 on the local chain, through the real @polkadot/api over loopback: timelocked
// commits stored as runtime 424 lays out TimelockedWeightCommits, checked with the pallet's errors,
// and revealed by the chain itself with drand's pulse: quicknet's real round-1000..1002 signatures
// fed to it, or the chain's own test beacon. Expiry, and the payload's hotkey check.
import type { ApiPromise } from "@polkadot/api";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { EventRecord } from "@polkadot/types/interfaces";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_ADDRESSES,
  type GenesisConfig,
  type LocalChain,
  startLocalChain,
} from "../../../src/chain/local/chain.js";
import { TEST_BEACON, testBeaconSignature } from "../../../src/chain/local/drand.js";
import { decodeG2 } from "../../../src/chain/timelock/bls.js";
import { timelockedWeightsCommit } from "../../../src/chain/timelock/commit.js";
import { QUICKNET, verifyRoundSignature } from "../../../src/chain/timelock/drand.js";
import {
  encodeWeightsTlockPayload,
  weightsTlockPayload,
} from "../../../src/chain/timelock/payload.js";
import { tlockEncrypt } from "../../../src/chain/timelock/tlock.js";
import { signature } from "../timelock/vectors.js";
import { connect, type Loose, rawRpc, sendAndInclude } from "./helpers.js";

const { alice: A, bob: B, charlie: C } = DEV_ADDRESSES;
const hotkeys = [
  { address: A, validatorPermit: true },
  { address: B, validatorPermit: true },
  { address: C },
];
// Subnet 3: tempo 10, reveal period 1, no rate limit. Subnet 4: a rate limit of 5 blocks.
// Subnet 5: tempo 200, for the ten-commits rule within one epoch.
const GENESIS: GenesisConfig = {
  subnets: [
    { netuid: 3, tempo: 10, hotkeys, weightsSetRateLimit: 0, minAllowedWeights: 1 },
    { netuid: 4, tempo: 10, hotkeys, weightsSetRateLimit: 5, minAllowedWeights: 1 },
    { netuid: 5, tempo: 200, hotkeys, weightsSetRateLimit: 0, minAllowedWeights: 1 },
  ],
  accounts: [A, B, C].map((address) => ({ address, free: 10 ** 12 })),
};

let chain: LocalChain;
let api: ApiPromise;
let alice: KeyringPair;
let bob: KeyringPair;
let charlie: KeyringPair;
let Q: Loose;
let T: Loose;

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  [alice, bob, charlie] = ["//Alice", "//Bob", "//Charlie"].map((u) => keyring.addFromUri(u)) as [
    KeyringPair,
    KeyringPair,
    KeyringPair,
  ];
  chain = await startLocalChain({ blockTimeMs: 0, genesis: GENESIS });
  api = await connect(chain.url);
  Q = api.query;
  T = api.tx;
});

afterAll(async () => {
  await api?.disconnect();
  await chain?.close();
});

/** A commit of `weights` by `hotkey` (its public key in the payload) locked to `round` (quicknet). */
function commitOf(hotkey: KeyringPair, uids: number[], weights: number[], round: number): string {
  return u8aToHex(
    timelockedWeightsCommit(weightsTlockPayload(hotkey.publicKey, uids, weights, 0n), round),
  );
}

const commitTx = (netuid: number, commit: string, round: number, version = 4, mecid = 0) =>
  T.subtensorModule.commitTimelockedMechanismWeights(netuid, mecid, commit, round, version);

const epochOf = async (netuid: number): Promise<number> =>
  (await Q.subtensorModule.subnetEpochIndex(netuid)).toNumber();

async function untilEpoch(netuid: number, epoch: number): Promise<void> {
  while ((await epochOf(netuid)) < epoch) await chain.produceBlocks(1);
}

async function eventsAt(hash: string): Promise<EventRecord[]> {
  return [...((await Q.system.events.at(hash)) as Iterable<EventRecord>)];
}

/** Every TimelockedWeightsRevealed of blocks (from, to]: [block, netuid index, who]. */
async function revealsBetween(from: number, to: number): Promise<[number, number, string][]> {
  const out: [number, number, string][] = [];
  for (let n = from + 1; n <= to; n++) {
    const hash = (await api.rpc.chain.getBlockHash(n)).toHex();
    for (const { event, phase } of await eventsAt(hash))
      if (event.section === "subtensorModule" && event.method === "TimelockedWeightsRevealed") {
        expect(phase.isInitialization).toBe(true);
        const [index, who] = event.data.toJSON() as [number, string];
        out.push([n, index, who]);
      }
  }
  return out;
}

const blockOf = async (hash: string) => (await api.rpc.chain.getHeader(hash)).number.toNumber();

describe("the epoch scheduler", () => {
  it("consumes a slot every tempo blocks: SubnetEpochIndex and LastEpochBlock", async () => {
    await chain.produceBlocks(21 - chain.bestNumber());
    expect(await epochOf(3)).toBe(2);
    expect((await Q.subtensorModule.lastEpochBlock(3)).toNumber()).toBe(20);
    expect((await Q.subtensorModule.blocksSinceLastStep(3)).toNumber()).toBe(1);
    expect(await epochOf(5)).toBe(0);
  });
});

describe("a timelocked commit, revealed by the chain with quicknet's round-1000 pulse", () => {
  let commitBlock: number;
  let commitEpoch: number;
  let commit: string;

  it("is stored under (netuid, SubnetEpochIndex) with the committer, block and round", async () => {
    commit = commitOf(alice, [0, 1, 2], [1, 0.5, 0], 1000);
    const r = await sendAndInclude(api, chain, commitTx(3, commit, 1000), alice);
    expect(r.error).toBeNull();
    commitBlock = await blockOf(r.blockHash);
    commitEpoch = await epochOf(3);
    const stored = await Q.subtensorModule.timelockedWeightCommits(3, commitEpoch);
    expect(stored.toJSON()).toEqual([[A, commitBlock, commit, 1000]]);
    const committed = r.events.find((e) => e.event.method === "TimelockedWeightsCommitted");
    expect(committed?.event.data.toJSON()).toEqual([
      A,
      3,
      api.registry.hash(Buffer.from(commit.slice(2), "hex")).toHex(),
      1000,
    ]);
    expect((await Q.subtensorModule.lastUpdate(3)).toJSON()).toEqual([commitBlock, 0, 0]);
  });

  it("waits through its reveal epoch while the pulse is missing, then reveals when it comes", async () => {
    await untilEpoch(3, commitEpoch + 1);
    await chain.produceBlocks(2);
    // The reveal epoch has come but Drand.Pulses(1000) has not: still pending, no weights.
    expect((await Q.subtensorModule.timelockedWeightCommits(3, commitEpoch)).toJSON()).toHaveLength(
      1,
    );
    expect((await Q.subtensorModule.weights(3, 0)).toJSON()).toEqual([]);
    const before = chain.bestNumber();
    chain.addPulse(1000, signature(1000));
    await chain.produceBlocks(1);
    expect((await Q.drand.lastStoredRound()).toNumber()).toBe(1000);
    const pulse = (await Q.drand.pulses(1000)).toJSON();
    expect(pulse.signature).toBe(u8aToHex(signature(1000)));
    expect(await revealsBetween(before, chain.bestNumber())).toEqual([[before + 1, 3, A]]);
    // Normalised as set_weights would be; the zero weight's uid dropped.
    expect((await Q.subtensorModule.weights(3, 0)).toJSON()).toEqual([
      [0, 65535],
      [1, 32768],
    ]);
    expect((await Q.subtensorModule.timelockedWeightCommits(3, commitEpoch)).toJSON()).toEqual([]);
  });
});

describe("what is not revealed", () => {
  it("a commit whose pulse never arrives is deleted with its epoch, unrevealed", async () => {
    const before = (await Q.subtensorModule.weights(3, 0)).toJSON();
    const r = await sendAndInclude(
      api,
      chain,
      commitTx(3, commitOf(alice, [2], [1], 1001), 1001),
      alice,
    );
    expect(r.error).toBeNull();
    const from = await blockOf(r.blockHash);
    const epoch = await epochOf(3);
    await untilEpoch(3, epoch + 1);
    expect((await Q.subtensorModule.timelockedWeightCommits(3, epoch)).toJSON()).toHaveLength(1);
    await untilEpoch(3, epoch + 2);
    expect((await Q.subtensorModule.timelockedWeightCommits(3, epoch)).toJSON()).toEqual([]);
    expect(await revealsBetween(from, chain.bestNumber())).toEqual([]);
    expect((await Q.subtensorModule.weights(3, 0)).toJSON()).toEqual(before);
  });

  it("a payload whose hotkey is not the signer is dropped; the signer's own is applied", async () => {
    // Bob commits his own weights, then a payload carrying Alice's hotkey: only the first applies.
    const own = commitOf(bob, [0], [1], 1002);
    const foreign = commitOf(alice, [2], [1], 1002);
    const first = await sendAndInclude(api, chain, commitTx(3, own, 1002), bob);
    const second = await sendAndInclude(api, chain, commitTx(3, foreign, 1002), bob);
    expect([first.error, second.error]).toEqual([null, null]);
    const epoch = await epochOf(3);
    expect(await blockOf(second.blockHash)).toBeGreaterThan(await blockOf(first.blockHash));
    chain.addPulse(1001, signature(1001));
    chain.addPulse(1002, signature(1002));
    const from = chain.bestNumber();
    await untilEpoch(3, epoch + 1);
    await chain.produceBlocks(1);
    expect(await revealsBetween(from, chain.bestNumber())).toEqual([[expect.any(Number), 3, B]]);
    expect((await Q.subtensorModule.weights(3, 1)).toJSON()).toEqual([[0, 65535]]);
    expect((await Q.subtensorModule.timelockedWeightCommits(3, epoch)).toJSON()).toEqual([]);
  });
});

describe("refusals, by the pallet's error names", () => {
  it("a version other than CommitRevealWeightsVersion: IncorrectCommitRevealVersion", async () => {
    expect((await Q.subtensorModule.commitRevealWeightsVersion()).toNumber()).toBe(4);
    const r = await sendAndInclude(
      api,
      chain,
      commitTx(3, commitOf(alice, [0], [1], 5000), 5000, 3),
      alice,
    );
    expect(r.error).toBe("subtensorModule.IncorrectCommitRevealVersion");
  });

  it("a round below Drand.LastStoredRound: InvalidRevealRound", async () => {
    const last = (await Q.drand.lastStoredRound()).toNumber();
    expect(last).toBe(1002);
    const low = await sendAndInclude(
      api,
      chain,
      commitTx(3, commitOf(alice, [0], [1], 999), 999),
      alice,
    );
    expect(low.error).toBe("subtensorModule.InvalidRevealRound");
    const equal = await sendAndInclude(
      api,
      chain,
      commitTx(3, commitOf(alice, [0], [1], last), last),
      alice,
    );
    expect(equal.error).toBeNull();
  });

  it("a second commit within the rate limit: CommittingWeightsTooFast", async () => {
    const c = commitOf(alice, [0], [1], 5000);
    expect((await sendAndInclude(api, chain, commitTx(4, c, 5000), alice)).error).toBeNull();
    const again = await sendAndInclude(api, chain, commitTx(4, c, 5000), alice);
    expect(again.error).toBe("subtensorModule.CommittingWeightsTooFast");
  });

  it("an 11th unrevealed commit of a hotkey in one epoch: TooManyUnrevealedCommits", async () => {
    const c = commitOf(charlie, [2], [1], 5000);
    const epoch = await epochOf(5);
    const nonce = (await api.rpc.system.accountNextIndex(C)).toNumber();
    for (let i = 0; i < 11; i++) {
      const signed = await commitTx(5, c, 5000).signAsync(charlie, { nonce: nonce + i });
      await api.rpc.author.submitExtrinsic(signed);
    }
    await chain.produceBlocks(1);
    const events = await eventsAt((await api.rpc.chain.getBlockHash()).toHex());
    const outcomes = events
      .filter((e) => e.event.section === "system" && e.event.method.startsWith("Extrinsic"))
      .map((e) => {
        if (e.event.method === "ExtrinsicSuccess") return "ok";
        const err = (e.event.data[0] as Loose).asModule;
        const meta = api.registry.findMetaError(err);
        return `${meta.section}.${meta.name}`;
      });
    expect(outcomes).toEqual([...Array(10).fill("ok"), "subtensorModule.TooManyUnrevealedCommits"]);
    expect(await epochOf(5)).toBe(epoch);
    expect((await Q.subtensorModule.timelockedWeightCommits(5, epoch)).toJSON()).toHaveLength(10);
  });

  it("a mechanism the subnet does not have: MechanismDoesNotExist", async () => {
    const r = await sendAndInclude(
      api,
      chain,
      commitTx(3, commitOf(alice, [0], [1], 5000), 5000, 4, 1),
      alice,
    );
    expect(r.error).toBe("subtensorModule.MechanismDoesNotExist");
  });

  it("a commit over 5000 bytes does not decode: refused at submission", async () => {
    const big = u8aToHex(new Uint8Array(5001));
    await expect(commitTx(3, big, 5000).signAndSend(alice)).rejects.toThrow(
      /1002: Verification Error: .*5001 bytes is over MAX_CRV3_COMMIT_SIZE_BYTES = 5000/,
    );
  });

  it("commit_timelocked_weights (call 113) files under mechanism 0 as well", async () => {
    await chain.produceBlocks(1);
    const c = commitOf(bob, [0], [1], 6000);
    const r = await sendAndInclude(
      api,
      chain,
      T.subtensorModule.commitTimelockedWeights(3, c, 6000, 4),
      bob,
    );
    expect(r.error).toBeNull();
    const stored = (await Q.subtensorModule.timelockedWeightCommits(3, await epochOf(3))).toJSON();
    expect(stored).toContainEqual([B, await blockOf(r.blockHash), c, 6000]);
  });
});

describe("feeding pulses", () => {
  it("refuses a round not after LastStoredRound and a signature that is not the beacon's", async () => {
    expect(() => chain.addPulse(1002, signature(1002))).toThrow(/not after Drand.LastStoredRound/);
    expect(() => chain.addPulse(2000, signature(1003))).toThrow(/not the beacon's signature/);
    const refused = (await rawRpc(chain.url, "cacheon_addDrandPulse", [
      2000,
      u8aToHex(signature(1003)),
    ])) as { error: { code: number; data: string } };
    expect(refused.error.code).toBe(4010);
    const ok = await rawRpc(chain.url, "cacheon_addDrandPulse", [2000, u8aToHex(signature(2000))]);
    expect(ok).toMatchObject({ result: null });
    await chain.produceBlocks(1);
    expect((await Q.drand.lastStoredRound()).toNumber()).toBe(2000);
  });
});

describe("the test beacon: the chain signs each round once its time has come", () => {
  const BASE_MS = (QUICKNET.genesisTime + 3 * 5_000_000) * 1000;
  let local: LocalChain;
  let lapi: ApiPromise;

  beforeAll(async () => {
    local = await startLocalChain({
      blockTimeMs: 0,
      // 12 s blocks: four rounds a block.
      clock: (n) => BASE_MS + n * 12_000,
      genesis: { ...GENESIS, drand: { beacon: "test" } },
    });
    lapi = await connect(local.url);
  });
  afterAll(async () => {
    await lapi?.disconnect();
    await local?.close();
  });

  it("announces its key in Drand.BeaconConfig and stores verifiable pulses as blocks pass", async () => {
    const config = (await (lapi.query as Loose).drand.beaconConfig()).toJSON();
    expect(config.publicKey).toBe(TEST_BEACON.publicKey);
    expect(config.publicKey).not.toBe(`0x${QUICKNET.publicKey}`);
    await local.produceBlocks(3);
    const last = (await (lapi.query as Loose).drand.lastStoredRound()).toNumber();
    // Block 3 at BASE + 36 s: round 5_000_000 + 12 + 1.
    expect(last).toBe(5_000_013);
    const key = decodeG2(Buffer.from(TEST_BEACON.publicKey.slice(2), "hex"));
    const pulse = (await (lapi.query as Loose).drand.pulses(last)).toJSON();
    expect(verifyRoundSignature(last, Buffer.from(pulse.signature.slice(2), "hex"), key)).toBe(
      true,
    );
    expect(u8aToHex(testBeaconSignature(last))).toBe(pulse.signature);
    expect((await (lapi.query as Loose).drand.pulses(last - 4)).toJSON()).not.toBeNull();
  });

  it("reveals a commit locked to a future round when that round's time comes", async () => {
    const round = (await (lapi.query as Loose).drand.lastStoredRound()).toNumber() + 40;
    const payload = weightsTlockPayload(alice.publicKey, [1], [1], 0n);
    const commit = u8aToHex(
      tlockEncrypt(encodeWeightsTlockPayload(payload), round, {
        publicKey: decodeG2(Buffer.from(TEST_BEACON.publicKey.slice(2), "hex")),
      }),
    );
    const r = await sendAndInclude(
      lapi,
      local,
      (lapi.tx as Loose).subtensorModule.commitTimelockedMechanismWeights(3, 0, commit, round, 4),
      alice,
    );
    expect(r.error).toBeNull();
    // 40 rounds = 10 blocks later; the reveal epoch (tempo 10) comes at most 10 blocks later.
    await local.produceBlocks(25);
    expect((await (lapi.query as Loose).subtensorModule.weights(3, 0)).toJSON()).toEqual([
      [1, 65535],
    ]);
  });
});
