// The leaderboard's API end to end: one real demo round (`cacheon demo --serve`: local chain, local
// pod, four miners, the validator loop), then its read-only API checked against what the demo
// printed and against the EvalReport itself. The same dashboard in a real browser is
// test/browser/dashboard.test.ts (`npm run test:browser`, which needs Chromium).
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalReportSchema } from "../../src/eval/report.js";
import { rescore } from "../../src/eval/rescore.js";
import type { StateView, SubmissionsPage, SubmissionView } from "../../src/web/api.js";
import type { EvalView } from "../../src/web/eval-view.js";
import { DIVERGENCE_FAILURE } from "../helpers/gate-failures.js";
import { type ServedDemo, startServedDemo } from "./demo-serve.js";

let demo: ServedDemo;

beforeAll(async () => {
  demo = await startServedDemo(240_000);
}, 300_000);

afterAll(async () => {
  await demo?.stop();
});

async function get(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${demo.url}${path}`, init);
}
async function json<T>(path: string): Promise<T> {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as T;
}

/** The demo's printed leaderboard: submission → [status, TTFT, tok/s, score] as printed. */
function printedLeaderboard(stdout: string): Map<string, string[]> {
  const table = stdout.split("\nLeaderboard:\n")[1]?.split("\n\n")[0] ?? "";
  const rows = new Map<string, string[]>();
  for (const line of table.split("\n").slice(1)) {
    const cells = line.trim().split(/\s+/);
    // submission uid image status TTFT tok/s score
    rows.set(cells[0] as string, cells.slice(3));
  }
  return rows;
}

const bySub = (subs: SubmissionView[], part: string) => {
  const s = subs.find((x) => x.image?.includes(part));
  if (!s) throw new Error(`no submission with ${part}`);
  return s;
};

describe("the API of a demo round", () => {
  it("serves the state the demo ended in: the king, its margin, an empty queue, the weights on chain", async () => {
    const state = await json<StateView>("/api/state");
    const king = /King: s(\d+) \(uid (\d+)\) with score (\d\.\d{4})/.exec(demo.stdout);
    expect(king, demo.stdout).not.toBeNull();
    expect(state.king?.submissionId).toBe(Number(king?.[1]));
    expect(state.king?.uid).toBe(Number(king?.[2]));
    expect(state.king?.score.toFixed(4)).toBe(king?.[3]);
    expect(state.king?.image).toContain("localhost/bob/fast-engine@sha256:");
    // Crowned moments ago: the margin is just under m0 and reaches 0 seven days after the crowning.
    const crowned = Date.parse(state.king?.crownedAt ?? "");
    expect(Date.parse(state.king?.marginZeroAt ?? "") - crowned).toBe(7 * 86_400_000);
    const expected = 0.01 * (1 - (Date.parse(state.now) - crowned) / (7 * 86_400_000));
    expect(state.king?.marginNow).toBeCloseTo(expected, 12);
    expect(state.king?.marginNow).toBeLessThan(0.01);
    expect(state.rules).toEqual({ marginM0: 0.01, decayMs: 7 * 86_400_000, burnUid: 0 });
    expect(state.queue).toEqual({ depth: 0, next: [] });
    expect(state.evaluating).toEqual([]);
    // Set by the chain's reveal of the validator's timelocked commit (commit-reveal v4).
    const weights =
      /Weights on chain: uid (\d+) gets everything \(set at block (\d+) by the chain's reveal of \/\/Alice's timelocked commit of block (\d+), drand round (\d+)/.exec(
        demo.stdout,
      );
    expect(weights, demo.stdout).not.toBeNull();
    expect(state.weights.lastSet?.uids).toEqual([Number(weights?.[1])]);
    expect(state.weights.lastSet?.block).toBe(Number(weights?.[2]));
    expect(state.weights.lastSet?.committed).toEqual({
      block: Number(weights?.[3]),
      revealRound: Number(weights?.[4]),
    });
    expect(state.arena).toBe("tiny");
  });

  it("lists every submission with its latest result, best first, as the demo printed them", async () => {
    const page = await json<SubmissionsPage>("/api/submissions");
    expect(page.total).toBe(4);
    expect(page.submissions).toHaveLength(4);
    const printed = printedLeaderboard(demo.stdout);
    for (const s of page.submissions) {
      const row = printed.get(`s${s.id}`);
      expect(row, `s${s.id}`).toBeDefined();
      const r = s.result;
      expect([
        r ? (r.passed ? "pass" : "FAIL") : s.status,
        r?.ttftMs?.toFixed(1) ?? "-",
        r?.tokensPerSec?.toFixed(0) ?? "-",
        r ? r.score.toFixed(4) : "-",
      ]).toEqual(row);
    }
    const scores = page.submissions.map((s) => s.result?.score ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(page.submissions[0]?.king).toBe(true);
    expect(page.submissions.filter((s) => s.king)).toHaveLength(1);

    const bob = bySub(page.submissions, "bob/");
    const eve = bySub(page.submissions, "eve/");
    expect(eve.status).toBe("rejected");
    expect(eve.reason).toContain(`${bob.digest} was already submitted by hotkey ${bob.hotkey}`);
    expect(eve.result).toBeNull();
    const dave = bySub(page.submissions, "dave/");
    expect(dave.status).toBe("failed");
    expect(dave.result?.passed).toBe(false);
    expect(dave.result?.score).toBe(0);
    expect(dave.result?.failure).toMatch(DIVERGENCE_FAILURE);
  });

  it("filters by status and hotkey, orders by commit, and pages", async () => {
    const all = (await json<SubmissionsPage>("/api/submissions?order=commit")).submissions;
    expect(all.map((s) => s.block)).toEqual([...all.map((s) => s.block)].sort((a, b) => a - b));
    const rejected = await json<SubmissionsPage>("/api/submissions?status=rejected");
    expect(rejected.total).toBe(1);
    expect(rejected.submissions[0]?.image).toContain("eve/");
    const bob = bySub(all, "bob/");
    const mine = await json<SubmissionsPage>(`/api/submissions?hotkey=${bob.hotkey}`);
    expect(mine.submissions.map((s) => s.id)).toEqual([bob.id]);
    const none = await json<SubmissionsPage>("/api/submissions?status=dropped");
    expect(none).toEqual({ page: 1, perPage: 50, total: 0, submissions: [] });

    const seen: number[] = [];
    for (let page = 1; page <= 3; page++) {
      const p = await json<SubmissionsPage>(
        `/api/submissions?order=commit&per_page=2&page=${page}`,
      );
      expect(p.total).toBe(4);
      expect(p.perPage).toBe(2);
      seen.push(...p.submissions.map((s) => s.id));
    }
    expect(seen).toEqual(all.map((s) => s.id));
  });

  it("answers bad queries with 400 and a message naming the parameter", async () => {
    for (const [q, word] of [
      ["status=bogus", "status"],
      ["per_page=0", "per_page"],
      ["per_page=201", "per_page"],
      ["page=-1", "page"],
      ["hotkey=<script>", "hotkey"],
      ["order=random", "order"],
      ["colour=red", "colour"],
      ["page=1&page=2", "page"],
    ] as const) {
      const res = await get(`/api/submissions?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: string };
      expect(body.error, q).toContain(word);
    }
    expect((await get("/api/evals/abc")).status).toBe(400);
    const missing = await get("/api/evals/99");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no eval 99" });
    expect((await get("/api/nothing")).status).toBe(404);
  });

  it("serves the king history: the crowning, from eval 1", async () => {
    const h =
      await json<{ type: string; submissionId: number; evalId: number | null }[]>("/api/history");
    const state = await json<StateView>("/api/state");
    expect(h.map((x) => [x.type, x.submissionId, x.evalId])).toEqual([
      ["crowned", state.king?.submissionId, 1],
    ]);
  });

  it("summarizes an eval from its report, and links the full report, which rescores to the same numbers", async () => {
    const v = await json<EvalView>("/api/evals/1");
    const subs = (await json<SubmissionsPage>("/api/submissions")).submissions;
    expect(v.status).toBe("settled");
    expect(v.reportUrl).toBe("/api/evals/1/report");
    const r = v.report;
    if (!r) throw new Error(`no report: ${v.reportProblem}`);
    expect(r.baseline.role).toBe("baseline");
    expect(r.baseline.ttftSamplesMs.length).toBeGreaterThan(0);
    expect(r.baseline.throughputTrials).toHaveLength(2);
    expect(r.candidates.map((c) => c.submissionId).sort()).toEqual(
      v.candidates.map((c) => c.submissionId).sort(),
    );
    for (const c of r.candidates) {
      const s = subs.find((x) => x.id === c.submissionId);
      expect(c.score).toBe(s?.result?.score);
      expect(c.gate.passed).toBe(s?.result?.passed);
    }

    const res = await get("/api/evals/1/report");
    expect(res.status).toBe(200);
    const report = EvalReportSchema.parse(await res.json());
    const again = rescore(report);
    expect(again.reproduced).toBe(true);
    for (const c of again.candidates)
      expect(r.candidates.find((x) => x.name === c.name)?.score).toBe(c.recomputed.score);
    for (const c of report.candidates) {
      const view = r.candidates.find((x) => x.name === c.name);
      expect(view?.ttftSamplesMs).toEqual(
        c.requests.filter((q) => q.phase === "latency" && q.status === "ok").map((q) => q.ttftMs),
      );
    }

    // Dave's model diverges: the first divergence, token by token, is the report's.
    const dave = r.candidates.find((c) => c.image?.includes("dave/"));
    const p = dave?.gate.prompts.find((x) => x.status === "fail");
    const d = p?.divergence;
    if (!p || !d) throw new Error("no divergence for the wrong model");
    const at = d.tokens.find((t) => t.position === d.position);
    expect(at?.reference).toBe(d.reference?.token);
    expect(at?.candidate).toBe(d.candidate?.token);
    expect(at?.reference).not.toBe(at?.candidate);
    const ref = report.baseline.outputs[p.id]?.tokens ?? [];
    expect(d.tokens.map((t) => t.reference)).toEqual(d.tokens.map((t) => ref[t.position] ?? null));

    // Charlie's engine forks at near-ties and passes: after each fork the view shows the teacher's
    // score of every candidate token in its window, as the report has it.
    const charlie = r.candidates.find((c) => c.image?.includes("charlie/"));
    const stored = report.candidates.find((c) => c.name === charlie?.name);
    const forked = charlie?.gate.prompts.filter((x) => x.teacher !== null) ?? [];
    expect(charlie?.gate.passed).toBe(true);
    expect(forked.length).toBeGreaterThan(0);
    expect(charlie?.gate.teacher.candidate.tokens).toBeGreaterThan(0);
    for (const x of forked) {
      const e = x.teacher as NonNullable<typeof x.teacher>;
      const v = stored?.gate.verdicts.find((y) => y.id === x.id);
      expect(x.status).toBe("tolerated");
      expect(e.failedAt).toBeNull();
      expect(e.scored).toBe(v?.teacher?.tokens.length);
      for (const t of e.tokens) {
        const s = v?.teacher?.tokens[t.position - e.fork.position];
        expect([t.token, t.logprob, t.rank, t.top1, t.verdict]).toEqual([
          s?.token,
          s?.logprob,
          s?.rank,
          s?.top1,
          s?.verdict,
        ]);
        expect(["fine", "off"]).toContain(t.verdict);
      }
    }
    const page = await (await get("/evals/1")).text();
    expect(page).toContain(`<div class="teacher" data-prompt="${forked[0]?.id}"`);
    expect(page).toMatch(/<table class="tokens teacher-tokens">/);
  });

  it("gzips the report for clients that accept it", async () => {
    const plain = Buffer.from(await (await get("/api/evals/1/report")).arrayBuffer());
    // fetch would decode it: read the raw bytes through node:http.
    const { request } = await import("node:http");
    const zipped = await new Promise<{ enc?: string; body: Buffer }>((resolve, reject) => {
      request(
        `${demo.url}/api/evals/1/report`,
        { headers: { "accept-encoding": "gzip" } },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (b: Buffer) => parts.push(b));
          res.on("end", () =>
            resolve({ enc: res.headers["content-encoding"], body: Buffer.concat(parts) }),
          );
        },
      )
        .on("error", reject)
        .end();
    });
    expect(zipped.enc).toBe("gzip");
    expect(zipped.body.length).toBeLessThan(plain.length);
    expect(gunzipSync(zipped.body).equals(plain)).toBe(true);
  });

  it("describes itself in OpenAPI 3.1, and every documented path answers", async () => {
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(
      "/api/openapi.json",
    );
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/state",
        "/api/submissions",
        "/api/evals/{id}",
        "/api/history",
        "/metrics",
      ]),
    );
    for (const path of Object.keys(doc.paths)) {
      const res = await get(path.replace("{id}", "1"));
      expect(res.status, path).toBe(200);
    }
  });

  it("is read-only and open to any origin, with the usual protective headers", async () => {
    const res = await get("/api/state");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const pre = await get("/api/state", { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await get("/api/state", { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    }
    const head = await get("/api/state", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("never serves the pod's address or name", async () => {
    const pod = /^Pod: (http:\/\/\S+)/m.exec(demo.stdout)?.[1];
    expect(pod).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of [
      "/",
      "/evals/1",
      "/api/state",
      "/api/submissions",
      "/api/history",
      "/api/evals/1",
    ]) {
      const text = await (await get(path)).text();
      expect(text, path).not.toContain(pod);
      expect(text, path).not.toContain("local-pod");
    }
  });

  it("serves /metrics with the king's score, and /healthz", async () => {
    const state = await json<StateView>("/api/state");
    const metrics = await (await get("/metrics")).text();
    const line = /^cacheon_validator_king_score (\S+)$/m.exec(metrics);
    expect(Number(line?.[1])).toBe(state.king?.score);
    expect(metrics).toMatch(/^cacheon_validator_queue_depth 0$/m);
    expect(await (await get("/healthz")).text()).toBe("ok\n");
  });
});

describe("cacheon demo --serve", () => {
  it("stops serving on Ctrl-C and exits 0", async () => {
    const { code, stdout } = await demo.stop();
    expect(code).toBe(0);
    expect(stdout).toContain("Dashboard: http://127.0.0.1:");
    await expect(fetch(`${demo.url}/healthz`)).rejects.toThrow();
  });
});
