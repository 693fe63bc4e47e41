// Reference servers as child processes: the spawn helper, the CLI's ready line, errors and signals,
// and the speed profiles measured over HTTP (out of process, so client and server do not share an
// event loop).
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatCompletionRequest } from "../../src/contract/schemas.js";
import { cliEntry } from "../../src/entry.js";
import { type StreamResult, streamChat } from "../../src/harness/client.js";
import { DEFAULT_SERVED_MODEL_NAME } from "../../src/reference/constants.js";
import {
  referenceServeArgs,
  type SpawnedReferenceServer,
  spawnReferenceServer,
} from "../../src/reference/spawn.js";
import { SERVER_VARIANTS } from "../../src/reference/variants.js";

const execFileAsync = promisify(execFile);
const dispatcher = new Agent({ connections: 128 });
let baseline: SpawnedReferenceServer;
let fast: SpawnedReferenceServer;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
function cli(...args: string[]): Promise<Exit> {
  return execFileAsync(process.execPath, [cliEntry(), ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** Starts `reference serve` directly and resolves with its first stdout line. */
function serveRaw() {
  const child = spawn(process.execPath, [cliEntry(), "reference", "serve", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { out: "", err: "" };
  child.stderr.on("data", (d) => {
    output.err += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      output.out += d;
      if (output.out.includes("\n")) resolve();
    });
    child.once("exit", () => reject(new Error(`exited early: ${output.err}`)));
  });
  return { child, output, ready };
}

// Every process this file needs starts at once: each costs seconds of CPU to load the vocabulary.
let raw: ReturnType<typeof serveRaw>;
let oneShots: Promise<Exit[]>;
let badSpawn: Promise<unknown>;
const BAD_OPTIONS: [string[], RegExp][] = [
  [
    ["--variant", "bogus"],
    /^cacheon: --variant must be one of none, ties, diverge, other-model, fork, .*eos-early, got "bogus"\n$/,
  ],
  [
    ["--prefill-tie-flips", "1.5"],
    /^cacheon: --prefill-tie-flips must be a number from 0 to 1, got "1.5"\n$/,
  ],
  [["--variant-seed", "-1"], /^cacheon: --variant-seed must be an integer from 0 to 4294967295/],
  [["--port", "99999"], /^cacheon: --port must be an integer from 0 to 65535, got "99999"\n$/],
  [
    ["--model-dir", "/nonexistent-dir"],
    /^cacheon: --model-dir: no tokenizer\.json in model directory/,
  ],
];

beforeAll(async () => {
  raw = serveRaw();
  oneShots = Promise.all([
    cli("reference", "serve", "--help"),
    ...BAD_OPTIONS.map(([args]) => cli("reference", "serve", ...args)),
  ]);
  badSpawn = spawnReferenceServer({ profile: "warp-speed" }).then(
    async (s) => {
      await s.close();
      return null;
    },
    (err: Error) => err,
  );
  [baseline, fast] = await Promise.all([
    spawnReferenceServer({ profile: "baseline" }),
    spawnReferenceServer({ profile: "fast", recordTimings: true }),
  ]);
});
afterAll(async () => {
  raw?.child.kill("SIGKILL");
  await Promise.all([baseline?.close(), fast?.close(), oneShots, badSpawn]);
  await dispatcher.close();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("spawnReferenceServer", () => {
  it("starts a server on a free port, serves it, and kills it on close", async () => {
    expect(baseline.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await request(`${baseline.url}/health`, { dispatcher });
    expect(health.statusCode).toBe(200);
    await health.body.text();
    const timings = await request(`${fast.url}/debug/timings`, { dispatcher });
    expect(timings.statusCode).toBe(200);
    await timings.body.text();
    // Without --record-timings there is no such route.
    const none = await request(`${baseline.url}/debug/timings`, { dispatcher });
    expect(none.statusCode).toBe(404);
    await none.body.text();
  });

  it("rejects with the CLI's message when the server cannot start", async () => {
    expect(String(await badSpawn)).toMatch(
      /exited before it was ready \(exit code 2\): cacheon: --profile: profile "warp-speed" is neither/,
    );
  });
});

describe("cacheon reference serve", () => {
  it("prints exactly the ready line, and exits cleanly on SIGTERM", async () => {
    await raw.ready;
    expect(raw.output.out).toMatch(
      /^cacheon reference server listening on http:\/\/127\.0\.0\.1:\d+\n$/,
    );
    const exited = new Promise<number | null>((resolve) =>
      raw.child.once("exit", (code) => resolve(code)),
    );
    raw.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(raw.output.err).toBe("");
    expect(alive(raw.child.pid as number)).toBe(false);
  });

  it("says in --help that the model is synthetic", async () => {
    const help = (await oneShots)[0] as Exit;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/SYNTHETIC/);
    expect(help.stdout).toMatch(/not\s+a\s+real\s+LLM/);
    expect(help.stdout).toMatch(/--profile/);
    // The teacher's endpoints, and every variant with what it does.
    expect(help.stdout).toMatch(/POST\s+\/tokenize/);
    for (const flag of ["--variant-seed", "--prefill-tie-flips"])
      expect(help.stdout).toContain(flag);
    for (const v of SERVER_VARIANTS) expect(help.stdout).toContain(`${v}:`);
  });

  it("passes a variant, its seed and the prefill flips to the child", () => {
    expect(
      referenceServeArgs({
        variant: "fork",
        variantSeed: 7,
        prefillTieFlips: 0.25,
        profile: "fast",
      }),
    ).toEqual([
      "reference",
      "serve",
      "--port",
      "0",
      "--profile",
      "fast",
      "--variant",
      "fork",
      "--variant-seed",
      "7",
      "--prefill-tie-flips",
      "0.25",
    ]);
  });

  it("rejects bad options with one line and no stack trace", async () => {
    const results = (await oneShots).slice(1);
    for (const [i, [, message]] of BAD_OPTIONS.entries()) {
      const r = results[i] as Exit;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("speed profiles over HTTP", () => {
  // ~500 prompt tokens: prefill is a clear part of TTFT.
  const LONG = "The harbor master logs every ship, its cargo and its crew. ".repeat(40);

  /** `streams` clients each sending `rounds` requests back to back. */
  async function load(
    url: string,
    streams: number,
    rounds: number,
    maxTokens: number,
    context = "",
  ) {
    const results: StreamResult[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: streams }, async (_, s) => {
        for (let r = 0; r < rounds; r++) {
          const body: ChatCompletionRequest = {
            model: DEFAULT_SERVED_MODEL_NAME,
            messages: [
              { role: "user", content: `${context}\nStream ${s}, round ${r}: summarize.` },
            ],
            temperature: 0,
            max_tokens: maxTokens,
            ignore_eos: true,
            logprobs: true,
          };
          results.push(await streamChat({ dispatcher, origin: url, deadlineMs: 30_000, body }));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(results.filter((r) => !r.ok).map((r) => r.failure)).toEqual([]);
    const ttfts = results
      .map((r) => Number((r.firstTokenNs as bigint) - (r.sentNs as bigint)) / 1e6)
      .sort((a, b) => a - b);
    const tokens = results.reduce((n, r) => n + r.logprobs.length, 0);
    return { ttftMs: ttfts[Math.floor(ttfts.length / 2)] as number, tps: tokens / seconds };
  }

  it("fast has clearly lower TTFT and higher tokens/s than baseline", async () => {
    await load(baseline.url, 4, 1, 4); // warm up both (JIT, prompt cache)
    await load(fast.url, 4, 1, 4);
    // Latency at low concurrency (median TTFT), throughput at high concurrency, as the arena does.
    const bLatency = await load(baseline.url, 4, 3, 4, LONG);
    const fLatency = await load(fast.url, 4, 3, 4, LONG);
    const bThroughput = await load(baseline.url, 48, 1, 48);
    const fThroughput = await load(fast.url, 48, 1, 48);
    const seen = JSON.stringify({ bLatency, fLatency, bThroughput, fThroughput });
    // The profiles model ~50% lower TTFT and ~1.7x tokens/s here; leave room for a loaded machine.
    expect(fLatency.ttftMs, seen).toBeLessThan(0.8 * bLatency.ttftMs);
    expect(fThroughput.tps, seen).toBeGreaterThan(1.25 * bThroughput.tps);
  });
});
