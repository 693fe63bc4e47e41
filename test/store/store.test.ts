// The validator's store on real SQLite files in a temp dir: migrations, the scanner's admission,
// jobs from queue to settlement, weight sets, the leaderboard, and the state directory's lock.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { King, KingEvent } from "../../src/score/king.js";
import { openDatabase, StoreError } from "../../src/store/db.js";
import { DirectoryLockedError, lockDirectory } from "../../src/store/lock.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import {
  type CandidateResult,
  candidateName,
  type ScannedCommitment,
  type Submission,
  ValidatorStore,
} from "../../src/store/store.js";

const root = mkdtempSync(join(tmpdir(), "cacheon-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const tmp = () => {
  const dir = join(root, String(++dirs));
  mkdirSync(dir);
  return dir;
};

const open: ValidatorStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) if (s.db.open) s.close();
});
function store(path = join(tmp(), "validator.db")): ValidatorStore {
  const s = ValidatorStore.open(path);
  open.push(s);
  return s;
}

const T0 = 1_750_000_000_000;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
type Valid = Extract<ScannedCommitment, { ok: true }>;
const valid = (hotkey: string, block: number, n: number): Valid => ({
  hotkey,
  block,
  ok: true,
  image: `localhost/${hotkey.toLowerCase()}/engine@${digest(n)}`,
  digest: digest(n),
});
const invalid = (hotkey: string, block: number, raw = "0x6e6f7065"): ScannedCommitment => ({
  hotkey,
  block,
  ok: false,
  raw,
  reason: "not an image reference",
});
const uids = (entries: Record<string, number>) => new Map(Object.entries(entries));
const ALL = uids({ "5A": 1, "5B": 2, "5C": 3, "5D": 4 });

const byHotkey = (s: ValidatorStore, hotkey: string) =>
  s.submissions().filter((x) => x.hotkey === hotkey);
const only = (s: ValidatorStore, hotkey: string): Submission => {
  const [x, ...more] = byHotkey(s, hotkey);
  expect(more).toEqual([]);
  return x as Submission;
};

const passing = (id: number, score: number): CandidateResult => ({
  submissionId: id,
  passed: true,
  score,
  ttftMs: 100,
  tokensPerSec: 50,
  failureStage: null,
  failure: null,
  logsKey: `logs/${id}`,
});
const failing = (id: number, failure = "gate: diverged"): CandidateResult => ({
  submissionId: id,
  passed: false,
  score: 0,
  ttftMs: null,
  tokensPerSec: null,
  failureStage: failure.split(":")[0] ?? null,
  failure,
  logsKey: null,
});
const kingOf = (s: Submission, score: number, crownedAtMs: number): King => ({
  submissionId: String(s.id),
  hotkey: s.hotkey,
  uid: s.uid as number,
  digest: s.digest as string,
  score,
  crownedAtMs,
});

/** A job for `challengers` taken to a pod and settled with `results` and the given king outcome. */
function runJob(
  s: ValidatorStore,
  challengers: Submission[],
  results: (job: number) => CandidateResult[],
  outcome: (job: number) => { king: King | null; kingEvents: KingEvent[]; requeue?: number[] },
  atMs: number,
): number {
  const job = s.createJob(challengers, { hash: "0xabc", block: 9 }, atMs);
  s.markSubmitted(job.id, "pod-1", `pod-job-${job.id}`, atMs);
  const o = outcome(job.id);
  s.settle({
    jobId: job.id,
    reportKey: `reports/${job.id}.json`,
    reportStatus: "ok",
    results: results(job.id),
    king: o.king,
    kingEvents: o.kingEvents,
    requeue: o.requeue ?? [],
    atMs,
  });
  return job.id;
}

/** Crowns `sub` (queued) in a job of its own, as a session with no king would. */
function crown(s: ValidatorStore, sub: Submission, score: number, atMs: number): King {
  const king = kingOf(sub, score, atMs);
  runJob(
    s,
    [sub],
    () => [passing(sub.id, score)],
    () => ({ king, kingEvents: [{ type: "crowned", king, threshold: 0 }] }),
    atMs,
  );
  return king;
}

describe("the store's file", () => {
  it("gets the latest schema version, and a reopened file keeps its data", () => {
    const path = join(tmp(), "validator.db");
    const s = store(path);
    expect(s.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(s.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(s.lastScanBlock()).toBeNull();
    s.recordScan(10, [valid("5A", 5, 1)], ALL, T0);
    const before = s.submissions();
    s.close();

    const again = store(path);
    expect(again.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(again.submissions()).toEqual(before);
    expect(again.lastScanBlock()).toBe(10);
  });

  it("refuses a file from a newer Cacheon, naming its version", () => {
    const path = join(tmp(), "validator.db");
    const newer = new Database(path);
    newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    newer.close();
    const error = (() => {
      try {
        ValidatorStore.open(path);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(
      `the store ${path} has schema version ${MIGRATIONS.length + 1}, newer than this Cacheon's ${MIGRATIONS.length}: upgrade Cacheon`,
    );
  });

  it("refuses a file that is not SQLite, and a path it cannot create", () => {
    const path = join(tmp(), "validator.db");
    writeFileSync(path, "validator state, but not a database\n".repeat(20));
    expect(() => openDatabase(path)).toThrow(StoreError);
    expect(() => openDatabase(path)).toThrow(
      `the store ${path} cannot be used: file is not a database`,
    );
    const nowhere = join(tmp(), "missing", "validator.db");
    expect(() => openDatabase(nowhere)).toThrow(StoreError);
    expect(() => openDatabase(nowhere)).toThrow(`cannot open the store ${nowhere}: `);
  });
});

describe("recordScan", () => {
  it("queues each hotkey's first valid commitment once; a rescan adds nothing", () => {
    const s = store();
    const first = s.recordScan(10, [valid("5B", 6, 2), valid("5A", 5, 1)], ALL, T0);
    expect(first.added.map((x) => [x.hotkey, x.status, x.uid, x.block])).toEqual([
      ["5A", "queued", 1, 5],
      ["5B", "queued", 2, 6],
    ]);
    expect(first.added[0]).toMatchObject({
      commitment: `localhost/5a/engine@${digest(1)}`,
      image: `localhost/5a/engine@${digest(1)}`,
      digest: digest(1),
      seenBlock: 10,
      seenAtMs: T0,
      reason: null,
      jobId: null,
    });
    expect(first.dropped).toEqual([]);
    expect(first.kingEvents).toEqual([]);
    expect(s.lastScanBlock()).toBe(10);

    const again = s.recordScan(12, [valid("5A", 5, 1), valid("5B", 6, 2)], ALL, T0 + 1);
    expect(again.added).toEqual([]);
    expect(s.submissions()).toEqual(first.added);
    expect(s.queue().map((x) => x.hotkey)).toEqual(["5A", "5B"]);
    expect(s.queue(1).map((x) => x.hotkey)).toEqual(["5A"]);
    expect(s.queueDepth()).toBe(2);
    expect(s.lastScanBlock()).toBe(12);
  });

  it("ignores a hotkey's later commitment, with the reason", () => {
    const s = store();
    s.recordScan(10, [valid("5A", 5, 1)], ALL, T0);
    const r = s.recordScan(20, [valid("5A", 15, 7)], ALL, T0);
    expect(r.added).toHaveLength(1);
    expect(r.added[0]).toMatchObject({ status: "ignored", digest: digest(7) });
    expect(r.added[0]?.reason).toBe(
      `hotkey 5A already submitted ${digest(1)}; only its first submission is evaluated`,
    );
    expect(s.queue().map((x) => x.digest)).toEqual([digest(1)]);
  });

  it("rejects another hotkey's copy of a digest in any letter case; its own later one is queued", () => {
    const s = store();
    const shouting = { ...valid("5B", 8, 1), digest: digest(1).toUpperCase() };
    s.recordScan(10, [valid("5A", 5, 1), shouting], ALL, T0);
    const copy = only(s, "5B");
    expect(copy.status).toBe("rejected");
    expect(copy.reason).toBe(`image ${digest(1).toUpperCase()} was already submitted by hotkey 5A`);
    // Within one block the earlier hotkey in commit order is the original.
    s.recordScan(12, [valid("5D", 11, 3), valid("5C", 11, 3)], ALL, T0);
    expect(only(s, "5C").status).toBe("queued");
    expect(only(s, "5D").status).toBe("rejected");
    // A rejected copy is not the hotkey's one submission.
    s.recordScan(20, [valid("5B", 15, 2)], ALL, T0);
    expect(byHotkey(s, "5B").map((x) => x.status)).toEqual(["rejected", "queued"]);
  });

  it("rejects an invalid commitment without counting it as the hotkey's submission", () => {
    const s = store();
    const r = s.recordScan(10, [invalid("5A", 5)], ALL, T0);
    expect(r.added[0]).toMatchObject({
      hotkey: "5A",
      status: "rejected",
      reason: "invalid commitment: not an image reference",
      commitment: "0x6e6f7065",
      image: null,
      digest: null,
    });
    expect(s.recordScan(11, [invalid("5A", 5)], ALL, T0).added).toEqual([]);
    s.recordScan(20, [valid("5A", 15, 1)], ALL, T0);
    expect(byHotkey(s, "5A").map((x) => x.status)).toEqual(["rejected", "queued"]);
  });

  it("skips a hotkey that is not on the subnet until it is", () => {
    const s = store();
    const without = uids({ "5A": 1 });
    expect(s.recordScan(10, [valid("5C", 5, 3)], without, T0).added).toEqual([]);
    expect(s.submissions()).toEqual([]);
    expect(s.lastScanBlock()).toBe(10);
    const r = s.recordScan(11, [valid("5C", 5, 3)], uids({ "5A": 1, "5C": 9 }), T0);
    expect(r.added.map((x) => [x.hotkey, x.uid, x.status, x.seenBlock])).toEqual([
      ["5C", 9, "queued", 11],
    ]);
  });

  it("drops a queued submission whose hotkey left, but not one being evaluated", () => {
    const s = store();
    s.recordScan(10, [valid("5A", 5, 1), valid("5B", 6, 2)], ALL, T0);
    s.createJob([only(s, "5B")], { hash: "0x1", block: 10 }, T0);
    const r = s.recordScan(11, [], uids({ "5C": 3 }), T0 + 5);
    expect(r.dropped.map((x) => [x.hotkey, x.status])).toEqual([["5A", "dropped"]]);
    expect(only(s, "5A")).toMatchObject({
      status: "dropped",
      reason: "the hotkey left the subnet before its evaluation",
    });
    expect(only(s, "5B").status).toBe("evaluating");
    expect(s.queueDepth()).toBe(0);
    // Dropped still was its one submission, and its digest stays taken.
    const back = s.recordScan(12, [valid("5A", 11, 4), valid("5C", 11, 1)], ALL, T0);
    expect(back.added.map((x) => [x.hotkey, x.status])).toEqual([
      ["5A", "ignored"],
      ["5C", "rejected"],
    ]);
    expect(back.dropped).toEqual([]);
  });

  it("follows the king's uid, and dethrones the king whose hotkey left", () => {
    const s = store();
    s.recordScan(10, [valid("5A", 5, 1)], ALL, T0);
    const king = crown(s, only(s, "5A"), 0.3, T0 + 10);
    expect(s.king()).toEqual(king);

    const moved = s.recordScan(11, [], uids({ "5A": 7 }), T0 + 20);
    expect(moved.kingEvents).toEqual([
      { type: "uid_changed", king: { ...king, uid: 7 }, previousUid: 1 },
    ]);
    expect(s.king()).toEqual({ ...king, uid: 7 });
    expect(s.recordScan(12, [], uids({ "5A": 7 }), T0 + 30).kingEvents).toEqual([]);

    const gone = s.recordScan(13, [], uids({ "5B": 2 }), T0 + 40);
    expect(gone.kingEvents).toEqual([
      { type: "dethroned", reason: "deregistered", king: { ...king, uid: 7 } },
    ]);
    expect(s.king()).toBeNull();
    expect(s.kingHistory().map((h) => [h.type, h.uid, h.atMs, h.jobId])).toEqual([
      ["crowned", 1, T0 + 10, 1],
      ["uid_changed", 7, T0 + 20, null],
      ["dethroned:deregistered", 7, T0 + 40, null],
    ]);
    expect(s.kingHistory()[2]?.detail).toEqual(gone.kingEvents[0]);
  });

  it("decides the same whatever the order, split and repetition of scans (property)", () => {
    const HOTKEYS = ["5A", "5B", "5C", "5D"];
    const commitment = fc.record({
      hotkey: fc.constantFrom(...HOTKEYS),
      block: fc.integer({ min: 1, max: 30 }),
      n: fc.integer({ min: 1, max: 4 }),
      upper: fc.boolean(),
      // Mostly valid.
      ok: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    });
    const commitments = fc
      .uniqueArray(commitment, {
        maxLength: 10,
        // The chain holds one commitment per hotkey and block.
        selector: (c) => `${c.hotkey}@${c.block}`,
      })
      .map((cs) =>
        cs.map((c): ScannedCommitment => {
          if (!c.ok) return invalid(c.hotkey, c.block, `0x${c.n}`);
          const v = valid(c.hotkey, c.block, c.n);
          return c.upper ? { ...v, digest: v.digest.toUpperCase() } : v;
        }),
      );
    // Each scan: a head, and sort keys that shuffle (and repeat) what the chain shows at it.
    const scans = fc.array(
      fc.record({
        head: fc.integer({ min: 0, max: 30 }),
        keys: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
      }),
      { maxLength: 5 },
    );
    const key = (x: { hotkey: string; block: number; commitment: string }) =>
      `${x.hotkey}@${x.block}:${x.commitment}`;
    const final = (s: ValidatorStore) =>
      new Map(s.submissions().map((x) => [key(x), [x.status, x.reason]]));

    fc.assert(
      fc.property(commitments, scans, (cs, plan) => {
        const once = store();
        once.recordScan(40, cs, ALL, T0);
        const split = store();
        const heads = [...plan].sort((a, b) => a.head - b.head);
        for (const { head, keys } of [...heads, { head: 40, keys: heads[0]?.keys ?? [] }]) {
          const seen = cs.filter((c) => c.block <= head);
          const shown = [...seen, ...seen.filter((_, i) => (keys[i] ?? 0) % 2 === 0)]
            .map((c, i) => ({ c, k: keys[i % keys.length] ?? i }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.c);
          split.recordScan(head, shown, ALL, T0 + head);
        }
        expect(final(split)).toEqual(final(once));
        expect(once.submissions()).toHaveLength(cs.length);

        const admitted = once.submissions().filter((x) => x.status === "queued");
        const perHotkey = admitted.map((x) => x.hotkey);
        expect(new Set(perHotkey).size).toBe(perHotkey.length);
        const digests = admitted.map((x) => x.digest?.toLowerCase());
        expect(new Set(digests).size).toBe(digests.length);
        // A hotkey's earliest valid commitment, of a digest nobody else committed, is queued.
        for (const h of HOTKEYS) {
          const mine = cs.filter((c) => c.hotkey === h && c.ok).sort((a, b) => a.block - b.block);
          const first = mine[0];
          if (!first?.ok) continue;
          const d = first.digest.toLowerCase();
          if (cs.some((c) => c.ok && c.hotkey !== h && c.digest.toLowerCase() === d)) continue;
          expect(final(once).get(key({ ...first, commitment: first.image }))?.[0]).toBe("queued");
        }
        once.close();
        split.close();
      }),
      { numRuns: 60 },
    );
  });
});

type Four = [Submission, Submission, Submission, Submission];

describe("jobs", () => {
  function withQueue() {
    const s = store();
    s.recordScan(
      10,
      [valid("5A", 5, 1), valid("5B", 6, 2), valid("5C", 7, 3), valid("5D", 8, 4)],
      ALL,
      T0,
    );
    const [a, b, c, d] = ["5A", "5B", "5C", "5D"].map((h) => only(s, h)) as Four;
    return { s, a, b, c, d };
  }

  it("takes its challengers out of the queue and includes the king", () => {
    const { s, a, b, c, d } = withQueue();
    crown(s, a, 0.3, T0);
    const job = s.createJob([b, c], { hash: "0xfeed", block: 11 }, T0 + 5);
    expect(job).toMatchObject({
      status: "pending",
      pod: null,
      podJob: null,
      seed: "0xfeed",
      seedBlock: 11,
      kingSubmission: a.id,
      attempts: 0,
      createdAtMs: T0 + 5,
      updatedAtMs: T0 + 5,
      reason: null,
      reportKey: null,
    });
    expect(job.candidates).toEqual([
      { submissionId: a.id, name: candidateName(a.id), role: "king", image: a.image },
      { submissionId: b.id, name: `s${b.id}`, role: "challenger", image: b.image },
      { submissionId: c.id, name: `s${c.id}`, role: "challenger", image: c.image },
    ]);
    expect(s.submission(b.id)).toMatchObject({ status: "evaluating", jobId: job.id });
    expect(s.queue()).toEqual([s.submission(d.id)]);
    expect(s.openJobs().map((j) => j.id)).toEqual([job.id]);
  });

  it("creates nothing when a challenger is not queued", () => {
    const { s, a, b, c } = withQueue();
    const first = s.createJob([a], { hash: "0x1", block: 10 }, T0);
    const jobs = s.jobs();
    expect(() => s.createJob([b, a, c], { hash: "0x2", block: 11 }, T0)).toThrow(
      `submission ${a.id} is not queued`,
    );
    expect(s.jobs()).toEqual(jobs);
    expect(s.job(first.id + 1)).toBeNull();
    expect(s.db.prepare("SELECT count(*) AS n FROM job_candidates").get()).toEqual({ n: 1 });
    expect(s.submission(b.id)).toMatchObject({ status: "queued", jobId: null });
    expect(s.queueDepth()).toBe(3);
  });

  it("goes back to pending when an attempt is lost, and fails with its challengers after maxAttempts", () => {
    const { s, a, b, c } = withQueue();
    crown(s, a, 0.3, T0);
    const job = s.createJob([b, c], { hash: "0x1", block: 10 }, T0);
    s.markSubmitted(job.id, "pod-1", "j1", T0 + 1);
    expect(s.job(job.id)).toMatchObject({
      status: "submitted",
      pod: "pod-1",
      podJob: "j1",
      attempts: 1,
      updatedAtMs: T0 + 1,
    });
    // Only a pending job is submitted: a repeat changes nothing.
    s.markSubmitted(job.id, "pod-2", "j2", T0 + 2);
    expect(s.job(job.id)).toMatchObject({ pod: "pod-1", attempts: 1 });

    const back = s.releaseJob(job.id, "pod pod-1: gone", 2, T0 + 3);
    expect(back).toMatchObject({
      status: "pending",
      pod: null,
      podJob: null,
      attempts: 1,
      reason: "pod pod-1: gone",
    });
    expect(s.submission(b.id)?.status).toBe("evaluating");
    s.markSubmitted(job.id, "pod-2", "j2", T0 + 4);
    const failed = s.releaseJob(job.id, "pod pod-2: no answer", 2, T0 + 5);
    const why = `eval job ${job.id} failed 2 times; last: pod pod-2: no answer`;
    expect(failed).toMatchObject({ status: "failed", attempts: 2, reason: why });
    for (const x of [b, c])
      expect(s.submission(x.id)).toMatchObject({ status: "failed", reason: why });
    expect(s.submission(a.id)?.status).toBe("evaluated");
    expect(s.king()?.submissionId).toBe(String(a.id));
    expect(s.openJobs()).toEqual([]);
    expect(() => s.releaseJob(999, "x", 2, T0)).toThrow("no job 999");
  });

  it("settles results, statuses, the king and its history in one go, and only once", () => {
    const { s, a, b, c } = withQueue();
    const king = kingOf(b, 0.4, T0 + 9);
    const job = s.createJob([a, b, c], { hash: "0x1", block: 10 }, T0);
    const settlement = {
      jobId: job.id,
      reportKey: "reports/1.json",
      reportStatus: "ok",
      results: [passing(a.id, 0.2), passing(b.id, 0.4), failing(c.id)],
      king,
      kingEvents: [{ type: "crowned", king, threshold: 0 }] as KingEvent[],
      requeue: [],
      atMs: T0 + 9,
    };
    expect(() => s.settle(settlement)).toThrow(`job ${job.id} is pending`);
    expect(s.king()).toBeNull();
    s.markSubmitted(job.id, "pod-1", "j1", T0 + 1);
    s.settle(settlement);

    expect(s.job(job.id)).toMatchObject({
      status: "settled",
      reportKey: "reports/1.json",
      reason: null,
      updatedAtMs: T0 + 9,
    });
    expect(s.db.prepare("SELECT report_status FROM jobs WHERE id = ?").get(job.id)).toEqual({
      report_status: "ok",
    });
    expect(s.submission(a.id)).toMatchObject({ status: "evaluated", score: 0.2, passed: true });
    expect(s.submission(c.id)).toMatchObject({
      status: "failed",
      reason: "gate: diverged",
      score: 0,
      passed: false,
    });
    expect(s.results(job.id)).toEqual([
      { ...passing(a.id, 0.2), name: `s${a.id}`, role: "challenger" },
      { ...passing(b.id, 0.4), name: `s${b.id}`, role: "challenger" },
      { ...failing(c.id), name: `s${c.id}`, role: "challenger" },
    ]);
    expect(s.king()).toEqual(king);
    expect(s.kingHistory()).toEqual([
      {
        id: 1,
        atMs: T0 + 9,
        type: "crowned",
        submissionId: b.id,
        hotkey: "5B",
        uid: 2,
        score: 0.4,
        jobId: job.id,
        detail: { type: "crowned", king, threshold: 0 },
      },
    ]);

    // The same settlement again (a restart that settles its report twice) is refused whole.
    expect(() => s.settle({ ...settlement, atMs: T0 + 99 })).toThrow(`job ${job.id} is settled`);
    expect(s.kingHistory()).toHaveLength(1);
    expect(s.job(job.id)?.updatedAtMs).toBe(T0 + 9);
    expect(() => s.settle({ ...settlement, jobId: 42 })).toThrow("no job 42");
  });

  it("puts passing challengers measured against a former king back in the queue", () => {
    const { s, a, b, c } = withQueue();
    const king = crown(s, a, 0.3, T0);
    const jobId = runJob(
      s,
      [b, c],
      () => [passing(a.id, 0.31), passing(b.id, 0.5), failing(c.id)],
      () => ({ king, kingEvents: [], requeue: [b.id] }),
      T0 + 10,
    );
    expect(s.submission(b.id)).toMatchObject({
      status: "queued",
      jobId: null,
      reason: `the king changed while job ${jobId} ran: evaluated again`,
      score: null,
      passed: null,
    });
    expect(s.queue().map((x) => x.id)).toEqual([b.id, only(s, "5D").id]);
    expect(s.submission(c.id)).toMatchObject({ status: "failed", passed: false });
    expect(s.king()).toEqual(king);
    expect(s.kingHistory().map((h) => h.type)).toEqual(["crowned"]);
    // The requeued one can join the next job.
    expect(s.createJob([b], { hash: "0x2", block: 12 }, T0 + 11).candidates).toHaveLength(2);
  });
});

describe("weight sets", () => {
  it("records each attempt of a slot and refuses a slot already set", () => {
    const s = store();
    expect(s.lastWeightsBlock()).toBeNull();
    const vector = { uids: [0, 3], weights: [0, 65535] };
    expect(s.beginWeightSet(5, vector, 100, T0)).toEqual({
      slot: 5,
      status: "submitting",
      uids: [0, 3],
      weights: [0, 65535],
      startedBlock: 100,
      attempts: 1,
      nextTryMs: 0,
      block: null,
      outcome: null,
      error: null,
    });
    s.finishWeightSet(5, { ok: false, error: "rate limited", nextTryMs: T0 + 60_000 }, T0 + 1);
    expect(s.weightSet(5)).toMatchObject({
      status: "failed",
      error: "rate limited",
      nextTryMs: T0 + 60_000,
    });
    expect(s.lastWeightsBlock()).toBeNull();

    const retry = s.beginWeightSet(5, { uids: [3], weights: [65535] }, 104, T0 + 60_000);
    expect(retry).toMatchObject({
      status: "submitting",
      attempts: 2,
      startedBlock: 104,
      uids: [3],
    });
    s.finishWeightSet(5, { ok: true, block: 106, outcome: "included" }, T0 + 61_000);
    expect(s.weightSet(5)).toMatchObject({
      status: "set",
      block: 106,
      outcome: "included",
      error: null,
      attempts: 2,
    });
    expect(s.lastWeightsBlock()).toBe(106);
    expect(() => s.beginWeightSet(5, vector, 110, T0)).toThrow("weights of slot 5 are already set");
    expect(s.weightSet(5)?.attempts).toBe(2);

    s.beginWeightSet(6, vector, 200, T0);
    expect(s.lastWeightsBlock()).toBe(106);
    const latest = s.latestWeightSets();
    expect([latest.lastAttempt?.slot, latest.lastAttempt?.status]).toEqual([6, "submitting"]);
    expect([latest.lastSet?.slot, latest.lastSet?.block]).toEqual([5, 106]);
    s.finishWeightSet(6, { ok: true, block: 201, outcome: "included" }, T0);
    expect(s.lastWeightsBlock()).toBe(201);
    expect(s.weightSets().map((w) => [w.slot, w.status])).toEqual([
      [5, "set"],
      [6, "set"],
    ]);
    expect(s.weightSet(7)).toBeNull();
  });
});

describe("timelocked weight commits (commit-reveal v4)", () => {
  const commit = {
    netuidIndex: 1,
    hotkey: "5Alice",
    commitHash: "0xabc",
    revealRound: 1000,
    commitBlock: 21,
    commitEpoch: 1,
    revealEpoch: 2,
    firstRevealBlock: 40,
    lastRevealBlock: 59,
  };

  it("records the commit with its slot; on chain only once revealed; expired ones stay visible", () => {
    const s = store();
    const vector = { uids: [1], weights: [65535] };
    s.beginWeightSet(1, vector, 20, T0);
    s.finishWeightSet(1, { ok: true, block: 21, outcome: "timelocked", commit }, T0);
    expect(s.weightSet(1)).toMatchObject({
      status: "set",
      block: 21,
      commit: { ...commit, slot: 1, status: "pending", revealBlock: null, checkedBlock: 21 },
    });
    expect(s.pendingWeightCommits().map((c) => c.slot)).toEqual([1]);
    // Committed is not on chain: no last set, no weights block yet.
    expect(s.latestWeightSets()).toMatchObject({
      lastSet: null,
      lastAttempt: { slot: 1 },
      lastCommit: { slot: 1, status: "pending" },
    });
    expect(s.lastWeightsBlock()).toBeNull();

    s.updateWeightCommit(1, { status: "pending", checkedBlock: 39 }, T0 + 1);
    expect(s.weightCommit(1)).toMatchObject({ status: "pending", checkedBlock: 39 });
    s.updateWeightCommit(1, { status: "revealed", revealBlock: 41, checkedBlock: 41 }, T0 + 2);
    expect(s.latestWeightSets().lastSet).toMatchObject({
      slot: 1,
      block: 21,
      commit: { status: "revealed", revealBlock: 41 },
    });
    expect(s.lastWeightsBlock()).toBe(41);
    expect(s.pendingWeightCommits()).toEqual([]);
    // Settled: later news does not change it.
    s.updateWeightCommit(1, { status: "expired", checkedBlock: 80 }, T0 + 3);
    expect(s.weightCommit(1)?.status).toBe("revealed");

    // The next slot's commit expires: the last set stays slot 1's, the last commit says so.
    s.beginWeightSet(2, { uids: [2], weights: [65535] }, 60, T0);
    s.finishWeightSet(
      2,
      { ok: true, block: 61, outcome: "timelocked", commit: { ...commit, commitBlock: 61 } },
      T0,
    );
    s.updateWeightCommit(2, { status: "expired", checkedBlock: 100 }, T0 + 4);
    const latest = s.latestWeightSets();
    expect([latest.lastSet?.slot, latest.lastCommit?.slot, latest.lastCommit?.status]).toEqual([
      1,
      2,
      "expired",
    ]);
    expect(s.lastWeightsBlock()).toBe(41);
    // A direct set_weights slot has no commit.
    s.beginWeightSet(3, vector, 120, T0);
    s.finishWeightSet(3, { ok: true, block: 121, outcome: "included" }, T0);
    expect(s.weightSet(3)).not.toHaveProperty("commit");
    expect(s.lastWeightsBlock()).toBe(121);
  });

  it("a store of schema version 1 is migrated, its weight sets kept", () => {
    const path = join(tmp(), "validator.db");
    const old = new Database(path);
    old.exec(MIGRATIONS[0] as string);
    old.pragma("user_version = 1");
    old
      .prepare(
        `INSERT INTO weight_sets (slot, status, uids, weights, started_block, attempts, next_try_ms, block, outcome, updated_at_ms)
         VALUES (4, 'set', '[1]', '[65535]', 40, 1, 0, 41, 'included', 0)`,
      )
      .run();
    old.close();
    const s = store(path);
    expect(s.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(s.weightSet(4)).toMatchObject({ status: "set", block: 41, uids: [1] });
    expect(s.weightSet(4)).not.toHaveProperty("commit");
    expect(s.latestWeightSets().lastSet?.slot).toBe(4);
  });
});

describe("leaderboard", () => {
  it("puts the best score first, unevaluated last, with each one's latest settled result", () => {
    const s = store();
    s.recordScan(
      10,
      [valid("5A", 5, 1), valid("5B", 6, 2), valid("5C", 7, 3), valid("5D", 8, 4)],
      ALL,
      T0,
    );
    const [a, b, c] = ["5A", "5B", "5C"].map((h) => only(s, h)) as Four;
    const king = crown(s, a, 0.3, T0);
    runJob(
      s,
      [b, c],
      () => [passing(a.id, 0.25), passing(b.id, 0.26), failing(c.id)],
      () => ({
        king: { ...king, score: 0.25 },
        kingEvents: [
          { type: "defended", king: { ...king, score: 0.25 }, previousScore: 0.3, margin: 0.01 },
        ],
      }),
      T0 + 10,
    );
    // A job still on a pod has no results yet.
    s.recordScan(11, [valid("5E", 9, 5)], uids({ ...Object.fromEntries(ALL), "5E": 5 }), T0);
    const e = only(s, "5E");
    const open = s.createJob([e], { hash: "0x3", block: 11 }, T0 + 20);
    s.markSubmitted(open.id, "pod-1", "j3", T0 + 20);

    const rows = s.leaderboard();
    expect(rows.map((r) => [r.submission.hotkey, r.result?.score ?? null])).toEqual([
      ["5B", 0.26],
      ["5A", 0.25],
      ["5C", 0],
      ["5D", null],
      ["5E", null],
    ]);
    expect(rows[1]?.result).toEqual({
      jobId: 2,
      passed: true,
      score: 0.25,
      ttftMs: 100,
      tokensPerSec: 50,
      failure: null,
    });
    expect(rows[2]?.result).toMatchObject({ jobId: 2, passed: false, failure: "gate: diverged" });
    expect(rows[3]?.submission.status).toBe("queued");
    expect(rows[4]?.submission.status).toBe("evaluating");

    // The same rows a page at a time, filtered, or in commit order; total counts the filter.
    const page = (q: Partial<Parameters<ValidatorStore["submissionPage"]>[0]>) =>
      s.submissionPage({ order: "score", limit: -1, offset: 0, ...q });
    const hotkeys = (q: Parameters<typeof page>[0]) => {
      const r = page(q);
      return [r.total, r.rows.map((x) => x.submission.hotkey)];
    };
    expect(hotkeys({ limit: 2, offset: 1 })).toEqual([5, ["5A", "5C"]]);
    expect(hotkeys({ order: "commit" })).toEqual([5, ["5A", "5B", "5C", "5D", "5E"]]);
    expect(hotkeys({ status: "evaluated" })).toEqual([2, ["5B", "5A"]]);
    expect(hotkeys({ hotkey: "5C" })).toEqual([1, ["5C"]]);
    expect(hotkeys({ hotkey: "5C", status: "queued" })).toEqual([0, []]);
    expect(s.recentJobs(2).map((j) => j.id)).toEqual([3, 2]);
  });
});

describe("lockDirectory", () => {
  /** The start time /proc gives for `pid` (field 22 of its stat). */
  const startOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
  };

  it("refuses a directory held by another live process", () => {
    const dir = tmp();
    for (const lock of [`${process.ppid} ${startOf(process.ppid)}\n`, `${process.ppid}\n`]) {
      writeFileSync(join(dir, "validator.lock"), lock);
      expect(() => lockDirectory(dir, "validator.lock", "validator")).toThrow(DirectoryLockedError);
      expect(() => lockDirectory(dir, "validator.lock", "validator")).toThrow(
        `state dir ${dir} is in use by another validator (pid ${process.ppid})`,
      );
      expect(readFileSync(join(dir, "validator.lock"), "utf8")).toBe(lock);
    }
  });

  it("takes over a lock whose process is gone or is another one now, and releases it", () => {
    const dir = join(tmp(), "state");
    const file = join(dir, "validator.lock");
    const mine = `${process.pid} ${startOf(process.pid)}\n`;
    // The directory is made when absent.
    lockDirectory(dir, "validator.lock", "validator");
    expect(readFileSync(file, "utf8")).toBe(mine);
    // Far above any pid limit: no such process; a live pid that started at another time; garbage.
    for (const stale of ["2147483646 12345\n", `${process.ppid} 1\n`, "not a lock\n"]) {
      writeFileSync(file, stale);
      const lock = lockDirectory(dir, "validator.lock", "validator");
      expect(readFileSync(file, "utf8")).toBe(mine);
      lock.release();
      expect(() => readFileSync(file)).toThrow(/ENOENT/);
    }
  });
});
