// The web server on stores the demo round does not reach: an empty one (no king, nothing queued),
// one whose job failed on a pod (the reason names the pod), and one client polling too hard.
// Real SQLite files in a temp dir, the real local artifact store, HTTP on loopback.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { V1_KING_RULES } from "../../src/score/margin.js";
import { createLocalArtifactStore } from "../../src/store/artifacts/index.js";
import { ValidatorStore } from "../../src/store/store.js";
import { VERSION } from "../../src/version.js";
import { EvalReader } from "../../src/web/evals.js";
import { DEFAULT_METRICS_RATE_LIMIT, type RateLimitRules } from "../../src/web/rate-limit.js";
import { createWebServer, type WebOptions } from "../../src/web/server.js";

const root = mkdtempSync(join(tmpdir(), "cacheon-web-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const POD = "http://10.9.8.7:9000";
const HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
const DIGEST = `sha256:${"ab".repeat(32)}`;

const opened: { server: Server; store: ValidatorStore }[] = [];
afterEach(async () => {
  for (const { server, store } of opened.splice(0)) {
    await new Promise((r) => server.close(r));
    store.close();
  }
});

async function serve(
  name: string,
  rateLimit?: RateLimitRules,
  more: (
    store: ValidatorStore,
    artifacts: WebOptions["artifacts"],
  ) => Partial<WebOptions> = () => ({}),
) {
  const dir = join(root, name);
  mkdirSync(dir);
  const store = ValidatorStore.open(join(dir, "validator.sqlite"));
  const artifacts = createLocalArtifactStore(join(dir, "artifacts"));
  const server = createWebServer({
    store,
    artifacts,
    arena: "v1",
    rules: V1_KING_RULES,
    redact: [POD],
    version: VERSION,
    rateLimit,
    ...more(store, artifacts),
  });
  opened.push({ server, store });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { store, artifacts, url };
}

/** One settled job whose report is `report` in the artifact store; its id. */
async function settledJob(
  store: ValidatorStore,
  artifacts: WebOptions["artifacts"],
  report: string,
): Promise<number> {
  store.recordScan(
    10,
    [{ hotkey: HOTKEY, block: 5, ok: true, image: `localhost/a/engine@${DIGEST}`, digest: DIGEST }],
    new Map([[HOTKEY, 1]]),
    Date.now(),
  );
  const job = store.createJob(store.queue(), { hash: "0xabc", block: 9 }, Date.now());
  store.markSubmitted(job.id, POD, "pod-job-1", Date.now());
  await artifacts.put(`reports/${job.id}.json`, report, "application/json");
  store.settle({
    jobId: job.id,
    reportKey: `reports/${job.id}.json`,
    reportStatus: "ok",
    results: [],
    king: null,
    kingEvents: [],
    requeue: [],
    atMs: Date.now(),
  });
  return job.id;
}

describe("the web server", () => {
  it("serves an empty store: no king (the weight goes to the burn uid), nothing queued", async () => {
    const { url } = await serve("empty");
    const state = (await (await fetch(`${url}/api/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      arena: "v1",
      king: null,
      queue: { depth: 0, next: [] },
      evaluating: [],
      weights: { lastSet: null, lastAttempt: null },
      lastScanBlock: null,
    });
    const html = await (await fetch(`${url}/`)).text();
    expect(html).toContain("<h2>No king</h2>");
    expect(html).toContain("the weight goes to the burn uid 0");
    expect(html).toContain("No submissions yet.");
    expect(await (await fetch(`${url}/api/history`)).json()).toEqual([]);
    // No registry given: no metrics here.
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });

  it("shows the queue and a job on a pod, and replaces the pod's address wherever a reason names it", async () => {
    const { store, url } = await serve("pod-failed");
    store.recordScan(
      10,
      [
        {
          hotkey: HOTKEY,
          block: 5,
          ok: true,
          image: `localhost/a/engine@${DIGEST}`,
          digest: DIGEST,
        },
      ],
      new Map([[HOTKEY, 1]]),
      Date.now(),
    );
    const queued = (await (await fetch(`${url}/api/state`)).json()) as {
      queue: { depth: number; next: { id: number; block: number }[] };
    };
    expect(queued.queue).toEqual({ depth: 1, next: [{ id: 1, hotkey: HOTKEY, uid: 1, block: 5 }] });
    expect(await (await fetch(`${url}/`)).text()).toMatch(/Waiting, in commit order.*s1, uid 1/s);

    const job = store.createJob(store.queue(), { hash: "0xabc", block: 9 }, Date.now());
    store.markSubmitted(job.id, POD, "pod-job-1", Date.now());
    const running = (await (await fetch(`${url}/api/state`)).json()) as { evaluating: unknown };
    expect(running.evaluating).toEqual([{ evalId: 1, status: "submitted", candidates: [1] }]);
    store.releaseJob(job.id, `pod ${POD} is unreachable`, 1, Date.now());

    const subs = await (await fetch(`${url}/api/submissions`)).text();
    expect(subs).toContain("last: pod [pod] is unreachable");
    const ev = await (await fetch(`${url}/api/evals/1`)).json();
    expect(ev).toMatchObject({ id: 1, status: "failed", report: null, reportUrl: null });
    expect((ev as { reason: string }).reason).toContain("[pod]");
    for (const path of ["/", "/evals/1", "/api/submissions", "/api/evals/1", "/api/state"])
      expect(await (await fetch(`${url}${path}`)).text(), path).not.toContain("10.9.8.7");
    expect((await fetch(`${url}/api/evals/1/report`)).status).toBe(404);
  });

  it("shows the best 200 submissions on the dashboard and says the API has the rest", async () => {
    const { store, url } = await serve("many");
    const hotkeys = Array.from({ length: 205 }, (_, i) => `5Hotkey${String(i).padStart(4, "0")}`);
    const hex = (i: number) => `sha256:${i.toString(16).padStart(64, "0")}`;
    store.recordScan(
      300,
      hotkeys.map((hotkey, i) => ({
        hotkey,
        block: i + 1,
        ok: true as const,
        image: `localhost/m${i}/engine@${hex(i)}`,
        digest: hex(i),
      })),
      new Map(hotkeys.map((h, i) => [h, i + 1])),
      Date.now(),
    );
    const html = await (await fetch(`${url}/`)).text();
    const table = html.split('<table id="leaderboard"')[1]?.split("</table>")[0] ?? "";
    expect(table.match(/<tr>/g)).toHaveLength(201); // the head and 200 rows
    expect(html).toContain("The best 200 of 205 submissions");
    const last = (await (await fetch(`${url}/api/submissions?per_page=200&page=2`)).json()) as {
      total: number;
      submissions: unknown[];
    };
    expect([last.total, last.submissions.length]).toEqual([205, 5]);
  });

  it("limits each client to its burst, says when to retry, and never limits /healthz", async () => {
    const { url } = await serve("limited", { burst: 3, perSecond: 0.01, maxClients: 100 });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await fetch(`${url}/api/state`)).status);
    expect(codes).toEqual([200, 200, 200, 429]);
    const res = await fetch(`${url}/api/state`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: string }).error).toMatch(/^too many requests; retry in/);
    // A page gets the same answer as an HTML page.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(429);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("limits /metrics per client with a bucket of its own; /healthz and the API are not held up by it", async () => {
    // A clock that stands still: no token comes back during the test, however slow the machine.
    const { url } = await serve("metrics-limited", undefined, () => ({
      registry: new Registry(),
      now: () => 1_000_000,
    }));
    const codes: number[] = [];
    for (let i = 0; i < DEFAULT_METRICS_RATE_LIMIT.burst + 3; i++)
      codes.push((await fetch(`${url}/metrics`)).status);
    const burst = DEFAULT_METRICS_RATE_LIMIT.burst;
    expect(codes).toEqual([...Array(burst).fill(200), 429, 429, 429]);
    const refused = await fetch(`${url}/metrics`);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: string }).error).toMatch(/^too many requests/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The API's own bucket is untouched.
    expect((await fetch(`${url}/api/state`)).status).toBe(200);
  });

  it("gzips a report once and serves the kept bytes after that", async () => {
    const report = JSON.stringify({ schema: "cacheon.eval.v1", filler: "x".repeat(200_000) });
    let reader: EvalReader | undefined;
    const { store, artifacts, url } = await serve("gzip-cache", undefined, (s, a) => {
      reader = new EvalReader(s, a);
      return { evals: reader };
    });
    const id = await settledJob(store, artifacts, report);
    const r = reader as EvalReader;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/api/evals/${id}/report`, {
        headers: { "accept-encoding": "gzip" },
      });
      expect(res.headers.get("content-encoding")).toBe("gzip");
      // fetch undoes the gzip: the bytes are the report's.
      expect(await res.text()).toBe(report);
    }
    expect(r.gzipStats).toEqual({ hits: 2, compressions: 1 });
    expect(r.gzipCache.entries).toBe(1);
    expect(r.gzipCache.bytes).toBeLessThan(report.length / 50);
    // The very same bytes, not a new compression.
    expect(await r.reportGzip(id)).toBe(await r.reportGzip(id));
    expect(r.gzipStats.compressions).toBe(1);
    // Without gzip asked for, the report as stored.
    const plain = await fetch(`${url}/api/evals/${id}/report`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(report);
    expect(await r.reportGzip(999)).toBeNull();
  });

  it("answers 400 to a parameter an endpoint does not take, __proto__ included, and names it", async () => {
    const { store, artifacts, url } = await serve("strict-query");
    const id = await settledJob(store, artifacts, "{}");
    const error = async (path: string) => {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(400);
      return ((await res.json()) as { error: string }).error;
    };
    for (const path of [
      "/api/state?x=1",
      "/api/history?x=1",
      "/api/openapi.json?x=1",
      `/api/evals/${id}?x=1`,
      `/api/evals/${id}/report?x=1`,
      "/api/submissions?x=1",
    ])
      expect(await error(path), path).toMatch(/Unrecognized key.*"x"/);
    // Not taken for "given twice" because of Object.prototype.
    expect(await error("/api/submissions?__proto__=1")).toMatch(/Unrecognized key.*"__proto__"/);
    expect(await error("/api/state?constructor=1")).toMatch(/Unrecognized key.*"constructor"/);
    expect(await error("/api/state?toString=1&hasOwnProperty=2")).toMatch(/toString/);
    expect(await error("/api/submissions?page=1&page=2")).toBe(
      "query parameter page is given twice",
    );
    // The pages take none of the API's rules: a browser may add what it likes.
    expect((await fetch(`${url}/api/state`)).status).toBe(200);
    expect((await fetch(`${url}/api/submissions?page=1`)).status).toBe(200);
  });

  it("describes itself with Cacheon's version from package.json", async () => {
    const { url } = await serve("openapi");
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as {
      info: { version: string };
    };
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
  });

  it("serves its assets and says 404 in HTML for a page that does not exist", async () => {
    const { url } = await serve("assets");
    const css = await fetch(`${url}/assets/style.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain(".chart");
    const js = await fetch(`${url}/assets/app.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("nothing at /nope");
  });
});
