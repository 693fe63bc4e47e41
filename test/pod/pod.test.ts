// `cacheon pod serve --runtime local` as a validator uses it: the built CLI as a child process, its
// HTTP API on loopback through PodClient and raw requests, reference servers as the baseline and
// candidates. One pod for the whole file, killed and restarted on its state directory mid-way.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSessionOnPod } from "../../src/cli/session.js";
import { EvalReportSchema } from "../../src/eval/report.js";
import { PodClient, PodError, type PodErrorKind } from "../../src/pod/client.js";
import type { JobRequestInput, PodEvent } from "../../src/pod/schema.js";
import { parsePodAddress } from "../../src/pod/tls.js";
import { tinyArena, tinyArenaFile } from "../helpers/arenas.js";
import { closedPort } from "../helpers/ports.js";
import { type PodProcess, startPod, TOKEN } from "./pod-process.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-pod-"));
const state = join(dir, "state");
let pod: PodProcess;
const client = () => new PodClient(pod.url, TOKEN);

const ref = (profile: string, variant: "none" | "diverge" = "none") =>
  ({ kind: "reference", profile, variant }) as const;
const job = (profile: string, candidates: string[]): JobRequestInput => ({
  arena: tinyArenaFile,
  seed: "0x5eed",
  baseline: ref(profile),
  candidates: candidates.map((name) => ({ name, spec: ref(profile) })),
});

async function podError(p: Promise<unknown>): Promise<PodError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof PodError)) throw new Error(`expected a PodError, got ${String(err)}`);
  return err;
}

async function expectKind(p: Promise<unknown>, kind: PodErrorKind, message: RegExp) {
  const err = await podError(p);
  expect(err.kind).toBe(kind);
  expect(err.message).toMatch(message);
}

/** Reads events until one matches; the iterator stays open for the rest. */
async function until(
  events: AsyncIterator<PodEvent>,
  seen: PodEvent[],
  match: (e: PodEvent) => boolean,
): Promise<void> {
  for (;;) {
    const next = await events.next();
    if (next.done) throw new Error(`the events ended before the one awaited: ${seen.length} seen`);
    seen.push(next.value);
    if (match(next.value)) return;
  }
}

async function all(events: AsyncIterable<PodEvent>): Promise<PodEvent[]> {
  const out: PodEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const jobsOnDisk = () =>
  existsSync(join(state, "jobs")) ? readdirSync(join(state, "jobs")).length : 0;

beforeAll(async () => {
  pod = await startPod(state);
}, 60_000);

afterAll(async () => {
  await pod?.kill();
});

describe.sequential("cacheon pod serve", () => {
  it("answers GET /health without a token, and nothing else without the right one", async () => {
    const health = await fetch(`${pod.url}/health`);
    expect(await health.json()).toEqual({ ok: true, busy: false });
    const someId = "20260101T000000Z-abcdef";
    const routes: [string, string][] = [
      ["GET", "/v1/jobs"],
      ["POST", "/v1/jobs"],
      ["GET", `/v1/jobs/${someId}`],
      ["GET", `/v1/jobs/${someId}/events`],
      ["GET", `/v1/jobs/${someId}/report`],
      ["GET", `/v1/jobs/${someId}/logs/baseline`],
      ["POST", `/v1/jobs/${someId}/cancel`],
      ["GET", "/nowhere"],
    ];
    const body = JSON.stringify(job("instant", ["a"]));
    for (const [method, path] of routes)
      for (const authorization of [
        undefined,
        "Bearer wrong-token-0123456789",
        TOKEN,
        `Bearer ${TOKEN}x`,
      ]) {
        const res = await fetch(`${pod.url}${path}`, {
          method,
          headers: authorization ? { authorization } : {},
          body: method === "POST" ? body : undefined,
        });
        expect(res.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(await res.json()).toEqual({ error: "missing or wrong bearer token" });
      }
    await expectKind(
      new PodClient(pod.url, "wrong-token-0123456789").submit(job("instant", ["a"])),
      "unauthorized",
      /^POST \/v1\/jobs: missing or wrong bearer token$/,
    );
    // Nothing ran: no job, on disk or in the list.
    expect(await client().list()).toEqual([]);
    expect(jobsOnDisk()).toBe(0);
  });

  it("refuses a second worker on the same state directory", async () => {
    await expect(startPod(state)).rejects.toThrow(
      new RegExp(
        `exited \\(2\\) .*state dir ${state} is in use by another pod worker \\(pid ${pod.child.pid}\\)`,
      ),
    );
  });

  it("refuses bad bodies with 400 naming the field, and unknown routes and jobs", async () => {
    const post = (body: string) =>
      fetch(`${pod.url}/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body,
      });
    const notJson = await post("{arena");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      error: expect.stringMatching(/^the body is not JSON: /),
    });
    const huge = await post(JSON.stringify({ ...job("instant", ["a"]), pad: "x".repeat(1 << 20) }));
    expect(huge.status).toBe(413);
    await expectKind(
      client().submit({
        ...job("instant", ["a"]),
        candidates: [{ name: "a", spec: { kind: "url", url: "http://127.0.0.1:9" } }],
      }),
      "bad_request",
      /candidates\.0\.spec: a pod runs its servers itself: url servers are refused/,
    );
    await expectKind(
      client().submit({ ...job("instant", ["a"]), seed: "nothex" }),
      "bad_request",
      /: seed: must be 1-64 hex digits/,
    );
    await expectKind(
      client().status("20260101T000000Z-abcdef"),
      "not_found",
      /no job 20260101T000000Z-abcdef/,
    );
    await expectKind(client().status("../../etc"), "not_found", /no job/);
    const wrongMethod = await fetch(`${pod.url}/v1/jobs`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(wrongMethod.status).toBe(405);
    expect(await client().list()).toEqual([]);
    expect(jobsOnDisk()).toBe(0);
  });

  it("runs one job at a time, and cancels one mid-run: it ends cancelled, with its report", async () => {
    const { id } = await client().submit(job("slow", ["a", "b"]));
    const events = client().events(id)[Symbol.asyncIterator]();
    const live: PodEvent[] = [];
    await until(events, live, (e) => e.type === "slot-start");
    expect(await (await fetch(`${pod.url}/health`)).json()).toEqual({ ok: true, busy: true });
    const busy = await podError(client().submit(job("instant", ["c"])));
    expect(busy.kind).toBe("busy");
    expect(busy.running).toBe(id);
    expect(busy.message).toBe(`POST /v1/jobs: the pod is busy with job ${id}`);
    await expectKind(client().report(id), "not_found", /has no report \(running\)/);
    expect((await client().status(id)).servers.map((s) => s.state)).toEqual([
      "running",
      "pending",
      "pending",
    ]);

    await client().cancel(id);
    await until(events, live, (e) => e.type === "job-end");
    expect(live.at(-1)).toMatchObject({ type: "job-end", job: id, status: "cancelled" });
    expect((await events.next()).done).toBe(true);
    // The replay of an ended job is the same stream.
    expect(await all(client().events(id))).toEqual(live);

    const status = await client().status(id);
    expect(status).toMatchObject({ id, status: "cancelled" });
    expect(status.servers.map((s) => [s.name, s.state, s.failure?.kind])).toEqual([
      ["baseline", "failed", "cancelled"],
      ["a", "failed", "not_run"],
      ["b", "failed", "not_run"],
    ]);
    const report = await client().report(id);
    expect(report.status).toBe("cancelled");
    await expectKind(client().cancel(id), "bad_request", /is not running \(cancelled\)/);
    expect(await (await fetch(`${pod.url}/health`)).json()).toEqual({ ok: true, busy: false });
  });

  it("marks a job interrupted, with what was done, when its worker is killed mid-job", async () => {
    const { id } = await client().submit(job("instant", ["a", "b"]));
    const events = client().events(id)[Symbol.asyncIterator]();
    const seen: PodEvent[] = [];
    await until(events, seen, (e) => e.type === "server-start" && e.server === "a");
    await pod.kill();
    await events.return?.(undefined);

    pod = await startPod(state);
    expect(pod.stderr()).toContain(`job ${id}: interrupted`);
    const status = await client().status(id);
    expect(status).toMatchObject({
      status: "interrupted",
      servers: [
        { name: "baseline", state: "done" },
        { name: "a", state: "interrupted" },
        { name: "b", state: "pending" },
      ],
    });
    expect(status.error).toMatch(/\(1 of 3 servers had finished\)/);
    expect(status.finishedAt).not.toBeNull();
    const replay = await all(client().events(id));
    expect(replay.slice(0, seen.length)).toEqual(seen);
    expect(replay.at(-1)).toMatchObject({ type: "job-end", status: "interrupted" });
    await expectKind(client().report(id), "not_found", /has no report \(interrupted\)/);
  }, 60_000);

  it("runs a new job after the restart end to end: events, report and logs (runSessionOnPod)", async () => {
    const out = join(dir, "report.json");
    const report = await runSessionOnPod({
      pod: parsePodAddress(pod.url),
      token: TOKEN,
      arena: tinyArena(),
      seed: "0x5eed",
      baseline: { name: "baseline", spec: ref("instant") },
      candidates: [
        { name: "same", spec: ref("instant") },
        { name: "wrong", spec: ref("instant", "diverge") },
      ],
      incumbent: "same",
      quiet: true,
      out,
    });
    expect(EvalReportSchema.parse(JSON.parse(readFileSync(out, "utf8")))).toEqual(report);
    expect(report.status).toBe("ok");
    expect(report.seed).toBe("0x5eed");
    expect(report.verdict.incumbent).toBe("same");
    expect(report.candidates.map((c) => [c.name, c.gate.passed])).toEqual([
      ["same", true],
      ["wrong", false],
    ]);

    const [latest, ...older] = await client().list();
    if (!latest) throw new Error("no job listed");
    expect(older.map((j) => j.status)).toEqual(["interrupted", "cancelled"]);
    expect(latest).toMatchObject({ status: "done" });
    expect(latest.servers.map((s) => [s.name, s.state, s.failure?.kind])).toEqual([
      ["baseline", "done", undefined],
      ["same", "done", undefined],
      ["wrong", "failed", "gate"],
    ]);
    expect(await client().report(latest.id)).toEqual(report);
    const events = await all(client().events(latest.id));
    expect(events[0]).toMatchObject({ type: "job-start", job: latest.id });
    expect(
      events.filter((e) => e.type === "server-end").map((e) => e.type === "server-end" && e.server),
    ).toEqual(["baseline", "same", "wrong"]);
    expect(events.at(-1)).toMatchObject({ type: "job-end", status: "done" });
    for (const s of [report.baseline, ...report.candidates])
      expect(await client().logs(latest.id, s.name)).toBe(s.logs);
    await expectKind(
      client().logs(latest.id, "nobody"),
      "not_found",
      /has no log of server nobody/,
    );
  }, 60_000);

  it("cancels the job on the pod when runSessionOnPod hears Ctrl-C, and returns its report", async () => {
    const running = runSessionOnPod({
      pod: parsePodAddress(pod.url),
      token: TOKEN,
      arena: tinyArena(),
      seed: "0x5eed",
      baseline: { name: "baseline", spec: ref("slow") },
      candidates: [{ name: "a", spec: ref("slow") }],
      quiet: true,
    });
    // Its handler is in place once the job is submitted; nothing else in this process has one.
    while (process.listenerCount("SIGINT") === 0) await new Promise((r) => setTimeout(r, 20));
    process.emit("SIGINT");
    const report = await running;
    expect(report.status).toBe("cancelled");
    expect(report.candidates[0]?.failure?.kind).toBe("not_run");
    expect((await client().list())[0]?.status).toBe("cancelled");
    expect(process.listenerCount("SIGINT")).toBe(0);
  }, 30_000);

  it("stops on SIGTERM and frees its state directory", async () => {
    expect(await pod.stop()).toBe(0);
    expect(existsSync(join(state, "pod.lock"))).toBe(false);
  });
});

describe("PodClient", () => {
  let junk: Server;
  beforeAll(async () => {
    // Answers 200 with what no pod would say, and 500 to anything under /v1/jobs/.
    junk = createServer((req, res) => {
      if (req.url?.startsWith("/v1/jobs/")) {
        res.writeHead(500).end("oops");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":"yes"}');
    });
    await new Promise<void>((resolve) => junk.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => junk.close(() => resolve())));

  it("says unreachable when nothing listens, and bad_response for answers no pod gives", async () => {
    const port = await closedPort();
    await expectKind(
      new PodClient(`http://127.0.0.1:${port}`, TOKEN).health(),
      "unreachable",
      new RegExp(`^cannot reach the pod at http://127\\.0\\.0\\.1:${port}: connection refused$`),
    );
    const url = `http://127.0.0.1:${(junk.address() as AddressInfo).port}`;
    await expectKind(
      new PodClient(url, TOKEN).health(),
      "bad_response",
      /^GET \/health: not a health answer: ok: /,
    );
    await expectKind(
      new PodClient(url, TOKEN).status("20260101T000000Z-abcdef"),
      "bad_response",
      /: the pod answered 500$/,
    );
  });
});
