// The caps on what a server may send (src/contract/limits.ts), against real loopback servers that
// send junk as fast as the connection takes it: every request fails at once as `too_large`, naming
// the cap, with no more than the cap (plus one read) taken in, and the connection is closed, where
// before the harness kept everything until the request's deadline.
import { Agent, Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ArenaSchema } from "../../src/arena/config.js";
import { ARENA_PRESETS } from "../../src/arena/presets.js";
import { fetchJson, fetchText } from "../../src/contract/http.js";
import {
  DEFAULT_RESPONSE_LIMITS,
  honestResponseBytes,
  type ResponseLimits,
  ResponseLimitsSchema,
} from "../../src/contract/limits.js";
import { ModelListSchema } from "../../src/contract/schemas.js";
import { loadVocabulary, type Vocabulary } from "../../src/contract/tokenizer.js";
import { streamChat } from "../../src/harness/client.js";
import { workloadLimits } from "../../src/harness/phases.js";
import { BenchReportSchema } from "../../src/harness/report.js";
import { runBench } from "../../src/harness/run.js";
import { parseWorkload } from "../../src/harness/workload.js";
import { checkContract } from "../../src/probes/contract.js";
import { HealthTimeout, waitForHealth } from "../../src/runtime/health.js";
import { type JunkKind, type JunkServer, startJunkServer } from "../helpers/junk-server.js";

const KiB = 1024;
const MiB = 1024 * KiB;
/** The most one read of a socket hands over (Node reads loopback in 64 KiB buffers). */
const ONE_READ = 64 * KiB;

let server: JunkServer | undefined;
let dispatcher: Agent | undefined;
afterEach(async () => {
  await dispatcher?.close().catch(() => {});
  dispatcher = undefined;
  await server?.close();
  server = undefined;
});

const body = {
  model: "test-model",
  messages: [{ role: "user" as const, content: "hi" }],
  max_tokens: 16,
  temperature: 0,
  logprobs: true,
  top_logprobs: 5,
};

async function streamJunk(kind: JunkKind, limits: ResponseLimits) {
  server = await startJunkServer({ chat: kind });
  dispatcher = new Agent();
  const t0 = performance.now();
  const r = await streamChat({
    dispatcher,
    origin: server.url,
    body,
    deadlineMs: 20_000,
    limits,
  });
  const ms = performance.now() - t0;
  // The server sees its connection closed: the client aborted, it did not just stop looking.
  for (let i = 0; i < 100 && server.sent[0]?.closedAfterMs === null; i++)
    await new Promise((res) => setTimeout(res, 20));
  return { r, ms, sent: server.sent[0] };
}

describe("a response past a cap fails at once as too_large", () => {
  const small = ResponseLimitsSchema.parse({
    maxResponseBytes: 1 * MiB,
    maxSseLineBytes: 64 * KiB,
    maxSseEventBytes: 128 * KiB,
    maxInfoBodyBytes: 64 * KiB,
  });
  // Line and event caps are checked when a read is parsed, at the end of the event loop's turn,
  // which may hold several reads: a response cap far above them shows which cap fired.
  const wide = { ...small, maxResponseBytes: 16 * MiB };

  it.each([
    ["endless comment lines", "comments", small, "limits.maxResponseBytes", small.maxResponseBytes],
    [
      "valid chunks that never end",
      "chunks",
      small,
      "limits.maxResponseBytes",
      small.maxResponseBytes,
    ],
    [
      "an HTTP 500 with an endless body",
      "http-500",
      small,
      "limits.maxResponseBytes",
      small.maxResponseBytes,
    ],
    ["endless data lines with no blank line", "data-lines", wide, "limits.maxSseEventBytes", null],
    ["one endless line", "one-line", wide, "limits.maxSseLineBytes", null],
  ] as const)("%s", async (_name, kind, limits, cap, maxBytes) => {
    const { r, ms, sent } = await streamJunk(kind, limits);
    expect(r.ok).toBe(false);
    expect(r.failure?.kind, r.failure?.message).toBe("too_large");
    expect(r.failure?.message).toContain(cap);
    // A failed request lets go of what it read (its logprobs are never used).
    expect(r.logprobs).toEqual([]);
    // Held at most the cap and one read (response cap), or well under the response cap.
    if (maxBytes !== null) {
      expect(r.bytes).toBeGreaterThan(maxBytes);
      expect(r.bytes).toBeLessThanOrEqual(maxBytes + ONE_READ);
    } else {
      expect(r.bytes).toBeLessThan(limits.maxResponseBytes);
    }
    // At once, not at the 20 s deadline; and the connection was closed.
    expect(ms).toBeLessThan(5_000);
    expect(sent?.closedAfterMs).not.toBeNull();
    expect(sent?.bytes).toBeLessThan(64 * MiB);
  });

  it("a whole run records too_large per request, in a report that parses", async () => {
    server = await startJunkServer({ chat: "comments" });
    const workload = parseWorkload({
      name: "t",
      warmup: { requests: 2, concurrency: 2, maxTokens: 8, requestDeadlineMs: 20_000 },
      phases: [
        {
          name: "p",
          scheduling: { kind: "concurrency", streams: 4 },
          requests: 4,
          maxTokens: 8,
          requestDeadlineMs: 20_000,
          timeLimitMs: 30_000,
        },
      ],
    });
    const vocab: Vocabulary = loadVocabulary();
    const t0 = performance.now();
    const report = await runBench({
      origin: server.url,
      model: "test-model",
      workload,
      vocab,
      limits: small,
    });
    expect(performance.now() - t0).toBeLessThan(10_000);
    BenchReportSchema.parse(report);
    expect(report.requests).toHaveLength(6);
    for (const rec of report.requests) {
      expect(rec.failure?.kind).toBe("too_large");
      expect(rec.bytes).toBeLessThanOrEqual(small.maxResponseBytes + ONE_READ);
    }
    expect(report.phases[0]?.failures).toEqual({ too_large: 4 });
  });
});

describe("GET /health and /v1/models bodies past the cap", () => {
  const fakeServer = (origin: string) => ({
    origin,
    exited: new Promise<string>(() => {}),
    logs: () => "",
    stop: async () => {},
  });

  it("waiting for health fails at once, naming the cap, with the connection closed", async () => {
    server = await startJunkServer({ chat: "comments", junkInfo: true });
    const t0 = performance.now();
    const err = await waitForHealth(fakeServer(server.url), 30_000, undefined, 64 * KiB).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HealthTimeout);
    expect((err as Error).message).toMatch(
      /GET \/health answered HTTP 200 with a body over the 64 KiB cap \(limits\.maxInfoBodyBytes\)/,
    );
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(server.sent).toHaveLength(1);
  });

  it("a small /health body is still healthy", async () => {
    server = await startJunkServer({ chat: "comments" });
    await expect(
      waitForHealth(fakeServer(server.url), 10_000, undefined, 1 * KiB),
    ).resolves.toBeGreaterThanOrEqual(0);
  });

  it("fetchText and fetchJson read at most the cap and one read", async () => {
    server = await startJunkServer({ chat: "comments", junkInfo: true });
    const text = await fetchText(`${server.url}/health`, { timeoutMs: 20_000, maxBytes: 64 * KiB });
    expect(text).toMatchObject({ ok: false, tooLarge: true });
    const models = await fetchJson(`${server.url}/v1/models`, ModelListSchema, {
      timeoutMs: 20_000,
    });
    expect(models.ok).toBe(false);
    expect(!models.ok && models.reason).toContain("over the 1 MiB cap (limits.maxInfoBodyBytes)");
  });

  it("the contract check names the caps it hit, probe by probe, in seconds", async () => {
    server = await startJunkServer({ chat: "comments", junkInfo: true });
    const t0 = performance.now();
    const report = await checkContract({
      endpoint: server.url,
      model: "test-model",
      timeoutMs: 20_000,
      limits: { ...DEFAULT_RESPONSE_LIMITS, maxResponseBytes: 1 * MiB, maxInfoBodyBytes: 64 * KiB },
    });
    expect(performance.now() - t0).toBeLessThan(15_000);
    const evidence = Object.fromEntries(report.results.map((r) => [r.id, r.evidence]));
    expect(report.passed).toBe(false);
    expect(evidence.health).toContain("limits.maxInfoBodyBytes");
    expect(evidence.models).toContain("limits.maxInfoBodyBytes");
    expect(evidence.stream).toContain("too_large");
    expect(evidence.non_stream).toContain("limits.maxResponseBytes");
  });
});

describe("the caps in the arena config", () => {
  it("v1 and local take the defaults, which fit an honest answer of every slot with room", () => {
    for (const preset of Object.values(ARENA_PRESETS)) {
      const arena = ArenaSchema.parse(preset);
      expect(arena.limits).toEqual(DEFAULT_RESPONSE_LIMITS);
    }
    expect(DEFAULT_RESPONSE_LIMITS).toEqual({
      maxResponseBytes: 4 * MiB,
      maxSseLineBytes: 1 * MiB,
      maxSseEventBytes: 1 * MiB,
      maxInfoBodyBytes: 1 * MiB,
    });
    // v1's largest answer with top_logprobs 20 instead of 3 still fits the estimate, which is
    // several times what vLLM sends (about 2.3 KB per token at top_logprobs 20).
    expect(honestResponseBytes(256, 20)).toBeLessThan(DEFAULT_RESPONSE_LIMITS.maxResponseBytes);
    expect(honestResponseBytes(256, 20)).toBeGreaterThan(256 * 2300 * 4);
  });

  it("refuses a response cap an honest answer of some slot could pass, and line or event caps over it", () => {
    const v1 = ARENA_PRESETS.v1;
    const r = ArenaSchema.safeParse({ ...v1, limits: { maxResponseBytes: 256 * KiB } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join("\n")).toMatch(
      /must be at least \d+ for throughput \(256 tokens at top_logprobs 0\), got 262144/,
    );
    const l = ResponseLimitsSchema.safeParse({
      maxResponseBytes: 2 * MiB,
      maxSseLineBytes: 3 * MiB,
    });
    expect(l.success).toBe(false);
    expect(l.error?.issues[0]?.path).toEqual(["maxSseLineBytes"]);
  });

  it("a bench workload asking for long answers gets a response cap that fits them", () => {
    const w = parseWorkload({
      phases: [
        {
          name: "long",
          scheduling: { kind: "concurrency", streams: 1 },
          requests: 1,
          maxTokens: 32_768,
          topLogprobs: 20,
        },
      ],
    });
    expect(workloadLimits(w).maxResponseBytes).toBe(honestResponseBytes(32_768, 20));
    expect(
      workloadLimits(
        parseWorkload({
          phases: [
            {
              name: "p",
              scheduling: { kind: "concurrency", streams: 1 },
              requests: 1,
              maxTokens: 32,
            },
          ],
        }),
      ),
    ).toEqual(DEFAULT_RESPONSE_LIMITS);
  });
});

describe("an honest stream with the v1 caps", () => {
  it("passes with logprobs top 20 over 256 tokens sent as one event per token", async () => {
    // Built like vLLM's chunks; about 2.3 KB each.
    const { createServer } = await import("node:http");
    const entry = (t: string) => ({
      token: t,
      logprob: -0.012345678918063641,
      bytes: Array.from(Buffer.from(t)),
    });
    const events: string[] = [];
    let text = "";
    for (let i = 0; i < 256; i++) {
      const tok = i % 2 ? " the" : " sun";
      text += tok;
      const chunk = {
        id: "chatcmpl-0123456789abcdef0123456789abcdef",
        object: "chat.completion.chunk",
        created: 1_712_345_678,
        model: "Qwen/Qwen2.5-72B-Instruct",
        choices: [
          {
            index: 0,
            delta: { content: tok },
            logprobs: {
              content: [
                { ...entry(tok), top_logprobs: Array.from({ length: 20 }, () => entry(" across")) },
              ],
            },
            finish_reason: i === 255 ? "length" : null,
          },
        ],
      };
      events.push(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    const payload = `${events.join("")}data: [DONE]\n\n`;
    const srv = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(payload);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const r = await streamChat({
        dispatcher: pool,
        origin: `http://127.0.0.1:${port}`,
        body,
        deadlineMs: 10_000,
        limits: DEFAULT_RESPONSE_LIMITS,
      });
      expect(r.failure).toBeUndefined();
      expect(r.text).toBe(text);
      expect(r.logprobs).toHaveLength(256);
      expect(r.bytes).toBe(Buffer.byteLength(payload));
      expect(r.bytes).toBeGreaterThan(256 * 2000);
    } finally {
      await pool.close();
      await new Promise((r) => srv.close(r));
    }
  });
});
