// submitWeights' choice of path against a stand-in chain: what it sends by each path (set_weights,
// hash commit-reveal below version 4, the timelocked commit otherwise), and that it refuses, saying
// why in one line, what the chain would refuse. The real chain round trip is in timelocked.test.ts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPendingReveals } from "../../src/chain/pending-reveal.js";
import {
  previewWeights,
  submitWeights,
  type WeightsChain,
  WeightsRefusedError,
} from "../../src/chain/submit-weights.js";
import {
  backoffDelay,
  type DrandState,
  ExtrinsicFailedError,
  type TimelockedCommitEntry,
  type WeightsParams,
} from "../../src/chain/subtensor.js";
import { QUICKNET } from "../../src/chain/timelock/drand.js";
import { decodeWeightsTlockPayload } from "../../src/chain/timelock/payload.js";
import { tlockDecrypt } from "../../src/chain/timelock/tlock.js";
import { chooseWeightsPath } from "../../src/chain/timelocked-weights.js";
import { signature } from "./timelock/vectors.js";

let dir: string;
let alice: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice");
  dir = await mkdtemp(join(tmpdir(), "cacheon-weights-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sent {
  call: string;
  args: unknown[];
}

const ALL_CALLS = [
  "setWeights",
  "commitWeights",
  "revealWeights",
  "commitTimelockedWeights",
  "commitTimelockedMechanismWeights",
];
const QUICKNET_KEY = `0x${QUICKNET.publicKey}`;

interface FakeOptions {
  calls?: string[];
  drand?: DrandState | null;
  commits?: TimelockedCommitEntry[];
  /** Unix seconds of the head. */
  now?: number;
}

function fakeChain(params: Partial<WeightsParams>, fail?: [string, string], o: FakeOptions = {}) {
  const sent: Sent[] = [];
  const calls = new Set(o.calls ?? ALL_CALLS);
  const chain: WeightsChain = {
    hasCall: (_pallet: string, call: string) => calls.has(call),
    epochSchedule: async () => ({ index: 5, lastEpochBlock: 900, pendingEpochAt: 0 }),
    drandState: async () =>
      o.drand === undefined
        ? {
            lastStoredRound: 100,
            beacon: { publicKey: QUICKNET_KEY, genesisTime: QUICKNET.genesisTime, period: 3 },
          }
        : o.drand,
    timestampMs: async () => (o.now ?? QUICKNET.genesisTime + 3_000_000) * 1000,
    blockTimeSeconds: async () => 12,
    timelockedCommits: async () => o.commits ?? [],
    timelockedWeightsEvents: async () => [],
    blockHash: async (n: number) => `0x${n.toString(16).padStart(64, "0")}`,
    weightsParams: async () => ({
      tempo: 360,
      weightsVersionKey: 0n,
      weightsSetRateLimit: 100,
      commitRevealEnabled: false,
      commitRevealVersion: 4,
      revealPeriodEpochs: 1,
      ...params,
    }),
    head: async () => ({ number: 1000, hash: "0x00" }),
    uidOf: async () => 0,
    lastUpdate: async () => 950,
    txFn: ((_pallet: string, call: string) =>
      (...args: unknown[]) => {
        const tx = { call, args };
        // Not enumerable: `sent` compares as { call, args }.
        Object.defineProperty(tx, "method", {
          value: {
            toHex: () => `0x${Buffer.from(JSON.stringify([call, args.length])).toString("hex")}`,
          },
        });
        return tx;
      }) as unknown as WeightsChain["txFn"],
    submit: (async (_pair: KeyringPair, tx: Sent) => {
      sent.push(tx);
      if (fail) throw new ExtrinsicFailedError(tx.call, fail[0], fail[1], "");
      return { call: tx.call, blockHash: "0x01", txHash: "0x02", blockNumber: 1001 };
    }) as unknown as WeightsChain["submit"],
  };
  return { chain, sent };
}

describe("submitWeights path", () => {
  it("checks the rate limit before sending anything", async () => {
    const { chain, sent } = fakeChain({ weightsSetRateLimit: 100 });
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "a.json") }),
    ).rejects.toThrow("too soon: 50 blocks left before uid 0 may set weights on subnet 14");
    expect(sent).toEqual([]);
  });
  it("sends set_weights with the chain's version key when commit-reveal is off", async () => {
    const { chain, sent } = fakeChain({ weightsSetRateLimit: 10, weightsVersionKey: 5n });
    const r = await submitWeights(chain, alice, 14, [3, 1], [2, 1], {
      pendingPath: join(dir, "b.json"),
      versionKey: 2n,
    });
    expect(sent).toEqual([{ call: "setWeights", args: [14, [3, 1], [65535, 32768], 5n] }]);
    expect(r.outcome).toEqual({
      kind: "set",
      uids: [3, 1],
      values: [65535, 32768],
      versionKey: "5",
      block: 1001,
    });
  });
  it("sends nothing for all-zero weights", async () => {
    const { chain, sent } = fakeChain({});
    const r = await submitWeights(chain, alice, 14, [1], [0], { pendingPath: join(dir, "c.json") });
    expect(r.outcome.kind).toBe("nothing");
    expect(sent).toEqual([]);
  });
  it("commits a hash with commit-reveal on below version 4 and keeps the reveal", async () => {
    const { chain, sent } = fakeChain({
      weightsSetRateLimit: 10,
      commitRevealEnabled: true,
      commitRevealVersion: 3,
    });
    const pendingPath = join(dir, "d.json");
    const r = await submitWeights(chain, alice, 14, [1], [1], { pendingPath, versionKey: 9n });
    expect(sent.map((s) => s.call)).toEqual(["commitWeights"]);
    expect(r.outcome).toMatchObject({ kind: "committed", commitBlock: 1001, versionKey: "9" });
    const [p] = await loadPendingReveals(pendingPath);
    expect(p).toMatchObject({
      hotkey: alice.address,
      netuid: 14,
      uids: [1],
      values: [65535],
      versionKey: "9",
    });
    expect(p?.salt).toHaveLength(8);
    expect((sent[0] as Sent).args).toEqual([14, p?.commitHash]);
  });
  for (const [pallet, error] of [
    ["SubtensorModule", "IncorrectCommitRevealVersion"],
    ["SubtensorModule", "CommitRevealDisabled"],
    ["System", "CallFiltered"],
  ] as const) {
    it(`refuses, naming the setting, when the chain rejects the hash commit with ${error}`, async () => {
      const { chain } = fakeChain(
        { weightsSetRateLimit: 10, commitRevealEnabled: true, commitRevealVersion: 3 },
        [pallet, error],
      );
      const pendingPath = join(dir, `refused-${error}.json`);
      const err = await submitWeights(chain, alice, 14, [1], [1], { pendingPath }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WeightsRefusedError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `CommitRevealWeightsEnabled \\(CommitRevealWeightsVersion 3, below 4.*refused the hash commit \\(${pallet}.${error}\\); no weights were set$`,
        ),
      );
      expect(await loadPendingReveals(pendingPath)).toEqual([]);
    });
  }
  it("passes other pallet errors through unchanged", async () => {
    const { chain } = fakeChain(
      { weightsSetRateLimit: 10, commitRevealEnabled: true, commitRevealVersion: 3 },
      ["SubtensorModule", "TooManyUnrevealedCommits"],
    );
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "e.json") }),
    ).rejects.toThrow(/SubtensorModule.TooManyUnrevealedCommits/);
  });
});

describe("which path the subnet's settings take", () => {
  const has =
    (...calls: string[]) =>
    (c: string) =>
      calls.includes(c);
  it("follows CommitRevealWeightsEnabled, CommitRevealWeightsVersion and the runtime's calls", () => {
    const off = { commitRevealEnabled: false, commitRevealVersion: 4 };
    const v4 = { commitRevealEnabled: true, commitRevealVersion: 4 };
    const v3 = { commitRevealEnabled: true, commitRevealVersion: 3 };
    expect(chooseWeightsPath(off, has(...ALL_CALLS))).toEqual({ kind: "set_weights" });
    expect(chooseWeightsPath(v4, has(...ALL_CALLS))).toEqual({
      kind: "timelocked",
      call: "commitTimelockedMechanismWeights",
    });
    expect(chooseWeightsPath(v4, has("commitTimelockedWeights", "commitWeights"))).toEqual({
      kind: "timelocked",
      call: "commitTimelockedWeights",
    });
    expect(chooseWeightsPath(v3, has(...ALL_CALLS))).toEqual({ kind: "hash" });
    expect(chooseWeightsPath(v3, has("commitTimelockedMechanismWeights"))).toMatchObject({
      kind: "timelocked",
    });
    expect(chooseWeightsPath(v4, has("commitWeights", "revealWeights"))).toEqual({ kind: "hash" });
    expect(chooseWeightsPath(v4, has("setWeights"))).toMatchObject({ kind: "none" });
  });
});

describe("submitWeights: the timelocked path (commit-reveal v4)", () => {
  const v4 = { weightsSetRateLimit: 10, commitRevealEnabled: true, commitRevealVersion: 4 };
  // Head 1000; SubnetEpochIndex 5 since block 900, tempo 360: the reveal epoch 6 starts at 1260,
  // the round is the one due at 1263: 263 blocks · 12 s after the head's time.
  const ROUND = Math.floor((3_000_000 + 263 * 12) / 3);

  it("sends commit_timelocked_mechanism_weights: the payload locked to the reveal round, the chain's version", async () => {
    const { chain, sent } = fakeChain({ ...v4, weightsVersionKey: 7n });
    const r = await submitWeights(chain, alice, 14, [3, 1, 2], [2, 1, 0], {
      pendingPath: join(dir, "t1.json"),
    });
    expect(sent.map((x) => x.call)).toEqual(["commitTimelockedMechanismWeights"]);
    const [netuid, mecid, commit, round, version] = (sent[0] as Sent).args as [
      number,
      number,
      string,
      number,
      number,
    ];
    expect([netuid, mecid, round, version]).toEqual([14, 0, ROUND, 4]);
    expect(r.outcome).toMatchObject({
      kind: "timelocked",
      call: "SubtensorModule.commit_timelocked_mechanism_weights",
      uids: [3, 1],
      values: [65535, 32768],
      versionKey: "7",
      revealRound: ROUND,
      commitBlock: 1001,
      commitEpoch: 5,
      revealEpoch: 6,
      firstRevealBlock: 1260,
      lastRevealBlock: 1619,
    });
    // No hash reveal is kept: the chain reveals it itself.
    expect(await loadPendingReveals(join(dir, "t1.json"))).toEqual([]);
    // The payload: hotkey 1 + 32, uids and values 1 + 2·2 each, version key 8; then + 244.
    expect(commit.length).toBe(2 + 2 * (33 + 5 + 5 + 8 + 244));
  });

  it("refuses a runtime without the Drand pallet: nothing there could reveal it", async () => {
    const { chain, sent } = fakeChain(v4, undefined, { drand: null });
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "t2.json") }),
    ).rejects.toThrow(/no Drand pallet/);
    expect(sent).toEqual([]);
  });

  it("locks to a round whose public signature opens it to the hotkey's normalised weights", async () => {
    // A clock that puts the round due at block 1263 at 1000.
    const { chain, sent } = fakeChain(v4, undefined, {
      now: QUICKNET.genesisTime + 1000 * 3 - 263 * 12 + 1,
      drand: {
        lastStoredRound: 0,
        beacon: { publicKey: QUICKNET_KEY, genesisTime: QUICKNET.genesisTime, period: 3 },
      },
    });
    await submitWeights(chain, alice, 14, [4, 2], [0.5, 1], { pendingPath: join(dir, "t3.json") });
    const [, , commit, round] = (sent[0] as Sent).args as [number, number, string, number];
    expect(round).toBe(1000);
    const payload = decodeWeightsTlockPayload(
      tlockDecrypt(Buffer.from(commit.slice(2), "hex"), signature(1000)),
    );
    expect(payload.hotkey).toEqual(alice.publicKey);
    expect([payload.uids, payload.values, payload.versionKey]).toEqual([
      [4, 2],
      [32768, 65535],
      0n,
    ]);
  });

  it("is never below Drand.LastStoredRound, two blocks of rounds on (it moves before the commit lands)", async () => {
    const { chain, sent } = fakeChain(v4, undefined, {
      drand: {
        lastStoredRound: 9_000_000,
        beacon: { publicKey: QUICKNET_KEY, genesisTime: QUICKNET.genesisTime, period: 3 },
      },
    });
    await submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "t4.json") });
    // 2 blocks · 12 s / 3 s = 8 rounds
    expect(((sent[0] as Sent).args as unknown[])[3]).toBe(9_000_008);
  });

  it("refuses, in one line and before sending, a hotkey's 11th commit of the epoch", async () => {
    const mine = { who: alice.address, commitBlock: 990, commit: "0x00", revealRound: 1 };
    const { chain, sent } = fakeChain(v4, undefined, {
      commits: [...Array(10)].map(() => mine),
    });
    const err = await submitWeights(chain, alice, 14, [1], [1], {
      pendingPath: join(dir, "t5.json"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsRefusedError);
    expect((err as Error).message).toBe(
      `10 unrevealed timelocked commits of ${alice.address} in epoch 5 of subnet 14 already (the chain takes 10 an epoch): wait for epoch 6`,
    );
    expect(sent).toEqual([]);
    // Nine are fine.
    const nine = fakeChain(v4, undefined, { commits: [...Array(9)].map(() => mine) });
    await submitWeights(nine.chain, alice, 14, [1], [1], { pendingPath: join(dir, "t6.json") });
    expect(nine.sent).toHaveLength(1);
  });

  it("refuses a chain whose beacon is not quicknet, unless told to encrypt to the chain's", async () => {
    const other = {
      lastStoredRound: 5,
      beacon: { publicKey: `0x${"a".repeat(192)}`, genesisTime: 0, period: 1 },
    };
    const { chain, sent } = fakeChain(v4, undefined, { drand: other });
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "t7.json") }),
    ).rejects.toThrow(
      /the chain's drand beacon \(Drand.BeaconConfig key 0xaaaa.*\) is not quicknet/,
    );
    expect(sent).toEqual([]);
  });

  it("checks the rate limit first, as for set_weights", async () => {
    const { chain, sent } = fakeChain({ ...v4, weightsSetRateLimit: 100 });
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "t8.json") }),
    ).rejects.toThrow("too soon: 50 blocks left before uid 0 may set weights on subnet 14");
    expect(sent).toEqual([]);
  });
});

describe("previewWeights (a dry run)", () => {
  it("returns the timelocked call, its hex, its round and epochs, and sends nothing", async () => {
    const { chain, sent } = fakeChain({
      weightsSetRateLimit: 100,
      commitRevealEnabled: true,
      commitRevealVersion: 4,
    });
    const p = await previewWeights(chain, alice, 14, [1], [1]);
    expect(sent).toEqual([]);
    expect(p).toMatchObject({
      path: "timelocked",
      call: "SubtensorModule.commit_timelocked_mechanism_weights",
      uids: [1],
      values: [65535],
      blockers: [
        "too soon: 50 blocks left before uid 0 may set weights on subnet 14 (WeightsSetRateLimit 100)",
      ],
      timelocked: {
        revealRound: Math.floor((3_000_000 + 263 * 12) / 3),
        roundFrom: "epoch-state",
        commitEpoch: 5,
        revealEpoch: 6,
        firstRevealBlock: 1260,
        targetBlock: 1263,
        commitRevealVersion: 4,
        commitBytes: 33 + 3 + 3 + 8 + 244,
        beacon: { name: "quicknet" },
      },
    });
    expect(p).toHaveProperty("callData", expect.stringMatching(/^0x[0-9a-f]+$/));
  });

  it("returns set_weights where commit-reveal is off", async () => {
    const { chain } = fakeChain({ weightsSetRateLimit: 10 });
    expect(await previewWeights(chain, alice, 14, [2], [1])).toMatchObject({
      path: "set_weights",
      call: "SubtensorModule.set_weights",
      blockers: [],
    });
  });
});

describe("backoffDelay", () => {
  it("doubles from the base up to the cap", () => {
    expect([0, 1, 2, 3, 4, 10, 100].map((a) => backoffDelay(a, 250, 2000))).toEqual([
      250, 500, 1000, 2000, 2000, 2000, 2000,
    ]);
  });
});
