// The reference server over real HTTP on 127.0.0.1, in process (the engine and the client share
// one event loop here; out-of-process timing tests live in speed.test.ts).
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatCompletionChunk,
  ChatCompletionChunkSchema,
  type ChatCompletionRequest,
  ChatCompletionResponseSchema,
  ModelListSchema,
} from "../../src/contract/schemas.js";
import { SseParser } from "../../src/contract/sse.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { streamChat } from "../../src/harness/client.js";
import { DEFAULT_SERVED_MODEL_NAME } from "../../src/reference/constants.js";
import { type ReferenceServer, startReferenceServer } from "../../src/reference/server.js";

const MODEL = DEFAULT_SERVED_MODEL_NAME;
const vocab = loadVocabulary();
const dispatcher = new Agent({ connections: 512 });
let instant: ReferenceServer;
let baseline: ReferenceServer;

beforeAll(async () => {
  instant = await startReferenceServer({ profile: "instant", recordTimings: true });
  baseline = await startReferenceServer({ profile: "baseline" });
});
afterAll(async () => {
  await instant?.close();
  await baseline?.close();
  await dispatcher.close();
});

const ask = (
  content: string,
  extra: Partial<ChatCompletionRequest> = {},
): ChatCompletionRequest => ({
  model: MODEL,
  messages: [{ role: "user", content }],
  temperature: 0,
  ...extra,
});

/** POSTs a body; returns the status, headers and the raw response text. */
async function post(origin: string, body: unknown, raw = false) {
  const res = await request(`${origin}/v1/chat/completions`, {
    dispatcher,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** A streamed completion's SSE events, each chunk checked against the schema. */
async function sse(origin: string, body: ChatCompletionRequest) {
  const res = await post(origin, { ...body, stream: true });
  expect(res.status).toBe(200);
  expect(String(res.headers["content-type"])).toMatch(/^text\/event-stream/);
  const events = new SseParser().push(res.text).map((e) => e.data);
  expect(events.at(-1)).toBe("[DONE]");
  const chunks = events.slice(0, -1).map((d) => ChatCompletionChunkSchema.parse(JSON.parse(d)));
  return chunks;
}

function expectOpenAiError(text: string, param?: string | null) {
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  if (param !== undefined) expect(body.error.param).toBe(param);
}

describe("reference server", () => {
  it("answers /health and /v1/models, and 404s unknown routes", async () => {
    const health = await request(`${instant.url}/health`, { dispatcher });
    expect(health.statusCode).toBe(200);
    await health.body.text();
    const models = await request(`${instant.url}/v1/models`, { dispatcher });
    const list = ModelListSchema.parse(await models.body.json());
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    const missing = await request(`${instant.url}/v2/nothing`, { dispatcher });
    expect(missing.statusCode).toBe(404);
    expectOpenAiError(await missing.body.text());
  });

  it("streams like vLLM: role chunk, one chunk per token, finish chunk, usage, [DONE]", async () => {
    const chunks = await sse(
      instant.url,
      ask("Describe a lighthouse.", {
        max_tokens: 12,
        ignore_eos: true,
        logprobs: true,
        top_logprobs: 3,
        stream_options: { include_usage: true },
      }),
    );
    const [first, ...rest] = chunks as [ChatCompletionChunk, ...ChatCompletionChunk[]];
    expect(first.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const tokens = rest.slice(0, 12);
    for (const c of tokens) {
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0]?.logprobs?.content).toHaveLength(1);
      expect(c.choices[0]?.delta.content).toBe(c.choices[0]?.logprobs?.content?.[0]?.token);
      expect(c.choices[0]?.finish_reason).toBeNull();
    }
    const finish = rest[12] as ChatCompletionChunk;
    expect(finish.choices[0]?.finish_reason).toBe("length");
    const usage = rest[13] as ChatCompletionChunk;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ completion_tokens: 12 });
    expect(usage.usage?.prompt_tokens).toBeGreaterThan(10);
    expect(rest).toHaveLength(14);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it("sends logprobs that are vocabulary tokens concatenating exactly to the text", async () => {
    const r = await streamChat({
      dispatcher,
      origin: instant.url,
      deadlineMs: 10_000,
      body: ask("Explain tides.", { max_tokens: 200, logprobs: true, top_logprobs: 20 }),
    });
    expect(r.ok).toBe(true);
    expect(r.logprobs.length).toBeGreaterThan(0);
    expect(r.logprobs.map((e) => e.token).join("")).toBe(r.text);
    for (const e of r.logprobs) {
      expect(vocab.idOfText(e.token)).toBeDefined();
      expect(e.bytes).toEqual([...Buffer.from(e.token, "utf8")]);
      expect(e.top_logprobs).toHaveLength(20);
      expect(e.top_logprobs[0]).toEqual({ token: e.token, logprob: e.logprob, bytes: e.bytes });
      expect(e.logprob).toBeLessThanOrEqual(0);
    }
    if (r.finishReason === "stop") expect(r.text).not.toContain("<|im_end|>");
  });

  it("answers non-streaming requests with the same greedy text", async () => {
    const body = ask("Why is the sea salty?", { max_tokens: 40, logprobs: true, top_logprobs: 2 });
    const res = await post(instant.url, body);
    expect(res.status).toBe(200);
    const parsed = ChatCompletionResponseSchema.parse(JSON.parse(res.text));
    const choice = parsed.choices[0];
    const streamed = await streamChat({
      dispatcher,
      origin: instant.url,
      deadlineMs: 10_000,
      body,
    });
    expect(choice?.message.content).toBe(streamed.text);
    expect(choice?.logprobs?.content).toEqual(streamed.logprobs);
    expect(choice?.finish_reason).toBe(streamed.finishReason);
    expect(parsed.usage.completion_tokens).toBe(streamed.logprobs.length);
  });

  it("honours max_tokens, max_completion_tokens, min_tokens with ignore_eos, and stop", async () => {
    const chat = (extra: Partial<ChatCompletionRequest>) =>
      streamChat({
        dispatcher,
        origin: instant.url,
        deadlineMs: 10_000,
        body: ask("Count the waves.", { logprobs: true, ...extra }),
      });
    const a = await chat({ max_tokens: 7, ignore_eos: true });
    expect([a.logprobs.length, a.finishReason]).toEqual([7, "length"]);
    const b = await chat({ max_tokens: 50, max_completion_tokens: 5, ignore_eos: true });
    expect([b.logprobs.length, b.finishReason]).toEqual([5, "length"]);
    const c = await chat({ max_tokens: 300, min_tokens: 300, ignore_eos: true });
    expect(c.logprobs.length).toBe(300);

    const full = await chat({ max_tokens: 40, ignore_eos: true });
    const stop = full.logprobs[10]?.token as string;
    const expected = full.text.slice(0, full.text.indexOf(stop));
    const d = await chat({ max_tokens: 40, ignore_eos: true, stop: [stop, "never-ever"] });
    expect(d.text).toBe(expected);
    expect(d.finishReason).toBe("stop");
    const e = await chat({ max_tokens: 40, ignore_eos: true, stop });
    expect(e.text).toBe(expected);
  });

  it("rejects bad requests with OpenAI-style errors", async () => {
    const base = ask("hi");
    const cases: [unknown, number, string | null][] = [
      ["{not json", 400, null],
      [{ ...base, messages: [] }, 400, "messages"],
      [{ ...base, temperature: 3 }, 400, "temperature"],
      [{ ...base, max_tokens: 0 }, 400, "max_tokens"],
      [{ ...base, n: 2 }, 400, "n"],
      [{ ...base, logprobs: true, top_logprobs: 21 }, 400, "top_logprobs"],
      [{ ...base, top_logprobs: 3 }, 400, "top_logprobs"],
      [{ ...base, max_tokens: 5, min_tokens: 9 }, 400, "min_tokens"],
      [{ ...base, max_tokens: 40_000 }, 400, "max_tokens"],
      [{ ...base, model: "gpt-4" }, 404, "model"],
    ];
    for (const [body, status, param] of cases) {
      const res = await post(
        instant.url,
        typeof body === "string" ? body : body,
        typeof body === "string",
      );
      expect([res.status, body]).toEqual([status, body]);
      expectOpenAiError(res.text, param);
    }
    const huge = await post(instant.url, ask("x".repeat(17 * 1024 * 1024)));
    expect(huge.status).toBe(413);
    expectOpenAiError(huge.text);
    const get = await request(`${instant.url}/v1/chat/completions`, { dispatcher });
    expect(get.statusCode).toBe(405);
    await get.body.text();
  });

  it("gives identical greedy tokens and logprobs alone and among 100 concurrent requests", async () => {
    const body = ask("The one request we watch.", {
      max_tokens: 48,
      ignore_eos: true,
      logprobs: true,
      top_logprobs: 5,
    });
    const one = () => streamChat({ dispatcher, origin: baseline.url, deadlineMs: 30_000, body });
    const alone = await one();
    const others = Array.from({ length: 100 }, (_, i) =>
      streamChat({
        dispatcher,
        origin: baseline.url,
        deadlineMs: 30_000,
        body: ask(`Other request ${i}`, { max_tokens: 20 + (i % 30), logprobs: true }),
      }),
    );
    await new Promise((r) => setTimeout(r, 40)); // join a running batch, not an empty one
    const crowded = await one();
    expect((await Promise.all(others)).every((r) => r.ok)).toBe(true);
    expect(alone.ok && crowded.ok).toBe(true);
    expect(crowded.logprobs).toHaveLength(48);
    expect(crowded.logprobs).toEqual(alone.logprobs);
    expect(crowded.text).toBe(alone.text);
  });

  it("completes 320 concurrent streams through the baseline profile's batch limit", async () => {
    const results = await Promise.all(
      Array.from({ length: 320 }, (_, i) =>
        streamChat({
          dispatcher,
          origin: baseline.url,
          deadlineMs: 30_000,
          body: ask(`Stream ${i}`, { max_tokens: 12, ignore_eos: true, logprobs: true }),
        }),
      ),
    );
    const failed = results.filter((r) => !r.ok).map((r) => r.failure);
    expect(failed).toEqual([]);
    expect(results.every((r) => r.logprobs.length === 12)).toBe(true);
    expect(baseline.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("drops a sequence whose client went away", async () => {
    const controller = new AbortController();
    const r = streamChat({
      dispatcher,
      origin: baseline.url,
      deadlineMs: 30_000,
      signal: controller.signal,
      body: ask("A very long answer please.", { max_tokens: 20_000, ignore_eos: true }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(baseline.stats().active).toBe(1);
    controller.abort();
    expect((await r).failure?.kind).toBe("aborted");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(baseline.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("records receive and first-token times per completion at /debug/timings", async () => {
    const before = process.hrtime.bigint();
    const r = await streamChat({
      dispatcher,
      origin: instant.url,
      deadlineMs: 10_000,
      body: ask("Timed.", { max_tokens: 3 }),
    });
    const after = process.hrtime.bigint();
    const res = await request(`${instant.url}/debug/timings`, { dispatcher });
    const timings = (await res.body.json()) as Record<
      string,
      { receivedNs: string; firstTokenNs: string }
    >;
    const t = timings[r.completionId as string];
    expect(t).toBeDefined();
    const received = BigInt(t?.receivedNs as string);
    const first = BigInt(t?.firstTokenNs as string);
    expect(before <= received && received <= first && first <= after).toBe(true);
    expect(received >= (r.sentNs as bigint) - 1_000_000n).toBe(true);
  });
});
