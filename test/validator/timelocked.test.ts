// The validator loop on a commit-reveal v4 subnet (finney's default), in this process: each slot's
// weights go as a drand-timelocked commit, recorded in the store with its round and epochs; the
// chain reveals it itself (the local chain is its own test beacon) and the loop confirms that from
// TimelockedWeightsRevealed; a commit whose pulse never comes expires, is reported, counted in
// /metrics and on the dashboard, and the next slot commits again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { devPair } from "../../src/app/local-arena.js";
import { openValidatorService, type ValidatorService } from "../../src/app/validator-service.js";
import { loadArena } from "../../src/arena/load.js";
import { devGenesis, type GenesisConfig } from "../../src/chain/local/chain.js";
import { loadRuntime } from "../../src/chain/local/runtime.js";
import type { ValidatorEvent } from "../../src/validator/events.js";
import type { StateView } from "../../src/web/api.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { commitAll, NETUID, startTestArena, type TestArena, weightsOnChain } from "./fixture.js";

const arena = loadArena(tinyArenaPath());
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-timelocked-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Dev genesis, commit-reveal v4 on; tempo 40 (4 s epochs at 100 ms blocks, longer than a drand period). */
function v4Genesis(beacon: "test" | "quicknet"): GenesisConfig {
  const g = devGenesis();
  const subnet = g.subnets?.[0] as Record<string, unknown>;
  subnet.tempo = 40;
  return { ...g, drand: { beacon } };
}

async function service(a: TestArena, name: string, events: ValidatorEvent[]) {
  return openValidatorService({
    stateDir: join(dir, name),
    chain: a.client,
    pair: await devPair("//Alice"),
    netuid: NETUID,
    pods: [{ name: "pod", url: a.pod.url, token: a.pod.token }],
    arena,
    arenaValue: arena as unknown as Record<string, unknown>,
    baseline: { kind: "reference", profile: "baseline", variant: "none" },
    batch: 4,
    maxAttempts: 2,
    scanEveryBlocks: 1,
    weightsEveryBlocks: 10,
    timelock: { beacon: "chain" },
    tickMs: 100,
    podPollMs: 100,
    podLostMs: 30_000,
    http: { host: "127.0.0.1", port: 0 },
    env: {},
    onEvent: (e) => events.push(e),
  });
}

async function runUntil(s: ValidatorService, until: () => boolean, timeoutMs: number) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  await s.validator.run(stop.signal, until);
  clearTimeout(timer);
  if (stop.signal.aborted) throw new Error(`not done after ${timeoutMs} ms`);
}

/** The timelocked commits the chain included, in block order. */
function commitsOnChain(a: TestArena): number[] {
  const { registry } = loadRuntime();
  const blocks: number[] = [];
  a.chain.snapshot().blocks.forEach((b, number) => {
    for (const hex of b.extrinsics) {
      const x = registry.createType("Extrinsic", hex);
      if (x.method.method === "commitTimelockedMechanismWeights") blocks.push(number);
    }
  });
  return blocks;
}

describe("the validator on a commit-reveal v4 subnet", () => {
  let a: TestArena;
  let s: ValidatorService | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
    await a?.close();
  });

  it("commits timelocked weights each slot; the chain reveals the king's and the loop confirms it", async () => {
    a = await startTestArena(undefined, v4Genesis("test"));
    await commitAll(a);
    const events: ValidatorEvent[] = [];
    s = await service(a, "revealed", events);
    await runUntil(s, () => (s as ValidatorService).validator.idle(), 120_000);
    const { store } = s;

    // No set_weights: every slot's weights went as a timelocked commit, recorded with its round.
    expect(weightsOnChain(a.chain)).toEqual([]);
    const sets = store.weightSets().filter((w) => w.status === "set");
    expect(sets.length).toBeGreaterThanOrEqual(1);
    expect(sets.map((w) => w.block)).toEqual(commitsOnChain(a));
    for (const w of sets)
      expect(w.commit).toMatchObject({ hotkey: (await devPair("//Alice")).address });

    // The weights on chain are the king's (Bob, uid 1), revealed by the chain.
    const last = store.latestWeightSets().lastSet;
    expect(last?.uids).toEqual([1]);
    const c = last?.commit;
    expect(c).toMatchObject({ status: "revealed", revealEpoch: (c?.commitEpoch ?? 0) + 1 });
    expect(c?.revealBlock).toBeGreaterThan(c?.commitBlock ?? Number.POSITIVE_INFINITY);
    const onChain = await a.client.api.query.subtensorModule?.weights?.(NETUID, 0);
    expect(onChain?.toJSON()).toEqual([[1, 65535]]);
    const reveal = await a.client.timelockedWeightsEvents(
      await a.client.blockHash(c?.revealBlock as number),
    );
    expect(reveal).toContainEqual({
      name: "TimelockedWeightsRevealed",
      netuidIndex: NETUID,
      who: (await devPair("//Alice")).address,
    });
    expect(store.lastWeightsBlock()).toBe(c?.revealBlock);

    // The story: committed, then revealed.
    expect(events.some((e) => e.type === "weights" && e.set.commit !== undefined)).toBe(true);
    expect(
      events.some(
        (e) =>
          e.type === "weights-reveal" &&
          e.set.commit?.status === "revealed" &&
          e.set.slot === last?.slot,
      ),
    ).toBe(true);

    // /metrics and the API read the same store.
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^cacheon_validator_weight_commits_total\{result="revealed"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(
      new RegExp(`^cacheon_validator_last_weights_block ${c?.revealBlock}$`, "m"),
    );
    const state = (await (await fetch(`${s.httpUrl}/api/state`)).json()) as StateView;
    expect(state.weights.lastSet).toMatchObject({
      uids: [1],
      block: c?.revealBlock,
      committed: { block: c?.commitBlock, revealRound: c?.revealRound },
    });
  }, 180_000);

  it("a commit whose pulse never comes expires: logged, counted, shown, and the next slot commits again", async () => {
    // The chain's beacon is quicknet and no pulse is ever fed: nothing can be revealed.
    a = await startTestArena(undefined, v4Genesis("quicknet"));
    const events: ValidatorEvent[] = [];
    s = await service(a, "expired", events);
    const expired = () =>
      events.find((e) => e.type === "weights-reveal" && e.set.commit?.status === "expired");
    const laterCommit = () => {
      const first = expired();
      return (
        first?.type === "weights-reveal" &&
        (s as ValidatorService).store.weightSets().some((w) => w.commit && w.slot > first.set.slot)
      );
    };
    await runUntil(s, () => laterCommit(), 60_000);
    const e = expired();
    if (e?.type !== "weights-reveal") throw new Error("no expiry");
    expect(e.set.commit).toMatchObject({ status: "expired", revealBlock: null });
    // No weights reached the chain; the validator is not idle.
    expect(s.store.latestWeightSets().lastSet).toBeNull();
    expect(s.validator.idle()).toBe(false);
    expect((await a.client.api.query.subtensorModule?.weights?.(NETUID, 0))?.toJSON()).toEqual([]);

    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^cacheon_validator_weight_commits_total\{result="expired"\} [1-9]\d*$/m,
    );
    const page = await (await fetch(`${s.httpUrl}/`)).text();
    expect(page).toMatch(/Weights have not been set yet\./);
    expect(page).toMatch(/Timelocked commit of block \d+ \(drand round \d+\): /);
    const state = (await (await fetch(`${s.httpUrl}/api/state`)).json()) as StateView;
    expect(state.weights.lastCommit?.slot).toBeGreaterThan(e.set.slot);
  }, 90_000);
});
