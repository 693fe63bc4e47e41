// The reference server as a teacher: /tokenize and /v1/completions with prompt_logprobs, shaped as
// vLLM shapes them, whose scores are the model's own logprobs except at the configured share of
// near-ties where a prefill ranks the runner-up first.
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatCompletionResponse,
  ChatCompletionResponseSchema,
} from "../../src/contract/schemas.js";
import { CompletionResponseSchema, TokenizeResponseSchema } from "../../src/contract/scoring.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { DEFAULT_SERVED_MODEL_NAME, MAX_MODEL_LEN } from "../../src/reference/constants.js";
import { Generation, samplingParams } from "../../src/reference/generation.js";
import { createModel, TIE_GAP } from "../../src/reference/model.js";
import { PromptEncoder, renderChatPrompt } from "../../src/reference/prompt.js";
import { type ReferenceServer, startReferenceServer } from "../../src/reference/server.js";
import { scorePrompt } from "../../src/reference/teacher.js";

const MODEL = DEFAULT_SERVED_MODEL_NAME;
const vocab = loadVocabulary();
const model = createModel({ vocab });
const encoder = new PromptEncoder(vocab);
const dispatcher = new Agent({ connections: 16 });
let teacher: ReferenceServer;
let cheat: ReferenceServer;

beforeAll(async () => {
  teacher = await startReferenceServer({ profile: "instant" });
  cheat = await startReferenceServer({ profile: "instant", variant: "hard-floor" });
});
afterAll(async () => {
  await teacher?.close();
  await cheat?.close();
  await dispatcher.close();
});

async function post(origin: string, path: string, body: unknown, raw = false) {
  const res = await request(`${origin}${path}`, {
    dispatcher,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const messages = (i: number) => [
  { role: "user" as const, content: `Question ${i}: how far does a lighthouse shine?` },
];

type Entry = { logprob: number; rank: number; decoded_token: string };
type PromptLogprobs = (Record<string, Entry> | null)[];

async function tokenize(origin: string, i: number): Promise<number[]> {
  const res = await post(origin, "/tokenize", {
    model: MODEL,
    messages: messages(i),
    add_generation_prompt: true,
  });
  expect(res.status).toBe(200);
  return res.json().tokens as number[];
}

async function chat(origin: string, i: number, maxTokens: number): Promise<ChatCompletionResponse> {
  const res = await post(origin, "/v1/chat/completions", {
    model: MODEL,
    messages: messages(i),
    temperature: 0,
    max_tokens: maxTokens,
    logprobs: true,
  });
  expect(res.status).toBe(200);
  return ChatCompletionResponseSchema.parse(res.json());
}

/** The token ids of a chat answer: each logprobs entry is one vocabulary token, mapped by bytes. */
function outputIds(res: ChatCompletionResponse): number[] {
  return (res.choices[0]?.logprobs?.content ?? []).map((e) => {
    const id = vocab.idOfBytes(Uint8Array.from(e.bytes ?? []));
    if (id === undefined) throw new Error(`no token for ${e.token}`);
    return id;
  });
}

async function score(origin: string, prompt: number[], k: number, extra = {}) {
  const res = await post(origin, "/v1/completions", {
    model: MODEL,
    prompt,
    prompt_logprobs: k,
    max_tokens: 1,
    temperature: 0,
    ...extra,
  });
  expect(res.status).toBe(200);
  return { body: res.json(), raw: res.text };
}

function expectOpenAiError(text: string, param?: string | null) {
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(String(body.error.message)).not.toMatch(/\n\s+at /); // no stack trace
  if (param !== undefined) expect(body.error.param).toBe(param);
}

/** Greedy answers of the model itself (the decode), for the teacher to rescore. */
function greedy(i: number, maxTokens = 200): { prompt: number[]; output: number[] } {
  const prompt = encoder.encode(renderChatPrompt(messages(i)));
  const gen = new Generation(model, prompt, samplingParams({ temperature: 0 }, maxTokens));
  const output: number[] = [];
  while (!gen.finished) {
    gen.step();
    for (const t of gen.released) output.push(t.id);
    gen.released.length = 0;
  }
  return { prompt, output };
}

describe("POST /tokenize", () => {
  it("answers the rendered chat prompt's token ids as vLLM does", async () => {
    const res = await post(teacher.url, "/tokenize", {
      model: MODEL,
      messages: messages(1),
      add_generation_prompt: true,
    });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(["count", "max_model_len", "tokens", "token_strs"]);
    // The validator's own schema of vLLM's answer (what its teacher client parses) agrees.
    expect(TokenizeResponseSchema.safeParse(body).success).toBe(true);
    const want = encoder.encode(renderChatPrompt(messages(1)));
    expect(body).toEqual({
      count: want.length,
      max_model_len: MAX_MODEL_LEN,
      tokens: want,
      token_strs: null,
    });
    // Without the assistant header, and a plain text prompt (no special tokens added).
    const bare = (
      await post(teacher.url, "/tokenize", { messages: messages(1), add_generation_prompt: false })
    ).json().tokens as number[];
    expect(bare).toEqual(want.slice(0, bare.length));
    expect(bare.length).toBeLessThan(want.length);
    const text = (
      await post(teacher.url, "/tokenize", { model: MODEL, prompt: "Hello, world" })
    ).json();
    expect(text.tokens).toEqual([...vocab.encode("Hello, world")]);
  });

  it.each([
    [{}, 400, null],
    [{ prompt: "a", messages: messages(1) }, 400, null],
    [{ prompt: 5 }, 400, "prompt"],
    [{ prompt: "a", model: "nope" }, 404, "model"],
    [{ prompt: "a", return_token_strs: true }, 400, "return_token_strs"],
    [
      { messages: messages(1), add_generation_prompt: true, continue_final_message: true },
      400,
      "continue_final_message",
    ],
  ])("refuses %j with %i", async (body, status, param) => {
    const res = await post(teacher.url, "/tokenize", body);
    expect(res.status).toBe(status);
    expectOpenAiError(res.text, param);
  });
});

describe("POST /v1/completions with prompt_logprobs", () => {
  it("scores a chat answer as vLLM shapes it: the model's own logprobs, the next token as text", async () => {
    const prompt = await tokenize(teacher.url, 2);
    const answer = await chat(teacher.url, 2, 80);
    const out = outputIds(answer);
    const entries = answer.choices[0]?.logprobs?.content ?? [];
    expect(out.length).toBeGreaterThan(20);
    const ids = [...prompt, ...out.slice(0, -1)];
    const { body, raw } = await score(teacher.url, ids, 5);
    expect(Object.keys(body)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "choices",
      "service_tier",
      "system_fingerprint",
      "usage",
      "kv_transfer_params",
    ]);
    expect(body.object).toBe("text_completion");
    expect(CompletionResponseSchema.safeParse(body).error).toBeUndefined();
    expect(String(body.id)).toMatch(/^cmpl-/);
    expect(body.model).toBe(MODEL);
    expect(body.usage).toEqual({
      prompt_tokens: ids.length,
      total_tokens: ids.length + 1,
      completion_tokens: 1,
      prompt_tokens_details: null,
    });
    const choice = (body.choices as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(Object.keys(choice)).toEqual([
      "index",
      "text",
      "logprobs",
      "finish_reason",
      "stop_reason",
      "prompt_logprobs",
    ]);
    // The next token: what the chat answered there.
    expect(choice.text).toBe(entries.at(-1)?.token);
    expect(choice.finish_reason).toBe("length");
    const lps = choice.prompt_logprobs as PromptLogprobs;
    expect(raw).toContain(`"prompt_logprobs":[null,{"${ids[1]}":{"logprob":`);
    expect(lps).toHaveLength(ids.length);
    expect(lps[0]).toBeNull();
    for (let i = 1; i < ids.length; i++) {
      const pos = lps[i] as Record<string, Entry>;
      const keys = Object.keys(pos);
      // The prompt token and the top 5 not already named (JSON.parse reorders numeric keys; the
      // order on the wire, the prompt token first, is checked below and in scorePrompt's test).
      expect(keys.length === 5 || keys.length === 6).toBe(true);
      for (const e of Object.values(pos))
        expect(Object.keys(e)).toEqual(["logprob", "rank", "decoded_token"]);
      const tops = keys.filter((k) => k !== String(ids[i])).map((k) => pos[k] as Entry);
      const actual = pos[String(ids[i])] as Entry;
      const ranks = [...tops.map((e) => e.rank), ...(actual.rank <= 5 ? [actual.rank] : [])];
      expect(ranks.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(actual.decoded_token).toBe(vocab.text(ids[i] as number) ?? "\ufffd");
    }
    // The answer's tokens: the decode's own logprobs, rank 1 — or, where the prefill flipped a
    // near-tie, rank 2 within the tie gap of the top-1.
    let flipped = 0;
    for (let j = 0; j < out.length - 1; j++) {
      const pos = lps[prompt.length + j] as Record<string, Entry>;
      const actual = pos[String(out[j])] as Entry;
      const top = Math.max(...Object.values(pos).map((e) => e.logprob));
      if (actual.rank === 1) {
        expect(actual.logprob).toBe(entries[j]?.logprob);
        continue;
      }
      // Flipped: the runner-up's value, within the tie gap of the decode's own.
      expect(actual.rank).toBe(2);
      expect(top).toBe(entries[j]?.logprob);
      expect(top - actual.logprob).toBeLessThan(TIE_GAP);
      flipped++;
    }
    expect(flipped).toBeLessThan(out.length / 10);
  });

  it("reports a token outside the top list with its true rank and a tail logprob", async () => {
    const prompt = await tokenize(teacher.url, 3);
    const listed = Array.from(model.distribution(prompt).ids);
    const junk = [" river", " stone", " bridge"]
      .map((w) => vocab.idOfText(w) as number)
      .find((id) => id !== undefined && !listed.includes(id)) as number;
    const { body } = await score(teacher.url, [...prompt, junk], 3);
    const lps = (body.choices as { prompt_logprobs: PromptLogprobs }[])[0]?.prompt_logprobs ?? [];
    const last = lps.at(-1) as Record<string, Entry>;
    expect(Object.keys(last)).toHaveLength(4);
    const actual = last[String(junk)] as Entry;
    expect(actual.rank).toBeGreaterThan(20);
    expect(actual.logprob).toBeLessThan(
      Math.min(
        ...Object.values(last)
          .filter((e) => e !== actual)
          .map((e) => e.logprob),
      ),
    );
    expect(actual.decoded_token).toBe(vocab.text(junk));
  });

  it("shapes `logprobs` for the generated tokens as vLLM's CompletionLogProbs", async () => {
    const prompt = await tokenize(teacher.url, 4);
    const { body } = await score(teacher.url, prompt, 0, { max_tokens: 3, logprobs: 2 });
    const choice = (body.choices as Record<string, unknown>[])[0] as Record<string, unknown>;
    const lp = choice.logprobs as {
      text_offset: number[];
      token_logprobs: number[];
      tokens: string[];
      top_logprobs: Record<string, number>[];
    };
    expect(Object.keys(lp)).toEqual(["text_offset", "token_logprobs", "tokens", "top_logprobs"]);
    expect(lp.tokens.join("")).toBe(choice.text);
    expect(lp.text_offset).toEqual([
      0,
      lp.tokens[0]?.length,
      (lp.tokens[0]?.length ?? 0) + (lp.tokens[1]?.length ?? 0),
    ]);
    for (const [i, top] of lp.top_logprobs.entries()) {
      expect(Object.keys(top)[0]).toBe(lp.tokens[i]);
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(2);
      expect(Object.keys(top).length).toBeLessThanOrEqual(3);
      expect(top[lp.tokens[i] as string]).toBe(lp.token_logprobs[i]);
    }
    // prompt_logprobs 0: only the prompt tokens themselves.
    for (const pos of (choice.prompt_logprobs as PromptLogprobs).slice(1))
      expect(Object.keys(pos ?? {})).toHaveLength(1);
  });

  it.each([
    [{ prompt_logprobs: 21 }, "prompt_logprobs"],
    [{ prompt: [] }, "prompt"],
    [{ prompt: [-1] }, "prompt"],
    [{ prompt: [vocab.size] }, "prompt"],
    [{ prompt: [[1, 2]] }, "prompt"],
    [{ prompt: Array(MAX_MODEL_LEN).fill(9) }, "max_tokens"],
    [{ stream: true }, "stream"],
    [{ echo: true }, "echo"],
    [{ n: 2 }, "n"],
    [{ logprobs: -1 }, "logprobs"],
    [{ max_tokens: 0 }, "max_tokens"],
  ])("refuses %j with a 400 naming %s", async (extra, param) => {
    const res = await post(teacher.url, "/v1/completions", {
      model: MODEL,
      prompt: [1, 2, 3],
      max_tokens: 1,
      ...extra,
    });
    expect(res.status).toBe(400);
    expectOpenAiError(res.text);
    expect(String(res.json().error && (res.json().error as { param: string }).param)).toMatch(
      new RegExp(`^${param}`),
    );
  });

  it("refuses a wrong model, a body that is no JSON, and GET", async () => {
    const wrong = await post(teacher.url, "/v1/completions", { model: "x", prompt: [1] });
    expect(wrong.status).toBe(404);
    expectOpenAiError(wrong.text, "model");
    const raw = await post(teacher.url, "/v1/completions", "{nope", true);
    expect(raw.status).toBe(400);
    expectOpenAiError(raw.text);
    const get = await request(`${teacher.url}/tokenize`, { dispatcher });
    expect(get.statusCode).toBe(405);
    expectOpenAiError(await get.body.text());
  });

  it("finds an engine's planted token: the teacher ranks it past 10, at <= -13", async () => {
    let caught = 0;
    for (let i = 0; i < 4; i++) {
      const prompt = await tokenize(teacher.url, i);
      const out = outputIds(await chat(cheat.url, i, 64));
      const { body } = await score(teacher.url, [...prompt, ...out], 1);
      const lps = (body.choices as { prompt_logprobs: PromptLogprobs }[])[0]?.prompt_logprobs ?? [];
      const bad = out.filter((id, j) => {
        const e = lps[prompt.length + j]?.[String(id)] as Entry;
        return e.rank > 10 && e.logprob <= -13;
      });
      if (out.length >= 32) expect(bad).toHaveLength(1);
      caught += bad.length;
    }
    expect(caught).toBeGreaterThan(0);
  });
});

describe("teacher numerics", () => {
  it("equal the model's decode except at the configured share of near-ties, deterministically", () => {
    let positions = 0;
    let ties = 0;
    const flips = { 0: 0, 0.5: 0, 1: 0 };
    for (let i = 0; i < 40; i++) {
      const { prompt, output } = greedy(i);
      const state = model.start(prompt);
      const decode = output.map((id) => {
        const d = model.next(state, true);
        model.advanceInPlace(state, id);
        return d;
      });
      for (const rate of [0, 0.5, 1] as const) {
        const scored = scorePrompt(model, [...prompt, ...output], 3, rate);
        expect(scorePrompt(model, [...prompt, ...output], 3, rate)).toEqual(scored);
        output.forEach((id, j) => {
          const d = decode[j] as (typeof decode)[number];
          // The scored token comes first, then the top 3.
          const actual = scored[prompt.length + j]?.[0];
          expect(actual?.id).toBe(id);
          const tie = (d.logprobs[0] as number) - (d.logprobs[1] as number) < TIE_GAP;
          if (actual?.rank === 2) {
            // A prefill flip: the runner-up's value, at a near-tie only.
            expect(tie).toBe(true);
            expect(actual.logprob).toBe(d.logprobs[1]);
            flips[rate]++;
          } else {
            expect(actual?.rank).toBe(1);
            expect(actual?.logprob).toBe(d.logprobs[0]);
          }
          if (rate === 0) {
            positions++;
            if (tie) ties++;
          }
        });
      }
    }
    expect(flips[0]).toBe(0);
    expect(flips[1]).toBe(ties);
    expect(flips[0.5] / ties).toBeGreaterThan(0.3);
    expect(flips[0.5] / ties).toBeLessThan(0.7);
    // About 1.5 % of positions, as vLLM's prefill against its decode (issue 48271).
    expect(flips[0.5] / positions).toBeGreaterThan(0.007);
    expect(flips[0.5] / positions).toBeLessThan(0.03);
  });
});
