// Bad input never hangs or crashes a run: each misbehaving server makes every request end with the
// right failure kind within its timeouts, and the run report counts them.
import type { ServerResponse } from "node:http";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadVocabulary, type Vocabulary } from "../../src/contract/tokenizer.js";
import { BenchReportSchema } from "../../src/harness/report.js";
import { runBench } from "../../src/harness/run.js";
import { parseWorkload, type WorkloadInput } from "../../src/harness/workload.js";
import { closedPort } from "../helpers/ports.js";
import {
  type ChatHandler,
  chunkEvent,
  SSE_HEADERS,
  sleep,
  startTestServer,
  streamPieces,
  type TestServer,
  type TokenPiece,
} from "../helpers/sse-server.js";

let vocab: Vocabulary;
let server: TestServer | undefined;
beforeAll(() => {
  vocab = loadVocabulary();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function pieces(text: string): TokenPiece[] {
  return vocab.encode(text).map((id) => ({
    token: vocab.text(id) as string,
    bytes: Array.from(vocab.bytes(id)),
  }));
}

const TEXT = " The quick brown fox jumps over the lazy dog.";

function workload(over: Partial<WorkloadInput["phases"][number]> = {}, requests = 2) {
  return parseWorkload({
    name: "t",
    warmup: { requests: 0 },
    phases: [
      {
        name: "p",
        scheduling: { kind: "concurrency", streams: 2 },
        requests,
        maxTokens: 8,
        requestDeadlineMs: 3000,
        headersTimeoutMs: 300,
        idleTimeoutMs: 300,
        timeLimitMs: 8000,
        ...over,
      },
    ],
  } satisfies WorkloadInput);
}

async function runAgainst(origin: string, w = workload()) {
  const t0 = Date.now();
  const report = await runBench({ origin, model: "test-model", workload: w, vocab });
  BenchReportSchema.parse(report);
  return { report, ms: Date.now() - t0 };
}

async function expectAllFail(handler: ChatHandler, kind: string, maxMs: number, w = workload()) {
  server = await startTestServer(handler);
  const { report, ms } = await runAgainst(server.url, w);
  const recs = report.requests;
  expect(recs).toHaveLength(2);
  for (const r of recs) {
    expect(r.status).toBe("failed");
    expect(r.failure?.kind, r.failure?.message).toBe(kind);
  }
  expect(report.phases[0]?.failures).toEqual({ [kind]: 2 });
  expect(report.phases[0]?.ok).toBe(0);
  expect(ms).toBeLessThan(maxMs);
  return report;
}

const partialEvent = (res: ServerResponse) => {
  res.writeHead(200, SSE_HEADERS);
  res.write(chunkEvent({ role: "assistant", content: "" }));
  res.write(chunkEvent({ content: " The", logprobs: pieces(" The") }).slice(0, 40));
};

describe("a run against a misbehaving server", () => {
  it("counts non-JSON events as bad_json", async () => {
    await expectAllFail(
      (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end("data: this is not json\n\ndata: [DONE]\n\n");
      },
      "bad_json",
      3000,
    );
  });

  it("counts chunks that break the schema as bad_chunk", async () => {
    await expectAllFail(
      (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(`data: ${JSON.stringify({ id: 1, choices: "no" })}\n\ndata: [DONE]\n\n`);
      },
      "bad_chunk",
      3000,
    );
  });

  it("counts error events as error_event", async () => {
    await expectAllFail(
      (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end('data: {"error":{"message":"out of memory"}}\n\n');
      },
      "error_event",
      3000,
    );
  });

  it("counts a wrong content type as content_type", async () => {
    await expectAllFail(
      (_q, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"id":"x"}');
      },
      "content_type",
      3000,
    );
  });

  it("counts HTTP 500 as http_status, with the body in the message", async () => {
    const report = await expectAllFail(
      (_q, res) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("engine crashed");
      },
      "http_status",
      3000,
    );
    expect(report.requests[0]?.failure?.message).toBe("HTTP 500: engine crashed");
    expect(report.requests[0]?.httpStatus).toBe(500);
  });

  it("counts a stream cut mid-event (socket destroyed) as truncated", async () => {
    await expectAllFail(
      async (_q, res) => {
        partialEvent(res);
        await sleep(20);
        res.socket?.destroy();
      },
      "truncated",
      3000,
    );
  });

  it("counts a stream that ends cleanly inside an event as truncated", async () => {
    await expectAllFail(
      (_q, res) => {
        partialEvent(res);
        res.end();
      },
      "truncated",
      3000,
    );
  });

  it("counts a stream without [DONE] as missing_done", async () => {
    await expectAllFail(
      (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(chunkEvent({ content: " The", logprobs: pieces(" The") }));
      },
      "missing_done",
      3000,
    );
  });

  it("counts a stream that stops sending as stalled, after the idle timeout", async () => {
    await expectAllFail(
      (_q, res) => {
        partialEvent(res);
        // ... and nothing more, connection kept open
      },
      "stalled",
      2500,
    );
  });

  it("counts headers that never come as headers_timeout", async () => {
    await expectAllFail(
      () => {
        // never answers
      },
      "headers_timeout",
      2500,
    );
  });

  it("counts a stream that trickles past the request deadline as deadline", async () => {
    const w = workload({ requestDeadlineMs: 600, idleTimeoutMs: 300 });
    await expectAllFail(
      async (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        for (let i = 0; i < 100 && !res.destroyed; i++) {
          res.write(chunkEvent({ content: " The", logprobs: pieces(" The") }));
          await sleep(50);
        }
        res.end();
      },
      "deadline",
      2500,
      w,
    );
  });

  it("counts a refused connection as connect", async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const { report } = await runAgainst(`http://127.0.0.1:${port}`);
    expect(report.requests.map((r) => r.failure?.kind)).toEqual(["connect", "connect"]);
    expect(report.phases[0]?.failures).toEqual({ connect: 2 });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("counts logprobs that do not spell the text as token_count", async () => {
    await expectAllFail(
      async (_q, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(chunkEvent({ content: " The cat", logprobs: pieces(" The dog") }));
        res.end("data: [DONE]\n\n");
      },
      "token_count",
      3000,
    );
  });

  it("aborts requests in flight at the phase time limit and does not send the rest", async () => {
    server = await startTestServer(async (_q, res) => {
      res.writeHead(200, SSE_HEADERS);
      for (let i = 0; i < 200 && !res.destroyed; i++) {
        res.write(chunkEvent({ content: " The", logprobs: pieces(" The") }));
        await sleep(20);
      }
      res.end();
    });
    const w = workload(
      {
        scheduling: { kind: "concurrency", streams: 1 },
        timeLimitMs: 500,
        requestDeadlineMs: 10_000,
      },
      3,
    );
    const { report, ms } = await runAgainst(server.url, w);
    expect(report.requests.map((r) => r.failure?.kind)).toEqual([
      "time_limit",
      "not_sent",
      "not_sent",
    ]);
    expect(report.phases[0]).toMatchObject({
      hitTimeLimit: true,
      ok: 0,
      failed: 3,
      failures: { time_limit: 1, not_sent: 2 },
    });
    expect(ms).toBeLessThan(2000);
    expect(server.requests).toBe(1);
  });

  it("keeps measuring the good requests when some fail, and reports both", async () => {
    let n = 0;
    server = await startTestServer(async (_q, res) => {
      if (n++ % 2 === 1) {
        res.writeHead(503).end("busy");
        return;
      }
      await streamPieces(res, pieces(TEXT), { gapMs: 2 });
    });
    const { report } = await runAgainst(server.url, workload({}, 6));
    expect(report.phases[0]).toMatchObject({ ok: 3, failed: 3, failures: { http_status: 3 } });
    expect(report.phases[0]?.outputTokens).toBe(3 * pieces(TEXT).length);
  });
});
