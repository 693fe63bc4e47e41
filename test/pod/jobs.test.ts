// The job store on a real state directory: what a new store (a restarted worker) finds, the events
// as the truth of what was done, and the state directory's lock and pod id.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EvalReport } from "../../src/eval/report.js";
import { isJobId, JobStore, newJobId } from "../../src/pod/jobs.js";
import { JobRequestSchema, type PodEvent } from "../../src/pod/schema.js";
import { claimStateDir } from "../../src/pod/state.js";

const ref = { kind: "reference", profile: "instant" } as const;
const request = JobRequestSchema.parse({
  arena: "local",
  seed: "0x1",
  baseline: ref,
  candidates: [
    { name: "a", spec: ref },
    { name: "b", spec: ref },
  ],
});
const tmp = () => mkdtempSync(join(tmpdir(), "cacheon-pod-store-"));
const start = (server: string): PodEvent => ({
  type: "server-start",
  server,
  role: server === "baseline" ? "baseline" : "candidate",
  spec: { ...ref, variant: "none" },
});
const end = (server: string): PodEvent => ({
  type: "server-end",
  server,
  failure: null,
  measuredMs: 1,
});

describe("job ids", () => {
  it("sort by time and are safe folder names", () => {
    const a = newJobId(new Date("2026-01-02T03:04:05.678Z"));
    expect(a).toMatch(/^20260102T030405Z-[0-9a-f]{6}$/);
    expect(isJobId(a)).toBe(true);
    expect(newJobId(new Date("2026-01-02T03:04:06Z")) > a).toBe(true);
    for (const bad of ["..", "../x", "20260102T030405Z-abc", `${a}/x`])
      expect(isJobId(bad)).toBe(false);
  });
});

describe("JobStore", () => {
  it("keeps a job's status and events on disk, and a new store reads them back", () => {
    const dir = tmp();
    const store = new JobStore(dir);
    const job = store.create(request);
    store.append(job.id, start("baseline"));
    expect(store.get(job.id)?.servers.map((s) => s.state)).toEqual([
      "running",
      "pending",
      "pending",
    ]);
    const ended = store.finish(job.id, { status: "failed", error: "boom" });
    expect(ended).toMatchObject({ status: "failed", error: "boom" });
    expect(ended.servers[0]?.state).toBe("interrupted");
    const again = new JobStore(dir);
    expect(again.get(job.id)).toEqual(ended);
    const follow = again.follow(job.id, () => {});
    expect(follow?.live).toBe(false);
    expect(follow?.past.map((e) => e.type)).toEqual(["job-start", "server-start", "job-end"]);
    // Every write went through a temp file that was renamed away.
    expect(readdirSync(join(dir, "jobs", job.id)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("marks a job left running interrupted, with what its events say was done", () => {
    const dir = tmp();
    const store = new JobStore(dir);
    const job = store.create(request);
    for (const e of [start("baseline"), end("baseline"), start("a")]) store.append(job.id, e);
    // A kill can cut the last line short: it is skipped, the rest still count.
    appendFileSync(join(dir, "jobs", job.id, "events.ndjson"), '{"type":"server-e');
    // job.json may lag the events (killed between the two writes): the events win.
    const stale = JSON.parse(readFileSync(join(dir, "jobs", job.id, "job.json"), "utf8"));
    stale.servers = stale.servers.map((s: object) => ({ ...s, state: "pending" }));
    writeFileSync(join(dir, "jobs", job.id, "job.json"), JSON.stringify(stale));

    const restarted = new JobStore(dir);
    const [recovered, ...more] = restarted.recover(new Date("2026-05-01T00:00:00Z"));
    expect(more).toEqual([]);
    expect(recovered).toMatchObject({
      id: job.id,
      status: "interrupted",
      finishedAt: "2026-05-01T00:00:00.000Z",
      servers: [
        { name: "baseline", state: "done" },
        { name: "a", state: "interrupted" },
        { name: "b", state: "pending" },
      ],
    });
    expect(recovered?.error).toMatch(/stopped while this job ran \(1 of 3 servers had finished\)/);
    const events = restarted.follow(job.id, () => {})?.past ?? [];
    expect(events.at(-1)).toMatchObject({ type: "job-end", status: "interrupted" });
    // Nothing is left running for the next start.
    expect(new JobStore(dir).recover()).toEqual([]);
  });

  it("tells a follower of a running job each new event until job-end, after the past ones", () => {
    const store = new JobStore(tmp());
    const job = store.create(request);
    store.append(job.id, start("baseline"));
    const live: string[] = [];
    const follow = store.follow(job.id, (e) => live.push(e.type));
    expect(follow?.past.map((e) => e.type)).toEqual(["job-start", "server-start"]);
    store.append(job.id, end("baseline"));
    store.finish(job.id, { status: "failed", error: "x" });
    store.append(job.id, { type: "status", server: "a", line: "after the end" });
    expect(live).toEqual(["server-end", "job-end"]);
    expect(store.follow("20260102T030405Z-abcdef", () => {})).toBeUndefined();
  });

  it("writes the report and each server's log before the job-end event", () => {
    const store = new JobStore(tmp());
    const job = store.create(request);
    const run = (name: string, logs: string, failure: object | null) => ({ name, logs, failure });
    // Only what the store reads of a report: its servers' names, logs and failures.
    const report = {
      status: "ok",
      baseline: run("baseline", "vllm: ready\n", null),
      candidates: [
        run("a", "", null),
        run("b", "Traceback…\n", { stage: "gate", kind: "gate", message: "diverged" }),
      ],
    } as unknown as EvalReport;
    let atEnd: string[] = [];
    store.follow(job.id, (e) => {
      if (e.type === "job-end")
        atEnd = ["baseline", "a", "b"].map((s) =>
          readFileSync(store.logFile(job.id, s) ?? "", "utf8"),
        );
    });
    const ended = store.finish(job.id, { status: "done", report });
    expect(atEnd).toEqual(["vllm: ready\n", "", "Traceback…\n"]);
    expect(ended.servers).toEqual([
      { name: "baseline", state: "done" },
      { name: "a", state: "done" },
      { name: "b", state: "failed", failure: { stage: "gate", kind: "gate", message: "diverged" } },
    ]);
    expect(JSON.parse(readFileSync(store.reportFile(job.id) ?? "", "utf8"))).toEqual(report);
    expect(store.logFile(job.id, "../job")).toBeUndefined();
  });

  it("lists newest first and skips a folder without a readable job", () => {
    const dir = tmp();
    const store = new JobStore(dir);
    const older = store.create(request, new Date("2026-01-01T00:00:00Z"));
    const newer = store.create(request, new Date("2026-01-02T00:00:00Z"));
    writeFileSync(join(dir, "jobs", older.id, "job.json"), "{not json");
    const warnings: string[] = [];
    const again = new JobStore(dir, (w) => warnings.push(w));
    expect(again.list().map((j) => j.id)).toEqual([newer.id]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^job ${older.id}: cannot read .*job\\.json, skipped`));
    expect(store.list().map((j) => j.id)).toEqual([newer.id, older.id]);
  });
});

describe("the state directory", () => {
  it("keeps one pod id across runs and refuses a second live worker", () => {
    const dir = tmp();
    const first = claimStateDir(dir);
    expect(first.podId).toMatch(/^pod-[0-9a-f]{8}$/);
    // The lock names a live process (the test runner's parent): another worker is refused.
    writeFileSync(join(dir, "pod.lock"), `${process.ppid}\n`);
    expect(() => claimStateDir(dir)).toThrow(/is in use by another pod worker \(pid \d+\)/);
    first.release();
    expect(claimStateDir(dir).podId).toBe(first.podId);
  });

  it("takes over the lock of a worker that died, also where its pid was reused", () => {
    const dir = tmp();
    // Far above any pid limit: no such process.
    writeFileSync(join(dir, "pod.lock"), "2147483646 12345\n");
    expect(() => claimStateDir(dir)).not.toThrow();
    expect(readFileSync(join(dir, "pod.lock"), "utf8")).toMatch(
      new RegExp(`^${process.pid} \\d+\n$`),
    );
    // A live process that started at another time than the lock says: a new process, same pid.
    writeFileSync(join(dir, "pod.lock"), `${process.ppid} 1\n`);
    expect(() => claimStateDir(dir)).not.toThrow();
  });
});
