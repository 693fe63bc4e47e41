// How much memory a server that streams junk can make the harness hold. A loopback server (a child
// process) answers every request with junk as fast as the connection takes it: endless comment
// lines, endless `data:` lines, one endless line, valid chunks that never end, and an endless
// /health body. Against each in turn, this process runs the v1 warmup as an eval does (16 streams,
// the 120 s request deadline, the v1 arena's caps) over and over for its share of the time, then
// polls /health the way a session waits for it. It prints the bytes received and this process's
// peak RSS (sampled per kind, and process.resourceUsage().maxRSS over the whole run).
//
// `--caps-off` sets every cap to its maximum (1 GiB), which is what the harness did before the caps
// existed: each request then keeps what it receives until the time share ends (keep --seconds low).
//
// Bounded: `--seconds` in all (default 25), split evenly between the five kinds.
// Usage: node dist/bench/junk-stream.js [--seconds N] [--caps-off] [--json FILE]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { ArenaSchema } from "../src/arena/config.js";
import { ARENA_PRESETS } from "../src/arena/presets.js";
import { type ResponseLimits, ResponseLimitsSchema } from "../src/contract/limits.js";
import { warmupPhase } from "../src/harness/phases.js";
import { builtinPrompts } from "../src/harness/prompts.js";
import { type PhaseRunContext, runPhaseTrial } from "../src/harness/run.js";
import { HealthTimeout, waitForHealth } from "../src/runtime/health.js";
import { formatTable } from "../src/table.js";

const KINDS = ["comments", "data-lines", "one-line", "chunks"] as const;
type Kind = (typeof KINDS)[number];

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const MiB = 1024 * 1024;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** The junk a kind repeats after its prefix. */
function junk(kind: Kind | "health"): { prefix: string; piece: string } {
  switch (kind) {
    case "comments":
      return { prefix: "", piece: `:${"k".repeat(1022)}\n` };
    case "data-lines":
      return { prefix: "", piece: `data: ${"d".repeat(1017)}\n` };
    case "one-line":
      return { prefix: "data: ", piece: "x".repeat(1024) };
    case "chunks": {
      const chunk = {
        id: "chatcmpl-junk",
        object: "chat.completion.chunk",
        created: 1,
        model: "junk",
        choices: [{ index: 0, delta: { content: "" }, finish_reason: null }],
      };
      return { prefix: "", piece: `data: ${JSON.stringify(chunk)}\n\n` };
    }
    case "health":
      return { prefix: '{"status": "', piece: "h".repeat(1024) };
  }
}

/** The child: a junk server; the kind is the request's `model`. Prints its port. */
async function serve(): Promise<void> {
  const blocks = new Map<string, Buffer>();
  const block = (kind: Kind | "health") => {
    let b = blocks.get(kind);
    if (!b) {
      b = Buffer.from(junk(kind).piece.repeat(64));
      blocks.set(kind, b);
    }
    return b;
  };
  const pump = async (res: ServerResponse, kind: Kind | "health") => {
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    res.write(junk(kind).prefix);
    const b = block(kind);
    while (!closed) {
      if (!res.write(b))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
    }
  };
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      return pump(res, "health");
    }
    let kind: Kind = "comments";
    try {
      const model = (JSON.parse(Buffer.concat(parts).toString("utf8")) as { model?: string }).model;
      if ((KINDS as readonly string[]).includes(model ?? "")) kind = model as Kind;
    } catch {
      // comments, then
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    return pump(res, kind);
  });
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.stdout.write(`${typeof addr === "object" && addr ? addr.port : 0}\n`);
  });
  // Ends with its parent.
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

function startChild(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.once("data", (d: Buffer) =>
      resolve({ child, origin: `http://127.0.0.1:${Number.parseInt(d.toString(), 10)}` }),
    );
  });
}

interface Row {
  kind: string;
  rounds: number;
  requests: number;
  failures: Record<string, number>;
  bytes: number;
  maxRequestBytes: number;
  peakRssBytes: number;
}

async function main(): Promise<void> {
  if (args.includes("--serve")) return serve();
  const seconds = Number(arg("--seconds") ?? 25);
  const capsOff = args.includes("--caps-off");
  const jsonOut = arg("--json") ?? `bench-out/junk-stream${capsOff ? "-caps-off" : ""}.json`;
  const arena = ArenaSchema.parse(ARENA_PRESETS.v1);
  const max = 1024 * MiB;
  const limits: ResponseLimits = capsOff
    ? ResponseLimitsSchema.parse({
        maxResponseBytes: max,
        maxSseLineBytes: max,
        maxSseEventBytes: max,
        maxInfoBodyBytes: max,
      })
    : arena.limits;
  const phase = warmupPhase(arena.workload.warmup);
  const shareMs = (seconds * 1000) / (KINDS.length + 1);
  const { child, origin } = await startChild();

  // The highest RSS sampled in the current kind, and over the whole run with the memory then.
  let peak = 0;
  let allPeak = 0;
  let atPeak: NodeJS.MemoryUsage | null = null;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    if (rss <= allPeak) return;
    allPeak = rss;
    atPeak = process.memoryUsage();
  };
  const sampler = setInterval(sample, 25);
  const rssAtStart = process.memoryUsage.rss();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(
    `Junk servers against the v1 warmup (${phase.scheduling.kind === "concurrency" ? phase.scheduling.streams : "?"} streams, ${phase.requestDeadlineMs / 1000} s deadline), ${(shareMs / 1000).toFixed(1)} s each; caps ${capsOff ? "OFF (1 GiB each)" : JSON.stringify(limits)}`,
  );
  const rows: Row[] = [];
  try {
    for (const kind of KINDS) {
      peak = process.memoryUsage.rss();
      const row: Row = {
        kind,
        rounds: 0,
        requests: 0,
        failures: {},
        bytes: 0,
        maxRequestBytes: 0,
        peakRssBytes: 0,
      };
      const stop = new AbortController();
      const timer = setTimeout(
        () => stop.abort({ kind: "aborted", message: "the bench's time share is up" }),
        shareMs,
      );
      while (!stop.signal.aborted) {
        const pool = new Pool(origin, { connections: 16, keepAliveTimeout: 30_000 });
        const ctx: PhaseRunContext = {
          dispatcher: pool,
          origin,
          model: kind,
          vocab: null,
          tolerance: arena.workload.tokenTolerance,
          runStartNs: process.hrtime.bigint(),
          limits,
          signal: stop.signal,
        };
        const prompts = builtinPrompts(phase.requests, { seed: row.rounds, tag: "w" });
        const run = await runPhaseTrial(ctx, phase, 0, prompts, { seed: row.rounds });
        await pool.destroy().catch(() => {});
        row.rounds++;
        for (const r of run.records) {
          row.requests++;
          row.bytes += r.bytes;
          row.maxRequestBytes = Math.max(row.maxRequestBytes, r.bytes);
          const k = r.failure?.kind ?? "ok";
          row.failures[k] = (row.failures[k] ?? 0) + 1;
        }
      }
      clearTimeout(timer);
      sample();
      row.peakRssBytes = peak;
      rows.push(row);
    }
    // /health: as a session waits for it, again and again for the last share.
    peak = process.memoryUsage.rss();
    const health: Row = {
      kind: "health",
      rounds: 0,
      requests: 0,
      failures: {},
      bytes: 0,
      maxRequestBytes: 0,
      peakRssBytes: 0,
    };
    const until = performance.now() + shareMs;
    const server = {
      origin,
      exited: new Promise<string>(() => {}),
      logs: () => "",
      stop: async () => {},
    };
    while (performance.now() < until) {
      const left = Math.max(1, Math.floor(until - performance.now()));
      let kind = "healthy";
      try {
        await waitForHealth(server, left, undefined, limits.maxInfoBodyBytes);
      } catch (err) {
        kind = err instanceof HealthTimeout && /cap/.test(err.message) ? "too_large" : "timeout";
      }
      health.rounds++;
      health.requests++;
      health.failures[kind] = (health.failures[kind] ?? 0) + 1;
    }
    sample();
    health.peakRssBytes = peak;
    rows.push(health);
  } finally {
    clearInterval(sampler);
    child.stdin?.end();
    child.kill();
  }

  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const worst = atPeak as NodeJS.MemoryUsage | null;
  log(
    formatTable(
      [
        ["junk", "rounds", "requests", "failures", "MB received", "max MB/request", "peak RSS MB"],
        ...rows.map((r) => [
          r.kind,
          String(r.rounds),
          String(r.requests),
          Object.entries(r.failures)
            .map(([k, n]) => `${k} ${n}`)
            .join(", "),
          r.kind === "health" ? "-" : mb(r.bytes),
          r.kind === "health" ? "-" : mb(r.maxRequestBytes),
          mb(r.peakRssBytes),
        ]),
      ],
      1,
    ),
  );
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  log(
    `\n${mb(total)} MB of junk received in ${seconds} s; RSS at start ${mb(rssAtStart)} MB, peak RSS of this process ${mb(maxRssBytes)} MB (process.resourceUsage().maxRSS)`,
  );
  if (worst)
    log(
      `At the highest sampled RSS (${mb(worst.rss)} MB): JS heap ${mb(worst.heapUsed)} of ${mb(worst.heapTotal)} MB, external ${mb(worst.external)} MB (array buffers ${mb(worst.arrayBuffers)} MB)`,
    );
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ capsOff, seconds, limits, rssAtStartBytes: rssAtStart, maxRssBytes, atPeak: worst, totalBytes: total, rows }, null, 2)}\n`,
  );
  log(`Results: ${jsonOut}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
