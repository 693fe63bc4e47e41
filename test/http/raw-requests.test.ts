// Hostile input to every HTTP server of the project — the validator's web server, the pod, the
// reference server and the local chain's RPC — sent as raw bytes over a socket on loopback, since
// fetch would refuse to send most of it: request targets that `new URL` chokes on, control and
// non-UTF-8 bytes, a 64 KiB target, broken Content-Length and chunked bodies, TLS bytes. Each is
// answered with a 4xx (or the legitimate answer of a known route), nothing is reported as an
// internal error, and the server answers its health check afterwards. Then errors inside a
// handler: a 500 (or a cut response), reported, counted in /metrics, and the server goes on.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadPromptPool } from "../../src/arena/pool.js";
import { startLocalChain } from "../../src/chain/local/chain.js";
import {
  answerClientErrors,
  decodePathSegment,
  lastResort,
  MAX_TARGET_LENGTH,
  parseTarget,
} from "../../src/contract/http-server.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { JobStore } from "../../src/pod/jobs.js";
import { startPodServer } from "../../src/pod/server.js";
import { PodWorker } from "../../src/pod/worker.js";
import { startReferenceServer } from "../../src/reference/server.js";
import { localRuntime } from "../../src/runtime/local.js";
import { V1_KING_RULES } from "../../src/score/margin.js";
import { createLocalArtifactStore } from "../../src/store/artifacts/index.js";
import type { ArtifactStore } from "../../src/store/artifacts/types.js";
import { ValidatorStore } from "../../src/store/store.js";
import { VERSION } from "../../src/version.js";
import { createWebServer, HTTP_ERRORS_METRIC } from "../../src/web/server.js";

const root = mkdtempSync(join(tmpdir(), "cacheon-raw-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TOKEN = "raw-requests-test-token-0123456789";
const HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
const DIGEST = `sha256:${"ab".repeat(32)}`;

interface Answer {
  /** The status of the first answer; null when the connection ended without one. */
  status: number | null;
  head: string;
}

/** Sends `bytes` on a new connection and reads the first answer's head (5 s at most). */
function raw(port: number, bytes: string | Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    const done = (answer: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done({ status: null, head: "(no answer in 5 s)" }), 5_000);
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const text = got.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      done({ status: status ? Number(status[1]) : null, head: text.slice(0, end) });
    });
    // A server may close right after its answer; the answer has been read by then.
    socket.on("error", () => {});
    socket.on("close", () => done({ status: null, head: got.toString("latin1") }));
    socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  });
}

const HOST = "Host: 127.0.0.1\r\n";

/** The hostile requests; `extra` is each server's own header lines (the pod's token). */
function hostile(bodyRoute: string, extra: string): [string, string | Buffer][] {
  const get = (target: string, headers = "") =>
    `GET ${target} HTTP/1.1\r\n${HOST}${extra}${headers}\r\n`;
  const post = (headers: string, body: string) =>
    `POST ${bodyRoute} HTTP/1.1\r\n${HOST}${extra}${headers}\r\n${body}`;
  return [
    ["GET //", get("//")],
    ["GET ///", get("///")],
    ["GET //a:b@", get("//a:b@")],
    ["GET //%zz", get("//%zz")],
    ["GET %zz", get("%zz")],
    ["GET /%zz", get("/%zz")],
    ["GET /%E0%A4%A", get("/%E0%A4%A")],
    ["absolute form", get("http://x/y")],
    ["absolute form, userinfo and //", get("http://a:b@x//")],
    ["absolute form, unknown scheme", get("gopher://x/")],
    ["OPTIONS *", `OPTIONS * HTTP/1.1\r\n${HOST}${extra}\r\n`],
    ["NUL in the target", get("/a\x00b")],
    ["control bytes in the target", get("/a\x01\x1b\x7fb")],
    ["a 64 KiB target", get(`/${"a".repeat(64 * 1024)}`)],
    ["a target over the servers' own limit", get(`/${"a".repeat(MAX_TARGET_LENGTH + 10)}`)],
    ["invalid UTF-8 in the target", get("/\xc3\x28\xff\xfe")],
    [
      "invalid UTF-8 in header values",
      get("/nope", "X-Junk: \xff\xfe\xc0\r\nAccept-Encoding: \xc3\x28\r\n"),
    ],
    ["invalid UTF-8 in a header name", get("/nope", "X-\xff: 1\r\n")],
    ["a NUL in a header value", get("/nope", "X-Junk: a\x00b\r\n")],
    ["Content-Length: abc", post("Content-Length: abc\r\n", "")],
    ["Content-Length: -1", post("Content-Length: -1\r\n", "")],
    ["two Content-Lengths", post("Content-Length: 1\r\nContent-Length: 2\r\n", "ab")],
    [
      "Content-Length and Transfer-Encoding",
      post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
    ],
    ["a broken chunked body", post("Transfer-Encoding: chunked\r\n", "zz\r\nabc\r\n0\r\n\r\n")],
    [
      "a body that is not JSON",
      post("Content-Type: application/json\r\nContent-Length: 5\r\n", "{nope"),
    ],
    ["no Host header", `GET / HTTP/1.1\r\n${extra}\r\n`],
    ["a bad method", `G@T / HTTP/1.1\r\n${HOST}\r\n`],
    ["DELETE on the health route", ""], // filled in per server (its health path)
    ["TLS bytes", Buffer.from("16030100a5010000a10303000000000d0a0d0a", "hex")],
    ["an upgrade without a key", get("/nope", "Connection: Upgrade\r\nUpgrade: websocket\r\n")],
  ];
}

interface Subject {
  port: number;
  health: string;
  bodyRoute: string;
  extra?: string;
  /** Statuses other than a 4xx that are this server's legitimate answer to a case. */
  allowed?: Record<string, number>;
  /** What the server reported as internal errors (absent: it reports on stderr only). */
  reported?: unknown[];
  close(): Promise<void>;
}

function hostileSuite(name: string, start: () => Promise<Subject>) {
  describe(`${name}, sent raw hostile requests`, () => {
    let s: Subject;
    beforeAll(async () => {
      s = await start();
    });
    afterAll(async () => {
      await s?.close();
    });

    it("answers each with a 4xx and stays up: its health check answers 200 after them all", async () => {
      const seen: Record<string, number | null> = {};
      for (const [what, bytes] of hostile(s.bodyRoute, s.extra ?? "")) {
        const request =
          what === "DELETE on the health route"
            ? `DELETE ${s.health} HTTP/1.1\r\n${HOST}${s.extra ?? ""}\r\n`
            : bytes;
        seen[what] = (await raw(s.port, request)).status;
      }
      for (const [what, status] of Object.entries(seen)) {
        const allowed = s.allowed?.[what];
        if (allowed !== undefined) expect(status, what).toBe(allowed);
        else {
          expect(status, what).toBeGreaterThanOrEqual(400);
          expect(status, what).toBeLessThan(500);
        }
      }
      // The targets a URL parser throws on are answered by the routes (a 404 here), or a 400.
      expect(seen["a target over the servers' own limit"], "own limit").toBe(414);
      expect(seen["a 64 KiB target"], "Node's limit").toBe(431);
      expect(seen["GET %zz"]).toBe(400);
      // None of it was an internal error.
      expect(s.reported ?? []).toEqual([]);
      const health = await fetch(`http://127.0.0.1:${s.port}${s.health}`);
      expect(health.status).toBe(200);
      // And over the same kind of raw connection.
      expect((await raw(s.port, `GET ${s.health} HTTP/1.1\r\n${HOST}\r\n`)).status).toBe(200);
    });
  });
}

hostileSuite("the validator's web server", async () => {
  const dir = mkdtempSync(join(root, "web-"));
  const store = ValidatorStore.open(join(dir, "validator.sqlite"));
  const reported: unknown[] = [];
  const server = createWebServer({
    store,
    artifacts: createLocalArtifactStore(join(dir, "artifacts")),
    registry: new Registry(),
    arena: "v1",
    rules: V1_KING_RULES,
    redact: [],
    version: VERSION,
    // Every hostile request counts against the one client's bucket here.
    rateLimit: { burst: 1000, perSecond: 10, maxClients: 10 },
    onError: (err) => reported.push(err),
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    health: "/healthz",
    bodyRoute: "/api/state",
    // `OPTIONS *` is the server-wide OPTIONS: answered like any OPTIONS (CORS, no content).
    allowed: { "OPTIONS *": 204 },
    reported,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      store.close();
    },
  };
});

hostileSuite("the pod", async () => {
  const store = new JobStore(mkdtempSync(join(root, "pod-")));
  const worker = new PodWorker({
    store,
    runtime: localRuntime,
    vocab: loadVocabulary(),
    pool: loadPromptPool(),
  });
  const reported: unknown[] = [];
  const pod = await startPodServer({
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    store,
    worker,
    onError: (err) => reported.push(err),
  });
  return {
    port: Number(new URL(pod.url).port),
    health: "/health",
    bodyRoute: "/v1/jobs",
    // With the token, so that the requests reach the routes and the body parser.
    extra: `Authorization: Bearer ${TOKEN}\r\n`,
    reported,
    close: async () => {
      await worker.close();
      await pod.close();
    },
  };
});

hostileSuite("the reference server", async () => {
  const ref = await startReferenceServer({ profile: "instant" });
  return {
    port: ref.port,
    health: "/health",
    bodyRoute: "/v1/chat/completions",
    close: () => ref.close(),
  };
});

hostileSuite("the local chain's RPC server", async () => {
  const chain = await startLocalChain({ blockTimeMs: 0 });
  return {
    port: chain.port,
    health: "/health",
    bodyRoute: "/",
    close: () => chain.close(),
  };
});

describe("the local chain's RPC over WebSocket, sent hostile frames and requests", () => {
  it("closes a connection that sends a malformed frame, answers bad requests, and goes on", async () => {
    const chain = await startLocalChain({ blockTimeMs: 0 });
    try {
      // A client frame without a mask: ws fails the connection (1002) and emits 'error' on it.
      const closeFrame = await new Promise<string>((resolve) => {
        const socket = connect(chain.port, "127.0.0.1");
        let got = Buffer.alloc(0);
        const timer = setTimeout(() => socket.destroy(), 5_000);
        socket.on("data", (chunk: Buffer) => {
          got = Buffer.concat([got, chunk]);
          if (got.toString("latin1").includes("\r\n\r\n") && !socket.writableEnded)
            socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
        });
        socket.on("error", () => {});
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(got.toString("hex"));
        });
        socket.write(
          `GET / HTTP/1.1\r\n${HOST}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      expect(Buffer.from(closeFrame, "hex").toString("latin1")).toMatch(/^HTTP\/1\.1 101 /);
      expect(closeFrame.endsWith("880203ea")).toBe(true); // a close frame, code 1002

      const ws = new WebSocket(`ws://127.0.0.1:${chain.port}`);
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      const answers: unknown[] = [];
      ws.on("message", (data) => answers.push(JSON.parse(data.toString())));
      const ask = async (text: string) => {
        const before = answers.length;
        ws.send(text);
        for (let i = 0; i < 500 && answers.length === before; i++)
          await new Promise((r) => setTimeout(r, 10));
        return answers[before];
      };
      expect(await ask("{nope")).toMatchObject({ error: { code: -32700 } });
      expect(await ask('{"jsonrpc":"2.0","id":1,"method":"constructor"}')).toMatchObject({
        id: 1,
        error: { code: -32601, message: "Method not found" },
      });
      expect(await ask('{"jsonrpc":"2.0","id":2,"method":"__proto__"}')).toMatchObject({
        id: 2,
        error: { code: -32601 },
      });
      expect(await ask('{"jsonrpc":"2.0","id":3,"method":"system_health"}')).toEqual({
        jsonrpc: "2.0",
        id: 3,
        result: { peers: 0, isSyncing: false, shouldHavePeers: false },
      });
      ws.close();
      const health = await fetch(`http://127.0.0.1:${chain.port}/health`);
      expect(await health.json()).toEqual({ peers: 0, isSyncing: false, shouldHavePeers: false });
    } finally {
      await chain.close();
    }
  });
});

describe("the shared last resort", () => {
  let server: Server;
  let port: number;
  const reported: string[] = [];
  beforeAll(async () => {
    server = createServer(
      lastResort(
        (req, res) => {
          const target = parseTarget(req.url);
          const path = target.ok ? target.path : "";
          if (path === "/sync") throw new Error("sync");
          if (path === "/async") return Promise.reject(new Error("async"));
          if (path === "/late") {
            res.writeHead(200, { "content-length": "100" });
            res.write("partial");
            throw new Error("late");
          }
          if (path === "/reporter") throw new Error("reporter");
          res.end("ok");
        },
        (err) => {
          reported.push((err as Error).message);
          if ((err as Error).message === "reporter") throw new Error("the reporter fails too");
        },
      ),
    );
    answerClientErrors(server, (err) => reported.push(`server: ${(err as Error).message}`));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("answers 500 to a handler that throws or rejects, cuts a started response, and goes on", async () => {
    for (const path of ["/sync", "/async", "/reporter"]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(res.status, path).toBe(500);
      expect(await res.json(), path).toEqual({ error: "internal error" });
    }
    // Headers already sent: the response is cut, which the client sees as an error.
    await expect(fetch(`http://127.0.0.1:${port}/late`).then((r) => r.text())).rejects.toThrow();
    expect(reported).toEqual(["sync", "async", "reporter", "late"]);
    expect(await (await fetch(`http://127.0.0.1:${port}/ok`)).text()).toBe("ok");
    // Malformed HTTP is a 400 and a closed connection; nothing is reported for it.
    expect((await raw(port, "GET /a\x00 HTTP/1.1\r\n\r\n")).status).toBe(400);
    expect(reported).toHaveLength(4);
  });

  it("parses request targets without throwing", () => {
    const ok = (t: string) => {
      const r = parseTarget(t);
      return r.ok ? [r.path, r.query.toString()] : r.status;
    };
    expect(ok("//")).toEqual(["//", ""]);
    expect(ok("//a:b@")).toEqual(["//a:b@", ""]);
    expect(ok("//%zz?a=%zz")).toEqual(["//%zz", "a=%25zz"]);
    expect(ok("/api/state?x=1&x=2")).toEqual(["/api/state", "x=1&x=2"]);
    expect(ok("/a#frag?x=1")).toEqual(["/a", ""]);
    expect(ok("http://x")).toEqual(["/", ""]);
    expect(ok("HTTPS://x:1/y?z=1")).toEqual(["/y", "z=1"]);
    expect(ok("http://x?z=1")).toEqual(["/", "z=1"]);
    expect(ok("*")).toEqual(["*", ""]);
    expect(ok("%zz")).toBe(400);
    expect(ok("gopher://x/")).toBe(400);
    expect(ok("")).toBe(400);
    expect(ok("/a b")).toBe(400);
    expect(ok("/\u00ff")).toBe(400);
    expect(ok(`/${"a".repeat(MAX_TARGET_LENGTH)}`)).toBe(414);
    expect(decodePathSegment("a%20b")).toBe("a b");
    expect(decodePathSegment("%zz")).toBeNull();
    expect(decodePathSegment("%E0%A4%A")).toBeNull();
  });
});

describe("the web server, when a handler fails inside", () => {
  it("answers 500, reports it, counts it in /metrics, and goes on serving", async () => {
    const dir = mkdtempSync(join(root, "web-fail-"));
    const store = ValidatorStore.open(join(dir, "validator.sqlite"));
    const local = createLocalArtifactStore(join(dir, "artifacts"));
    // An artifact store whose reads break (as an S3 client can): a TypeError, not an HttpError.
    const artifacts: ArtifactStore = {
      ...local,
      put: (k, b, t) => local.put(k, b, t),
      get: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'Body')");
      },
    };
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
    const job = store.createJob(store.queue(), { hash: "0xabc", block: 9 }, Date.now());
    store.markSubmitted(job.id, "pod", "pod-job-1", Date.now());
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
    const reported: unknown[] = [];
    const server = createWebServer({
      store,
      artifacts,
      registry: new Registry(),
      arena: "v1",
      rules: V1_KING_RULES,
      redact: [],
      version: VERSION,
      onError: (err) => reported.push(err),
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const errorsCounted = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(new RegExp(`^${HTTP_ERRORS_METRIC} (\\d+)$`, "m").exec(text)?.[1]);
    };
    try {
      expect(await errorsCounted()).toBe(0);
      const res = await fetch(`${url}/api/evals/${job.id}/report`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: "internal error: Cannot read properties of undefined (reading 'Body')",
      });
      // Gzipped too (another path through the reader).
      const zipped = await fetch(`${url}/api/evals/${job.id}/report`, {
        headers: { "accept-encoding": "gzip" },
      });
      expect(zipped.status).toBe(500);
      expect(reported.map((e) => (e as Error).message)).toEqual([
        "Cannot read properties of undefined (reading 'Body')",
        "Cannot read properties of undefined (reading 'Body')",
      ]);
      expect(await errorsCounted()).toBe(2);
      // The eval's page says its report cannot be read rather than failing.
      const ev = (await (await fetch(`${url}/api/evals/${job.id}`)).json()) as {
        reportProblem: string;
      };
      expect(ev.reportProblem).toMatch(/^the report could not be read/);
      // A 4xx is no internal error.
      expect((await fetch(`${url}/api/evals/999/report`)).status).toBe(404);
      expect(await errorsCounted()).toBe(2);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/api/state`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      store.close();
    }
  });
});
