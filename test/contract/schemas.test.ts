import { describe, expect, it } from "vitest";
import {
  ChatCompletionChunkSchema,
  ChatCompletionRequestSchema,
  ChatCompletionResponseSchema,
  requestedMaxTokens,
} from "../../src/contract/schemas.js";

const token = { token: " hi", logprob: -0.5, bytes: [32, 104, 105], top_logprobs: [] };

const chunk = {
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1700000000,
  model: "m",
  choices: [
    { index: 0, delta: { content: " hi" }, logprobs: { content: [token] }, finish_reason: null },
  ],
};

describe("contract schemas", () => {
  it("accepts a full benchmark request, with vLLM's extensions", () => {
    const req = {
      model: "m",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hello" }] },
      ],
      max_tokens: 16,
      max_completion_tokens: 8,
      temperature: 0,
      top_p: 1,
      seed: 1,
      stop: ["\n"],
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      top_logprobs: 20,
      ignore_eos: true,
      min_tokens: 16,
      extra_vendor_field: 1,
    };
    const r = ChatCompletionRequestSchema.parse(req);
    expect(requestedMaxTokens(r)).toBe(8);
  });

  it.each([
    ["no messages", { model: "m", messages: [] }],
    ["empty model", { model: "", messages: [{ role: "user", content: "x" }] }],
    ["bad role", { model: "m", messages: [{ role: "robot", content: "x" }] }],
    [
      "top_logprobs > 20",
      { model: "m", messages: [{ role: "user", content: "x" }], top_logprobs: 21 },
    ],
    [
      "temperature < 0",
      { model: "m", messages: [{ role: "user", content: "x" }], temperature: -1 },
    ],
    ["max_tokens 0", { model: "m", messages: [{ role: "user", content: "x" }], max_tokens: 0 }],
    ["top_p 0", { model: "m", messages: [{ role: "user", content: "x" }], top_p: 0 }],
    ["fractional seed", { model: "m", messages: [{ role: "user", content: "x" }], seed: 1.5 }],
  ])("rejects a request with %s", (_, req) => {
    expect(ChatCompletionRequestSchema.safeParse(req).success).toBe(false);
  });

  it("accepts valid chunks: token, role-only, finish, usage-only, unknown extra fields", () => {
    expect(ChatCompletionChunkSchema.safeParse(chunk).success).toBe(true);
    const role = { ...chunk, choices: [{ index: 0, delta: { role: "assistant", content: "" } }] };
    expect(ChatCompletionChunkSchema.safeParse(role).success).toBe(true);
    const finish = {
      ...chunk,
      choices: [
        { index: 0, delta: {}, logprobs: null, finish_reason: "length", stop_reason: null },
      ],
    };
    expect(ChatCompletionChunkSchema.safeParse(finish).success).toBe(true);
    const usage = {
      ...chunk,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      system_fingerprint: "x",
    };
    expect(ChatCompletionChunkSchema.safeParse(usage).success).toBe(true);
  });

  it.each([
    ["wrong object", { ...chunk, object: "chat.completion" }],
    ["missing id", { ...chunk, id: undefined }],
    ["choices not an array", { ...chunk, choices: {} }],
    ["non-string content", { ...chunk, choices: [{ index: 0, delta: { content: 5 } }] }],
    ["bad finish reason", { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "done" }] }],
    [
      "logprob entry without top_logprobs",
      {
        ...chunk,
        choices: [
          { index: 0, delta: {}, logprobs: { content: [{ token: "a", logprob: 0, bytes: null }] } },
        ],
      },
    ],
    [
      "byte out of range",
      {
        ...chunk,
        choices: [{ index: 0, delta: {}, logprobs: { content: [{ ...token, bytes: [256] }] } }],
      },
    ],
    [
      "negative usage",
      { ...chunk, usage: { prompt_tokens: -1, completion_tokens: 0, total_tokens: 0 } },
    ],
  ])("rejects a chunk with %s", (_, c) => {
    expect(ChatCompletionChunkSchema.safeParse(c).success).toBe(false);
  });

  it("accepts a non-streamed response and rejects broken ones", () => {
    const res = {
      id: "chatcmpl-2",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: " hi" },
          logprobs: { content: [token] },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    };
    expect(ChatCompletionResponseSchema.safeParse(res).success).toBe(true);
    expect(ChatCompletionResponseSchema.safeParse({ ...res, choices: [] }).success).toBe(false);
    expect(ChatCompletionResponseSchema.safeParse({ ...res, usage: undefined }).success).toBe(
      false,
    );
    expect(
      ChatCompletionResponseSchema.safeParse({
        ...res,
        choices: [{ ...res.choices[0], message: { role: "user", content: "x" } }],
      }).success,
    ).toBe(false);
  });
});
