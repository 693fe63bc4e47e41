// `cacheon validator run --rent` killed with SIGKILL at each step of a rental — after the intent,
// after the create answered, while the instance boots, mid-job, after the delete answered — then
// restarted against the same Shadeform double (whose instances are real `pod serve` processes):
// every round ends with the job settled once, no instance left running, and exactly one instance
// ever made for the round's one job (none rented twice, none leaked).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minerImages } from "../../src/app/local-arena.js";
import { STORE_FILE } from "../../src/app/validator-service.js";
import { DEV_ADDRESSES } from "../../src/chain/local/chain.js";
import { startShadeformDouble } from "../../src/pod/providers/shadeform-double.js";
import { ValidatorStore } from "../../src/store/store.js";
import { FAILPOINT_ENV, type Failpoint } from "../../src/validator/failpoint.js";
import { SHADEFORM_KEY_ENV } from "../../src/validator/rent-config.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { aliceWallet } from "../helpers/wallets.js";
import { commitAll, NETUID, startTestArena, TEST_MINERS } from "./fixture.js";
import { validatorRun } from "./validator-process.js";

// Bob (fastest), Charlie (fast) and Eve (a copy of Bob's image): one job of two challengers.
const MINERS = TEST_MINERS.filter((m) => m.uri !== "//Dave");
const arenaFile = tinyArenaPath();
let dir: string;
let wallet: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-rent-crash-"));
  wallet = await aliceWallet(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One round on a fresh chain and double, killed at `failpoint` first, then run until idle. */
async function round(name: string, failpoint: Failpoint) {
  const a = await startTestArena(MINERS);
  const images = join(dir, `${name}.images.json`);
  await writeFile(images, JSON.stringify(minerImages(MINERS).catalogue));
  const double = await startShadeformDouble({ bootDelayMs: 200, podArgs: ["--images", images] });
  try {
    await commitAll(a, MINERS);
    const rent = join(dir, `${name}.rent.json`);
    await writeFile(
      rent,
      JSON.stringify({
        provider: { kind: "shadeform", baseUrl: double.url, retries: 2, backoffMs: 50 },
        image: `ghcr.io/cacheon/cacheon@sha256:${"0".repeat(64)}`,
        maxPods: 1,
        idleSeconds: 0.3,
        dailySpendCapUsd: 100,
        retrySeconds: 1,
      }),
    );
    const state = join(dir, name);
    const args = [
      ...wallet,
      ...["--network", a.chain.url, "--netuid", String(NETUID), "--rent", rent],
      ...["--state-dir", state, "--arena", arenaFile, "--baseline", "reference:baseline"],
      ...["--scan-every", "1", "--weights-every", "10", "--tick-ms", "100", "--pod-poll-ms", "100"],
      "--exit-when-idle",
    ];
    const env = { [SHADEFORM_KEY_ENV]: double.apiKey };
    const killed = await validatorRun(args, { ...env, [FAILPOINT_ENV]: failpoint }, 120_000);
    expect(killed.signal, `${failpoint}: ${killed.stdout}\n${killed.stderr}`).toBe("SIGKILL");
    const done = await validatorRun(args, { ...env, [FAILPOINT_ENV]: "" }, 150_000);
    expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);

    const store = ValidatorStore.open(join(state, STORE_FILE));
    try {
      const king = store.king();
      return {
        statuses: Object.fromEntries(store.submissions().map((s) => [s.hotkey, s.status])),
        king: king && (store.submission(Number(king.submissionId))?.hotkey ?? null),
        jobs: store.jobs().map((j) => ({ status: j.status, attempts: j.attempts })),
        live: store.liveRentals().map((r) => `${r.name} ${r.state}`),
        rentals: store.rentalsSince(0).map((r) => r.state),
        instances: double.instances().map((i) => ({ status: i.status, by: i.deletedBy })),
      };
    } finally {
      store.close();
    }
  } finally {
    await double.close();
    await a.close();
  }
}

const EXPECTED_STATUSES = {
  [DEV_ADDRESSES.bob]: "evaluated",
  [DEV_ADDRESSES.charlie]: "evaluated",
  [DEV_ADDRESSES.eve]: "rejected",
};

describe("a renting validator killed with SIGKILL at each rental step", () => {
  it.each<[Failpoint, string[]]>([
    // The create never happened: the intent is failed on restart and a second one rents the pod.
    ["after-rental-intent", ["failed", "deleted"]],
    // The instance exists but its id was not stored: found by its name and adopted.
    ["after-rental-create", ["deleted"]],
    ["rental-booting", ["deleted"]],
    // The job on the pod when the validator died: the restart finds it there by its ref.
    ["after-pod-submit", ["deleted"]],
    // The pod given back, not yet recorded: the restart sees it gone (or deletes it again).
    ["after-rental-delete", ["deleted"]],
  ])(
    "killed at %s, restarted: one job settled once, one instance made, none left running",
    async (fp, rentals) => {
      const o = await round(fp, fp);
      expect(o.statuses).toEqual(EXPECTED_STATUSES);
      expect(o.king).toBe(DEV_ADDRESSES.bob);
      expect(o.jobs).toEqual([{ status: "settled", attempts: 1 }]);
      expect(o.live).toEqual([]);
      expect(o.rentals).toEqual(rentals);
      expect(o.instances).toHaveLength(1);
      expect(o.instances[0]?.by).toBe("request");
      expect(o.instances[0]?.status).toMatch(/^delet/);
    },
    300_000,
  );
});
