// `cacheon validator run` killed with SIGKILL at each failpoint of a round, then restarted: the
// final state must equal an uninterrupted run's — no submission lost, none evaluated twice (one
// job on the pod), one king crowned once, and every weight set on chain recorded exactly once.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../src/app/validator-service.js";
import { DEV_ADDRESSES } from "../../src/chain/local/chain.js";
import { PodClient } from "../../src/pod/client.js";
import { ValidatorStore } from "../../src/store/store.js";
import { FAILPOINT_ENV, FAILPOINTS, type Failpoint } from "../../src/validator/failpoint.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { aliceWallet } from "../helpers/wallets.js";
import { commitAll, NETUID, startTestArena, TEST_MINERS, weightsOnChain } from "./fixture.js";
import { validatorRun } from "./validator-process.js";

// Bob (fastest), Charlie (fast) and Eve (a copy of Bob's image).
const MINERS = TEST_MINERS.filter((m) => m.uri !== "//Dave");
const arenaFile = tinyArenaPath();
let dir: string;
let wallet: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-crash-"));
  wallet = await aliceWallet(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  statuses: Record<string, string>;
  king: string | null;
  crowned: number;
  jobs: { status: string; attempts: number }[];
  podJobs: number;
  weightsOnChain: number;
  weightsRecorded: number;
  lastWeights: number[] | undefined;
}

/** One round from fresh chain and pod; killed at `failpoint` first when given, then run to idle. */
async function round(name: string, failpoint?: Failpoint): Promise<Outcome> {
  const a = await startTestArena(MINERS);
  try {
    await commitAll(a, MINERS);
    const token = join(dir, `${name}.token`);
    await writeFile(token, a.pod.token);
    const state = join(dir, name);
    const args = [
      ...wallet,
      "--network",
      a.chain.url,
      "--netuid",
      String(NETUID),
      "--pod",
      a.pod.url,
      "--pod-token-file",
      token,
      "--state-dir",
      state,
      "--arena",
      arenaFile,
      "--baseline",
      "reference:baseline",
      "--scan-every",
      "1",
      "--weights-every",
      "10",
      "--tick-ms",
      "100",
      "--pod-poll-ms",
      "100",
      "--exit-when-idle",
    ];
    if (failpoint) {
      const killed = await validatorRun(args, { [FAILPOINT_ENV]: failpoint }, 90_000);
      expect(killed.signal, `${failpoint}: ${killed.stdout}\n${killed.stderr}`).toBe("SIGKILL");
    }
    const done = await validatorRun(args, { [FAILPOINT_ENV]: "" }, 120_000);
    expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
    expect(done.stdout).toMatch(/"msg":"idle: exiting"/);

    const store = ValidatorStore.open(join(state, STORE_FILE));
    try {
      const onChain = weightsOnChain(a.chain);
      const king = store.king();
      return {
        statuses: Object.fromEntries(store.submissions().map((s) => [s.hotkey, s.status])),
        king: king && (store.submission(Number(king.submissionId))?.hotkey ?? null),
        crowned: store.kingHistory().filter((h) => h.type === "crowned").length,
        jobs: store.jobs().map((j) => ({ status: j.status, attempts: j.attempts })),
        podJobs: (await new PodClient(a.pod.url, a.pod.token).list()).length,
        weightsOnChain: onChain.length,
        weightsRecorded: store.weightSets().filter((w) => w.status === "set").length,
        lastWeights: onChain.at(-1)?.dests,
      };
    } finally {
      store.close();
    }
  } finally {
    await a.close();
  }
}

describe("validator killed with SIGKILL mid-round", () => {
  let reference: Outcome;

  it("an uninterrupted round: one job, Bob crowned, the copy rejected, weights to Bob's uid", async () => {
    reference = await round("uninterrupted");
    expect(Object.values(reference.statuses)).toEqual(["evaluated", "evaluated", "rejected"]);
    expect(reference.king).toBe(DEV_ADDRESSES.bob);
    expect(reference.crowned).toBe(1);
    expect(reference.jobs).toEqual([{ status: "settled", attempts: 1 }]);
    expect(reference.podJobs).toBe(1);
    expect(reference.weightsOnChain).toBe(reference.weightsRecorded);
    expect(reference.lastWeights).toEqual([1]);
  }, 150_000);

  it.each(FAILPOINTS)(
    "killed at %s, restarted: the same final state",
    async (fp) => {
      const o = await round(fp, fp);
      expect(o.statuses).toEqual(reference.statuses);
      expect(o.king).toBe(reference.king);
      expect(o.crowned).toBe(1);
      expect(o.jobs).toEqual([{ status: "settled", attempts: 1 }]);
      expect(o.podJobs).toBe(1);
      expect(o.weightsOnChain).toBe(o.weightsRecorded);
      expect(o.lastWeights).toEqual([1]);
    },
    240_000,
  );
});
