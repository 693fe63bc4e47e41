import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVocabulary, type Vocabulary } from "../../src/contract/tokenizer.js";
import { poissonOffsetsMs } from "../../src/harness/load.js";
import { builtinPrompts } from "../../src/harness/prompts.js";
import { BenchReportSchema } from "../../src/harness/report.js";
import { runBench } from "../../src/harness/run.js";
import {
  buildRequest,
  defaultWorkload,
  loadWorkload,
  parseWorkload,
  WorkloadError,
} from "../../src/harness/workload.js";
import { startTestServer, streamPieces, type TestServer } from "../helpers/sse-server.js";

let vocab: Vocabulary;
let server: TestServer;
const seen: Record<string, unknown>[] = [];
const TEXT = " The quick brown fox jumps over the lazy dog.";

beforeAll(async () => {
  vocab = loadVocabulary();
  const pieces = vocab.encode(TEXT).map((id) => ({
    token: vocab.text(id) as string,
    bytes: Array.from(vocab.bytes(id)),
  }));
  server = await startTestServer(async (_q, res, body) => {
    seen.push(body);
    await streamPieces(res, pieces, { firstDelayMs: 30, gapMs: 5, id: `c${seen.length}` });
  });
});
afterAll(() => server.close());

describe("runBench against a well-behaved server", () => {
  it("measures every request, counts tokens from the logprobs and summarises phases and trials", async () => {
    seen.length = 0;
    const w = parseWorkload({
      name: "t",
      trials: 2,
      warmup: { requests: 2, concurrency: 2, maxTokens: 4 },
      phases: [
        {
          name: "lat",
          scheduling: { kind: "concurrency", streams: 2 },
          requests: 4,
          maxTokens: 10,
          timeLimitMs: 10_000,
        },
        {
          name: "open",
          scheduling: { kind: "poisson", ratePerSec: 50 },
          requests: 5,
          maxTokens: 10,
          fixedLength: true,
          topLogprobs: 2,
          timeLimitMs: 10_000,
        },
      ],
    });
    const events: string[] = [];
    const report = await runBench({
      origin: server.url,
      model: "test-model",
      workload: w,
      vocab,
      onProgress: (e) => events.push(e.type),
    });
    expect(() => BenchReportSchema.parse(report)).not.toThrow();
    expect(report.requests).toHaveLength(2 + 2 * (4 + 5));
    expect(report.requests.every((r) => r.status === "ok")).toBe(true);
    expect(report.warmup).toEqual({ requests: 2, ok: 2, failed: 0 });
    expect(report.phases.map((p) => `${p.phase}/${p.trial}`)).toEqual([
      "lat/1",
      "open/1",
      "lat/2",
      "open/2",
    ]);
    const n = vocab.encode(TEXT).length;
    for (const r of report.requests) {
      expect(r.outputTokens).toBe(n);
      expect(r.tokenizerTokens).toBe(n);
      expect(r.usageCompletionTokens).toBe(n);
      expect(r.ttftMs).toBeGreaterThanOrEqual(25);
      expect(r.itlMs).toHaveLength(n - 1);
      expect(r.e2eMs).toBeGreaterThan(r.ttftMs as number);
      expect(r.sentNs as number).toBeGreaterThanOrEqual(r.startNs as number);
      expect(r.firstTokenNs as number).toBeGreaterThan(r.sentNs as number);
      expect(r.endNs as number).toBeGreaterThanOrEqual(r.firstTokenNs as number);
      expect(r.finishReason).toBe("length");
    }
    const lat = report.phases[0];
    expect(lat?.outputTokens).toBe(4 * n);
    expect(lat?.tokensPerSec).toBeCloseTo((4 * n) / ((lat?.wallMs as number) / 1000), 0);
    expect(lat?.ttftMs.n).toBe(4);
    expect(lat?.ttftMs.medianCi).not.toBeNull();
    expect(lat?.itlMs.n).toBe(4 * (n - 1));
    expect(report.summary.map((s) => [s.phase, s.trials, s.ok])).toEqual([
      ["lat", 2, 8],
      ["open", 2, 10],
    ]);
    expect(BigInt(report.runStartNs)).toBeGreaterThan(0n);
    expect(events.filter((e) => e === "phase-end")).toHaveLength(4);
    expect(events[0]).toBe("warmup-start");

    // The requests: greedy, logprobs, fixed length where asked, every prompt distinct.
    const measured = seen.slice(2);
    for (const b of measured) {
      expect(b).toMatchObject({
        temperature: 0,
        logprobs: true,
        stream: true,
        model: "test-model",
      });
    }
    const open = measured.filter((b) => b.ignore_eos === true);
    expect(open).toHaveLength(10);
    expect(open.every((b) => b.min_tokens === 10 && b.top_logprobs === 2)).toBe(true);
    const prompts = seen.map((b) => JSON.stringify(b.messages));
    expect(new Set(prompts).size).toBe(prompts.length);

    // Poisson arrivals follow the seeded schedule.
    const openRecs = report.requests.filter((r) => r.phase === "open" && r.trial === 1);
    const sched = openRecs.map((r) => r.scheduledNs as number);
    expect([...sched].sort((a, b) => a - b)).toEqual(sched);
  });
});

describe("workload", () => {
  it("has a valid default with a latency and a fixed-length throughput phase", () => {
    const w = defaultWorkload();
    expect(
      parseWorkload({
        phases: [{ name: "p", scheduling: w.phases[0]?.scheduling, requests: 1, maxTokens: 1 }],
      }).phases[0]?.timeLimitMs,
    ).toBe(120_000);
    expect(w.phases.map((p) => p.name)).toEqual(["latency", "throughput"]);
    expect(w.phases[1]?.fixedLength).toBe(true);
  });

  it("names every bad field in one line", () => {
    const bad = {
      trials: 0,
      phases: [
        { name: "a", scheduling: { kind: "concurrency", streams: 0 }, requests: 1, maxTokens: 1 },
        {
          name: "a",
          scheduling: { kind: "lifo" },
          requests: 1,
          maxTokens: 1,
          timeLimitMs: 1,
          typo: 1,
        },
      ],
    };
    let msg = "";
    try {
      parseWorkload(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(WorkloadError);
      msg = (err as Error).message;
    }
    expect(msg).not.toContain("\n");
    expect(msg).toMatch(/trials: /);
    expect(msg).toMatch(/phases\.0\.scheduling\.streams: /);
    expect(msg).toMatch(/phases\.1\.scheduling\.kind: /);
    expect(msg).toMatch(/phases\.1: Unrecognized key: "typo"/);
  });

  it("rejects duplicate or reserved phase names", () => {
    const phase = (name: string) => ({
      name,
      scheduling: { kind: "concurrency", streams: 1 },
      requests: 1,
      maxTokens: 1,
      timeLimitMs: 1000,
    });
    expect(() => parseWorkload({ phases: [phase("x"), phase("x")] })).toThrow(/used twice/);
    expect(() => parseWorkload({ phases: [phase("warmup")] })).toThrow(/reserved/);
  });

  it("loads a file and explains unreadable, non-JSON and invalid files", () => {
    const dir = mkdtempSync(join(tmpdir(), "cacheon-wl-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ phases: defaultWorkload().phases }));
    expect(loadWorkload(good).phases).toHaveLength(2);
    expect(() => loadWorkload(join(dir, "missing.json"))).toThrow(/cannot read .*no such file/);
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{ phases: [");
    expect(() => loadWorkload(notJson)).toThrow(/is not JSON/);
    const invalid = join(dir, "invalid.json");
    writeFileSync(invalid, "{}");
    expect(() => loadWorkload(invalid)).toThrow(/invalid\.json is invalid: phases: /);
  });

  it("builds greedy logprobs requests with fixed length when asked", () => {
    const [p] = builtinPrompts(1, { seed: 1, tag: "x" });
    if (!p) throw new Error("no prompt");
    expect(buildRequest("m", p, { maxTokens: 7, fixedLength: true, topLogprobs: 3 })).toMatchObject(
      {
        temperature: 0,
        logprobs: true,
        top_logprobs: 3,
        max_tokens: 7,
        ignore_eos: true,
        min_tokens: 7,
      },
    );
    const free = buildRequest("m", p, { maxTokens: 7, fixedLength: false, topLogprobs: 0 });
    expect(free.ignore_eos).toBeUndefined();
  });

  it("draws reproducible, distinct prompts of mixed lengths", () => {
    const a = builtinPrompts(30, { seed: 5, tag: "1.1" });
    expect(a).toEqual(builtinPrompts(30, { seed: 5, tag: "1.1" }));
    expect(new Set(a.map((p) => p.id)).size).toBe(30);
    const kinds = new Set(a.map((p) => p.id.split(":")[1]?.[0]));
    expect(kinds).toEqual(new Set(["s", "m", "l"]));
    const long = builtinPrompts(5, { seed: 5, tag: "x", lengths: ["long"] });
    expect(long.every((p) => p.id.startsWith("builtin:l"))).toBe(true);
  });

  it("draws Poisson gaps with the requested mean rate, reproducibly", () => {
    const xs = poissonOffsetsMs(4000, 100, 9);
    expect(xs).toEqual(poissonOffsetsMs(4000, 100, 9));
    const meanGap = (xs[xs.length - 1] as number) / xs.length;
    expect(meanGap).toBeGreaterThan(9);
    expect(meanGap).toBeLessThan(11);
  });
});
