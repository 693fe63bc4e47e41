// The store as the web sees it (ReadonlyStore): every method it offers reads and never writes, the
// write methods and the raw database are not on it, and every web module takes it. The type checks
// here run under `tsc --noEmit` (the typecheck step); the rest runs on a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import type { King } from "../../src/score/king.js";
import type { ArtifactStore } from "../../src/store/artifacts/types.js";
import { type ReadonlyStore, ValidatorStore } from "../../src/store/store.js";
import { historyView, stateView, submissionsPage } from "../../src/web/api.js";
import { EvalReader } from "../../src/web/evals.js";
import type { WebOptions } from "../../src/web/server.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-readonly-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_750_000_000_000;
const digest = `sha256:${"1".repeat(64)}`;

/** A store with a king, a settled job, a queued submission and a timelocked weight commit. */
function filled(): ValidatorStore {
  const s = ValidatorStore.open(join(dir, "validator.db"));
  const image = (hotkey: string, d: string) => ({
    hotkey,
    block: 10,
    ok: true as const,
    image: `localhost/${hotkey.toLowerCase()}/engine@${d}`,
    digest: d,
  });
  const { added } = s.recordScan(
    12,
    [image("5A", digest), image("5B", `sha256:${"2".repeat(64)}`)],
    new Map([
      ["5A", 1],
      ["5B", 2],
    ]),
    T0,
  );
  const sub = added[0] as (typeof added)[number];
  const job = s.createJob([sub], { hash: "0xabc", block: 11 }, T0);
  s.markSubmitted(job.id, "pod-1", "pod-job-1", T0);
  const king: King = {
    submissionId: String(sub.id),
    hotkey: sub.hotkey,
    uid: 1,
    digest,
    score: 0.4,
    crownedAtMs: T0,
  };
  s.settle({
    jobId: job.id,
    reportKey: "reports/1.json",
    reportStatus: "ok",
    results: [
      {
        submissionId: sub.id,
        passed: true,
        score: 0.4,
        ttftMs: 90,
        tokensPerSec: 60,
        failureStage: null,
        failure: null,
        logsKey: null,
      },
    ],
    king,
    kingEvents: [{ type: "crowned", king, threshold: 0 }],
    requeue: [],
    atMs: T0,
  });
  s.beginWeightSet(1, { uids: [1], weights: [65535] }, 20, T0);
  s.finishWeightSet(
    1,
    {
      ok: true,
      block: 21,
      outcome: "timelocked",
      commit: {
        netuidIndex: 1,
        hotkey: "5V",
        commitHash: "0xabc",
        revealRound: 1000,
        commitBlock: 21,
        commitEpoch: 1,
        revealEpoch: 2,
        firstRevealBlock: 40,
        lastRevealBlock: 59,
      },
    },
    T0,
  );
  return s;
}

// One call per method of ReadonlyStore: a read method added to it without a line here does not compile.
const READS: { [K in keyof ReadonlyStore]: (s: ReadonlyStore) => unknown } = {
  lastScanBlock: (s) => s.lastScanBlock(),
  submission: (s) => s.submission(1),
  queue: (s) => s.queue(20),
  queueDepth: (s) => s.queueDepth(),
  king: (s) => s.king(),
  kingHistory: (s) => s.kingHistory(),
  job: (s) => s.job(1),
  openJobs: (s) => s.openJobs(),
  recentJobs: (s) => s.recentJobs(10),
  submissionPage: (s) => s.submissionPage({ order: "score", limit: 200, offset: 0 }),
  latestWeightSets: (s) => s.latestWeightSets(),
  rentalSummariesSince: (s) => s.rentalSummariesSince(0),
};

describe("the read-only store", () => {
  it("reads the state and changes nothing in the database", () => {
    const s = filled();
    const changes = () => s.db.prepare("SELECT total_changes() AS n").get();
    const before = changes();
    const ro: ReadonlyStore = s;
    const seen = Object.fromEntries(Object.entries(READS).map(([k, read]) => [k, read(ro)]));
    expect(changes()).toEqual(before);
    expect(seen).toMatchObject({
      lastScanBlock: 12,
      queueDepth: 1,
      king: { hotkey: "5A", score: 0.4 },
      job: { id: 1, status: "settled", reportKey: "reports/1.json" },
      openJobs: [],
      submissionPage: { total: 2 },
      latestWeightSets: { lastSet: null, lastCommit: { slot: 1, status: "pending" } },
    });
    s.close();
  });

  it("offers no write method and no raw database", () => {
    type Writes =
      | "db"
      | "close"
      | "recordScan"
      | "createJob"
      | "markSubmitted"
      | "releaseJob"
      | "settle"
      | "beginWeightSet"
      | "finishWeightSet"
      | "updateWeightCommit";
    expectTypeOf<Extract<keyof ReadonlyStore, Writes>>().toBeNever();
    const writeThrough = (ro: ReadonlyStore) => {
      // @ts-expect-error the web's store type has no settle
      ro.settle;
      // @ts-expect-error nor the database underneath
      ro.db.prepare("DELETE FROM king");
    };
    expectTypeOf(writeThrough).toBeFunction();
  });

  it("is the store type every web module takes", () => {
    expectTypeOf<WebOptions["store"]>().toEqualTypeOf<ReadonlyStore>();
    expectTypeOf(stateView).parameter(0).toEqualTypeOf<ReadonlyStore>();
    expectTypeOf(submissionsPage).parameter(0).toEqualTypeOf<ReadonlyStore>();
    expectTypeOf(historyView).parameter(0).toEqualTypeOf<ReadonlyStore>();
    expectTypeOf(EvalReader).constructorParameters.toEqualTypeOf<[ReadonlyStore, ArtifactStore]>();
  });
});
