// The leaderboard end to end: one real demo round (`cacheon demo --serve`: local chain, local pod,
// four miners, the validator loop), then its read-only API checked against what the demo printed and
// against the EvalReport itself, and its dashboard checked in a real browser (Debian's Chromium
// through playwright-core), with screenshots saved under test-artifacts/screenshots/.
import { gunzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalReportSchema } from "../../src/eval/report.js";
import { rescore } from "../../src/eval/rescore.js";
import type { StateView, SubmissionsPage, SubmissionView } from "../../src/web/api.js";
import type { EvalView } from "../../src/web/eval-view.js";
import { launchChromium, screenshot } from "../helpers/browser.js";
import { type ServedDemo, startServedDemo } from "./demo-serve.js";

let demo: ServedDemo;
let browser: Browser;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startServedDemo(240_000), launchChromium()]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
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
    const weights = /Weights on chain: uid (\d+) gets everything \(set at block (\d+)/.exec(
      demo.stdout,
    );
    expect(state.weights.lastSet?.uids).toEqual([Number(weights?.[1])]);
    expect(state.weights.lastSet?.block).toBe(Number(weights?.[2]));
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
    expect(dave.result?.failure).toContain("divergence");
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

/** Opens a page, failing the test on any console error or page error (a CSP violation is one). */
async function open(path: string, o: { width?: number; javaScript?: boolean } = {}) {
  const context = await browser.newContext({
    viewport: { width: o.width ?? 1280, height: 900 },
    javaScriptEnabled: o.javaScript ?? true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  const res = await page.goto(`${demo.url}${path}`);
  expect(res?.status()).toBe(200);
  return { page, problems, close: () => context.close() };
}

const texts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? "").trim()));

describe("the dashboard in a browser", () => {
  it("shows the king and the leaderboard with the API's numbers, and sorts by a column", async () => {
    const state = await json<StateView>("/api/state");
    const subs = (await json<SubmissionsPage>("/api/submissions")).submissions;
    const { page, problems, close } = await open("/");
    const king = page.locator("#king");
    expect(await king.getAttribute("data-submission")).toBe(String(state.king?.submissionId));
    expect((await king.locator(".score").textContent())?.trim()).toBe(state.king?.score.toFixed(4));
    expect((await king.locator(".uid").textContent())?.trim()).toBe(String(state.king?.uid));
    expect(await king.textContent()).toContain(state.king?.hotkey);
    expect(await king.textContent()).toMatch(/Margin reaches 0.*\(in 6 d 23 h\)/s);

    const rows = page.locator("#leaderboard tbody tr");
    expect(await rows.count()).toBe(subs.length);
    expect(await texts(page, "#leaderboard tbody td.score")).toEqual(
      subs.map((s) => (s.result ? s.result.score.toFixed(4) : "–")),
    );
    expect(await texts(page, "#leaderboard tbody tr td:nth-child(2)")).toEqual(
      subs.map((s) => `s${s.id}${s.king ? " king" : ""}`),
    );
    await screenshot(page, "dashboard");

    // TTFT: first click sorts descending, the second ascending; rows without a TTFT sort lowest.
    const ttft = page.locator("#leaderboard th", { hasText: "TTFT ms" });
    const measured = subs.flatMap((s) => (s.result?.ttftMs == null ? [] : [s.result.ttftMs]));
    await ttft.click();
    expect(await ttft.getAttribute("aria-sort")).toBe("descending");
    const down = (await texts(page, "#leaderboard tbody td.ttft")).filter((t) => t !== "–");
    expect(down).toEqual([...measured].sort((a, b) => b - a).map((x) => x.toFixed(1)));
    await ttft.click();
    expect(await ttft.getAttribute("aria-sort")).toBe("ascending");
    const up = await texts(page, "#leaderboard tbody td.ttft");
    expect(up.filter((t) => t !== "–")).toEqual(
      [...measured].sort((a, b) => a - b).map((x) => x.toFixed(1)),
    );
    expect(up.slice(0, subs.length - measured.length).every((t) => t === "–")).toBe(true);
    await screenshot(page, "dashboard-sorted-by-ttft");

    // The king history chart has the crowning, at its time and score.
    const marker = page.locator("#history svg [data-at]");
    expect(await marker.count()).toBe(1);
    expect(Number(await marker.getAttribute("data-value"))).toBe(state.king?.score);
    expect(Number(await marker.getAttribute("data-at"))).toBe(
      Date.parse(state.king?.crownedAt ?? ""),
    );
    expect(problems).toEqual([]);
    await close();
  });

  it("reads without JavaScript: the king and the leaderboard are in the page itself", async () => {
    const state = await json<StateView>("/api/state");
    const { page, problems, close } = await open("/", { javaScript: false });
    expect((await page.locator("#king .score").textContent())?.trim()).toBe(
      state.king?.score.toFixed(4),
    );
    expect(await page.locator("#leaderboard tbody tr").count()).toBe(4);
    expect(await page.locator("#history svg").count()).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it("fits a phone: the king's score and every leaderboard score are on screen without scrolling sideways", async () => {
    const { page, problems, close } = await open("/", { width: 390 });
    const inside = async (selector: string) => {
      for (const box of await page
        .locator(selector)
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))) {
        expect(box, selector).toBeLessThanOrEqual(390);
      }
    };
    await inside("#king .score");
    await inside("#leaderboard tbody td.score");
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "dashboard-phone");
    expect(problems).toEqual([]);
    await close();
  });

  it("shows an eval: TTFT distributions and throughput against the baseline, and the first divergence token by token", async () => {
    const v = await json<EvalView>("/api/evals/1");
    const r = v.report;
    if (!r) throw new Error("no report");
    const { page, problems, close } = await open("/evals/1");
    for (const c of r.candidates) {
      const section = page.locator(`section.candidate[data-name="${c.name}"]`);
      expect(Number(await section.getAttribute("data-score"))).toBe(c.score);
      const binsOf = (series: string) =>
        section
          .locator(`.ttft-chart rect[data-series="${series}"]`)
          .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-value"))));
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(await binsOf("baseline"))).toBe(r.baseline.ttftSamplesMs.length);
      expect(sum(await binsOf(c.name))).toBe(c.ttftSamplesMs.length);
      const bar = async (label: string) =>
        Number(
          await section
            .locator(`.tps-chart rect[data-series="${label}"]`)
            .getAttribute("data-value"),
        );
      expect(await bar("baseline")).toBe(r.baseline.tokensPerSec);
      expect(await bar(c.name)).toBe(c.tokensPerSec ?? 0);
    }
    await screenshot(page, "eval");

    const dave = r.candidates.find((c) => c.image?.includes("dave/"));
    const p = dave?.gate.prompts.find((x) => x.status === "fail");
    const d = p?.divergence;
    if (!dave || !p || !d) throw new Error("no divergence for the wrong model");
    const box = page.locator(`section.candidate[data-name="${dave.name}"] .divergence`).first();
    expect(await box.getAttribute("data-prompt")).toBe(p.id);
    expect(await box.getAttribute("data-position")).toBe(String(d.position));
    const at = await page
      .locator(`section.candidate[data-name="${dave.name}"] .divergence td.at`)
      .evaluateAll((els) => els.map((x) => x.getAttribute("data-token")));
    expect(at.slice(0, 2)).toEqual([d.reference?.token ?? null, d.candidate?.token ?? null]);
    expect(
      await page
        .locator(`section.candidate[data-name="${dave.name}"] .divergence tbody tr`)
        .first()
        .locator("td")
        .count(),
    ).toBe(d.tokens.length);
    await box.scrollIntoViewIfNeeded();
    await box.screenshot({ path: `${process.cwd()}/test-artifacts/screenshots/divergence.png` });
    expect(problems).toEqual([]);
    await close();
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
