// revealStep against the local chain (its own test beacon, 12 s blocks of chain time): a slot's
// timelocked commit is confirmed from the hotkey's TimelockedWeightsRevealed; after a downtime
// longer than the node keeps state, the weights on chain decide (revealed, block unknown, or
// unconfirmed when they are not the commit's).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devPair } from "../../src/app/local-arena.js";
import { devGenesis, type LocalChain, startLocalChain } from "../../src/chain/local/chain.js";
import { submitWeights, type WeightsOutcome } from "../../src/chain/submit-weights.js";
import { Subtensor } from "../../src/chain/subtensor.js";
import { QUICKNET } from "../../src/chain/timelock/drand.js";
import { ValidatorStore } from "../../src/store/store.js";
import { revealStep } from "../../src/validator/weights.js";
import { rawRpc } from "../chain/local/helpers.js";

let dir: string;
let local: LocalChain;
let client: Subtensor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-reveal-step-"));
  const g = devGenesis();
  (g.subnets?.[0] as Record<string, unknown>).tempo = 10;
  (g.subnets?.[0] as Record<string, unknown>).weightsSetRateLimit = 0;
  local = await startLocalChain({
    blockTimeMs: 0,
    clock: (n) => (QUICKNET.genesisTime + 3 * 3_000_000 + n * 12) * 1000,
    genesis: g,
  });
  client = await Subtensor.connect(local.url);
  await local.produceBlocks(3);
});
afterAll(async () => {
  await client?.close();
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Commits `weights` for slot `slot` through the real client and records it as the loop does. */
async function commitSlot(store: ValidatorStore, slot: number, uids: number[], weights: number[]) {
  const alice = await devPair("//Alice");
  store.beginWeightSet(slot, { uids, weights }, local.bestNumber(), 0);
  let done = false;
  const producer = (async () => {
    while (!done) {
      const pool = (await rawRpc(local.url, "author_pendingExtrinsics", [])) as {
        result: string[];
      };
      if (pool.result.length > 0) await local.produceBlocks(1);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const r = await submitWeights(client, alice, 1, uids, weights, {
    pendingPath: join(dir, "none.json"),
    timelock: { beacon: "chain" },
  }).finally(async () => {
    done = true;
    await producer;
  });
  const o = r.outcome as Extract<WeightsOutcome, { kind: "timelocked" }>;
  store.finishWeightSet(
    slot,
    {
      ok: true,
      block: o.commitBlock,
      outcome: "timelocked",
      commit: {
        netuidIndex: o.netuidIndex,
        hotkey: alice.address,
        commitHash: o.commitHash,
        revealRound: o.revealRound,
        commitBlock: o.commitBlock,
        commitEpoch: o.commitEpoch,
        revealEpoch: o.revealEpoch,
        firstRevealBlock: o.firstRevealBlock,
        lastRevealBlock: o.lastRevealBlock,
      },
    },
    0,
  );
  return o;
}

const step = (store: ValidatorStore) =>
  revealStep({ chain: client, netuid: 1, store, now: () => 1 });

describe("revealStep", () => {
  it("keeps a commit pending until the chain reveals it, then records the reveal's block", async () => {
    const store = ValidatorStore.open(join(dir, "a.sqlite"));
    try {
      const o = await commitSlot(store, 1, [1, 2], [1, 0.5]);
      expect(await step(store)).toEqual([]);
      expect(store.weightCommit(1)).toMatchObject({
        status: "pending",
        checkedBlock: local.bestNumber(),
      });
      while (((await client.epochSchedule(1))?.index ?? 0) < o.revealEpoch)
        await local.produceBlocks(1);
      await local.produceBlocks(4);
      const settled = await step(store);
      expect(settled.map((s) => [s.slot, s.commit?.status])).toEqual([[1, "revealed"]]);
      const c = store.weightCommit(1);
      expect(c?.revealBlock).toBeGreaterThanOrEqual(o.firstRevealBlock);
      const events = await client.timelockedWeightsEvents(
        await client.blockHash(c?.revealBlock as number),
      );
      expect(events.map((e) => e.name)).toContain("TimelockedWeightsRevealed");
      expect(store.lastWeightsBlock()).toBe(c?.revealBlock);
    } finally {
      store.close();
    }
  }, 60_000);

  it("after a downtime past the node's state window, the weights on chain decide", async () => {
    const store = ValidatorStore.open(join(dir, "b.sqlite"));
    try {
      // Two commits in one epoch: the second's weights end up on chain, the first's do not.
      const first = await commitSlot(store, 1, [3], [1]);
      const second = await commitSlot(store, 2, [4], [1]);
      expect(second.revealEpoch).toBe(first.revealEpoch);
      // The validator is away while both are revealed and 250 more blocks pass.
      while (((await client.epochSchedule(1))?.index ?? 0) <= first.revealEpoch)
        await local.produceBlocks(1);
      await local.produceBlocks(250);
      const settled = await step(store);
      expect(settled.map((s) => [s.slot, s.commit?.status, s.commit?.revealBlock])).toEqual([
        [1, "unconfirmed", null],
        [2, "revealed", null],
      ]);
      expect(await client.weightsOf(1, 0)).toEqual([[4, 65535]]);
    } finally {
      store.close();
    }
  }, 90_000);
});
