// The production client's commit-reveal v4 path against the local chain over loopback: a
// validator's timelocked commit (the same code that targets finney) is stored, revealed by the
// chain at its reveal epoch once drand's pulse arrives, and its weights are on chain; a commit whose
// pulse never comes expires unrevealed; the dry run's hex is the call that is sent.
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_ADDRESSES,
  type GenesisConfig,
  type LocalChain,
  startLocalChain,
} from "../../src/chain/local/chain.js";
import {
  previewWeights,
  submitWeights,
  type WeightsOutcome,
} from "../../src/chain/submit-weights.js";
import { Subtensor } from "../../src/chain/subtensor.js";
import { QUICKNET } from "../../src/chain/timelock/drand.js";
import { timelockedRevealStatus } from "../../src/chain/timelocked-weights.js";
import { rawRpc } from "./local/helpers.js";
import { signature } from "./timelock/vectors.js";

const { alice: A, bob: B, charlie: C } = DEV_ADDRESSES;
const TEMPO = 10;
// Commit-reveal v4 on, as finney's default: reveal one epoch later, no rate limit.
const GENESIS: GenesisConfig = {
  subnets: [
    {
      netuid: 3,
      tempo: TEMPO,
      hotkeys: [{ address: A, validatorPermit: true }, { address: B }, { address: C }],
      weightsSetRateLimit: 0,
      commitRevealWeightsEnabled: true,
      revealPeriodEpochs: 1,
      minAllowedWeights: 1,
    },
  ],
  accounts: [{ address: A, free: 10 ** 12 }],
};
const RANDOMNESS = {
  esk: new Uint8Array(32).fill(1),
  sigma: new Uint8Array(32).fill(2),
  nonce: new Uint8Array(12).fill(3),
};

let alice: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice");
});

/** Runs `fn`, making a block whenever the pool has a transaction (the client waits for inclusion). */
async function producing<T>(chain: LocalChain, fn: () => Promise<T>): Promise<T> {
  let done = false;
  const loop = (async () => {
    while (!done) {
      const pool = (await rawRpc(chain.url, "author_pendingExtrinsics", [])) as {
        result: string[];
      };
      if (pool.result.length > 0) await chain.produceBlocks(1);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return await fn();
  } finally {
    done = true;
    await loop;
  }
}

async function untilEpoch(local: LocalChain, client: Subtensor, epoch: number): Promise<void> {
  while (((await client.epochSchedule(3))?.index ?? 0) < epoch) await local.produceBlocks(1);
}

type Timelocked = Extract<WeightsOutcome, { kind: "timelocked" }>;

const recordOf = (o: Timelocked) => ({
  netuid: 3,
  netuidIndex: o.netuidIndex,
  hotkey: A,
  commitBlock: o.commitBlock,
  commitEpoch: o.commitEpoch,
  revealEpoch: o.revealEpoch,
});

describe("a validator's timelocked weights, revealed by the chain with quicknet's pulse", () => {
  // Blocks every 12 s of chain time. The commit made at head 3 (epoch 0; the next slot, block 10,
  // starts the reveal epoch) locks to the round due at block 13: floor((BASE + 13·12 − genesis)/3).
  // BASE puts that round at 1000, whose signature is public.
  const BASE_MS = (QUICKNET.genesisTime + 3 * 1000 - 13 * 12 + 1) * 1000;
  let local: LocalChain;
  let client: Subtensor;
  let committed: Timelocked;

  beforeAll(async () => {
    local = await startLocalChain({
      blockTimeMs: 0,
      clock: (n) => BASE_MS + n * 12_000,
      genesis: GENESIS,
    });
    client = await Subtensor.connect(local.url);
    await local.produceBlocks(3);
  });
  afterAll(async () => {
    await client?.close();
    await local?.close();
  });

  it("takes the timelocked path on a v4 subnet; the dry run shows the call, its round and its hex", async () => {
    const p = await previewWeights(client, alice, 3, [1, 2], [1, 0.25], {
      timelock: { randomness: RANDOMNESS },
    });
    expect(p).toMatchObject({
      path: "timelocked",
      call: "SubtensorModule.commit_timelocked_mechanism_weights",
      blockers: [],
      timelocked: {
        revealRound: 1000,
        roundFrom: "epoch-state",
        commitEpoch: 0,
        revealEpoch: 1,
        firstRevealBlock: 10,
        targetBlock: 13,
        blockTimeSeconds: 12,
        commitRevealVersion: 4,
        lastStoredRound: 0,
      },
    });
    if (p.path !== "timelocked") return;
    const call = client.api.createType("Call", p.callData);
    expect([call.section, call.method]).toEqual([
      "subtensorModule",
      "commitTimelockedMechanismWeights",
    ]);
    expect(call.args.map((a) => a.toString())).toEqual([
      "3",
      "0",
      expect.stringMatching(/^0x/),
      "1000",
      "4",
    ]);

    // Sent with the same randomness, the extrinsic carries exactly the dry run's call.
    const r = await producing(local, () =>
      submitWeights(client, alice, 3, [1, 2], [1, 0.25], {
        pendingPath: "/nonexistent/never-written.json",
        timelock: { randomness: RANDOMNESS },
      }),
    );
    expect(r.outcome.kind).toBe("timelocked");
    committed = r.outcome as Timelocked;
    expect(committed).toMatchObject({
      revealRound: 1000,
      commitEpoch: 0,
      revealEpoch: 1,
      uids: [1, 2],
      values: [65535, 16384],
    });
    const block = await client.api.rpc.chain.getBlock(
      await client.blockHash(committed.commitBlock),
    );
    const sent = block.block.extrinsics.find(
      (e) => e.method.method === "commitTimelockedMechanismWeights",
    );
    expect(sent?.method.toHex()).toBe(p.callData);
  });

  it("is stored under (netuid, epoch) on chain and waits for its reveal epoch", async () => {
    const stored = await client.timelockedCommits(3, committed.commitEpoch);
    expect(stored).toEqual([
      {
        who: A,
        commitBlock: committed.commitBlock,
        commit: expect.stringMatching(/^0x/),
        revealRound: 1000,
      },
    ]);
    expect(
      await timelockedRevealStatus(client, recordOf(committed), TEMPO, committed.commitBlock),
    ).toEqual({ status: "waiting", epoch: 0, revealEpoch: 1 });
  });

  it("is revealed in its reveal epoch once the round-1000 pulse arrives; the weights are on chain", async () => {
    await untilEpoch(local, client, 1);
    await local.produceBlocks(1);
    expect(
      await timelockedRevealStatus(client, recordOf(committed), TEMPO, committed.commitBlock),
    ).toEqual({ status: "pending", epoch: 1, revealEpoch: 1 });
    expect((await client.api.query.subtensorModule?.weights?.(3, 0))?.toJSON()).toEqual([]);
    local.addPulse(1000, signature(1000));
    await local.produceBlocks(1);
    const status = await timelockedRevealStatus(
      client,
      recordOf(committed),
      TEMPO,
      committed.commitBlock,
    );
    expect(status).toEqual({ status: "revealed", block: local.bestNumber() });
    expect((await client.api.query.subtensorModule?.weights?.(3, 0))?.toJSON()).toEqual([
      [1, 65535],
      [2, 16384],
    ]);
    expect(await client.timelockedCommits(3, committed.commitEpoch)).toEqual([]);
    const events = await client.timelockedWeightsEvents(await client.blockHash(local.bestNumber()));
    expect(events).toEqual([{ name: "TimelockedWeightsRevealed", netuidIndex: 3, who: A }]);
  });

  it("a commit whose pulse never arrives expires unrevealed; the weights stay", async () => {
    const r = await producing(local, () =>
      submitWeights(client, alice, 3, [2], [1], { pendingPath: "/nonexistent/never-written.json" }),
    );
    const o = r.outcome as Timelocked;
    expect(o.kind).toBe("timelocked");
    // Locked to a round after 1000 (its time is later): no pulse of it is ever fed.
    expect(o.revealRound).toBeGreaterThan(1000);
    await untilEpoch(local, client, o.revealEpoch);
    expect((await timelockedRevealStatus(client, recordOf(o), TEMPO, o.commitBlock)).status).toBe(
      "pending",
    );
    await untilEpoch(local, client, o.revealEpoch + 1);
    expect(await timelockedRevealStatus(client, recordOf(o), TEMPO, o.commitBlock)).toEqual({
      status: "expired",
      epoch: o.revealEpoch + 1,
      revealEpoch: o.revealEpoch,
    });
    expect(await client.timelockedCommits(3, o.commitEpoch)).toEqual([]);
    expect((await client.api.query.subtensorModule?.weights?.(3, 0))?.toJSON()).toEqual([
      [1, 65535],
      [2, 16384],
    ]);
  });
});

describe("a chain that is its own (test) beacon", () => {
  let local: LocalChain;
  let client: Subtensor;

  beforeAll(async () => {
    const base = (QUICKNET.genesisTime + 3 * 2_000_000) * 1000;
    local = await startLocalChain({
      blockTimeMs: 0,
      clock: (n) => base + n * 12_000,
      genesis: { ...GENESIS, drand: { beacon: "test" } },
    });
    client = await Subtensor.connect(local.url);
    await local.produceBlocks(3);
  });
  afterAll(async () => {
    await client?.close();
    await local?.close();
  });

  it("is refused by default: a commit to quicknet would never open there", async () => {
    await expect(
      submitWeights(client, alice, 3, [1], [1], { pendingPath: "/nonexistent/x.json" }),
    ).rejects.toThrow(/the chain's drand beacon .* is not quicknet/);
  });

  it("with beacon 'chain', commits to the chain's key and the chain reveals it at its epoch", async () => {
    const r = await producing(local, () =>
      submitWeights(client, alice, 3, [2, 1], [1, 1], {
        pendingPath: "/nonexistent/x.json",
        timelock: { beacon: "chain" },
      }),
    );
    const o = r.outcome as Timelocked;
    expect(o.kind).toBe("timelocked");
    // The round is the one due 3 blocks into the reveal epoch, by the chain's 12 s blocks.
    // floor((BASE + 12·head + 12·(target − head) − genesis) / 3) = 2_000_000 + 4·target
    expect(o.revealRound).toBe(2_000_000 + 4 * (o.firstRevealBlock + 3));
    await untilEpoch(local, client, o.revealEpoch);
    for (let i = 0; i < 4; i++) await local.produceBlocks(1);
    const status = await timelockedRevealStatus(client, recordOf(o), TEMPO, o.commitBlock);
    expect(status.status).toBe("revealed");
    if (status.status === "revealed")
      expect(status.block).toBeGreaterThanOrEqual(o.firstRevealBlock + 3);
    expect((await client.api.query.subtensorModule?.weights?.(3, 0))?.toJSON()).toEqual([
      [2, 65535],
      [1, 65535],
    ]);
  });
});
