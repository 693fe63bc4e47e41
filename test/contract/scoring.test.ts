// vLLM's /tokenize and /v1/completions (prompt_logprobs) answers as the teacher pass reads them.
// The bodies are shaped as vLLM's OpenAI server sends them (TokenizeResponse; CompletionResponse
// with choices[0].prompt_logprobs: null first, then per prompt token an object keyed by token id).
import { describe, expect, it } from "vitest";
import {
  CompletionResponseSchema,
  MAX_PROMPT_LOGPROBS,
  MAX_SCORED_TOKENS,
  TokenizeResponseSchema,
} from "../../src/contract/scoring.js";

const tokenize = { count: 3, max_model_len: 32768, tokens: [151644, 872, 198], token_strs: null };

function completion(promptLogprobs: unknown[]): unknown {
  return {
    id: "cmpl-5f3c",
    object: "text_completion",
    created: 1_736_000_000,
    model: "Qwen/Qwen2.5-72B-Instruct",
    choices: [
      {
        index: 0,
        text: " the",
        logprobs: null,
        finish_reason: "length",
        stop_reason: null,
        prompt_logprobs: promptLogprobs,
      },
    ],
    usage: {
      prompt_tokens: promptLogprobs.length,
      total_tokens: promptLogprobs.length + 1,
      completion_tokens: 1,
    },
  };
}

const position = (entries: [number, number, number][]) =>
  Object.fromEntries(
    entries.map(([id, logprob, rank]) => [String(id), { logprob, rank, decoded_token: `t${id}` }]),
  );

describe("TokenizeResponseSchema", () => {
  it("reads vLLM's answer, token_strs absent, null or listed", () => {
    expect(TokenizeResponseSchema.parse(tokenize).tokens).toEqual([151644, 872, 198]);
    const { token_strs: _, ...bare } = tokenize;
    expect(TokenizeResponseSchema.parse(bare).count).toBe(3);
    const strs = { ...tokenize, token_strs: ["<|im_start|>", "user", "\n"] };
    expect(TokenizeResponseSchema.parse(strs).token_strs).toHaveLength(3);
  });

  it("rejects a count that is not the tokens', ids that are not ids, and too many tokens", () => {
    const bad = (x: unknown) => TokenizeResponseSchema.safeParse(x).success;
    expect(bad({ ...tokenize, count: 4 })).toBe(false);
    expect(bad({ ...tokenize, tokens: [1, -2, 3] })).toBe(false);
    expect(bad({ ...tokenize, tokens: [1, 2.5, 3] })).toBe(false);
    expect(bad({ ...tokenize, token_strs: ["a"] })).toBe(false);
    const many = Array.from({ length: MAX_SCORED_TOKENS + 1 }, () => 1);
    expect(bad({ ...tokenize, count: many.length, tokens: many })).toBe(false);
  });
});

describe("CompletionResponseSchema", () => {
  const ok = [
    null,
    position([
      [872, -3.25, 4],
      [9707, -0.5, 1],
    ]),
    position([[198, -0.01, 1]]),
  ];

  it("reads prompt_logprobs: null first, then entries keyed by token id", () => {
    const r = CompletionResponseSchema.parse(completion(ok));
    const pl = r.choices[0]?.prompt_logprobs;
    expect(pl?.[0]).toBeNull();
    expect(pl?.[1]?.["872"]).toEqual({ logprob: -3.25, rank: 4, decoded_token: "t872" });
    // vLLM clamps −inf to −9999 for JSON; decoded_token may be null.
    const clamped = [null, { "5": { logprob: -9999, rank: 151_000, decoded_token: null } }];
    expect(CompletionResponseSchema.safeParse(completion(clamped)).success).toBe(true);
  });

  it("rejects a list not starting with null, empty or oversized positions, and bad keys", () => {
    const bad = (pl: unknown[]) => CompletionResponseSchema.safeParse(completion(pl)).success;
    expect(bad(ok.slice(1))).toBe(false);
    expect(bad([null, {}])).toBe(false);
    expect(bad([null, null])).toBe(false);
    const wide = position(
      Array.from({ length: MAX_PROMPT_LOGPROBS + 2 }, (_, k): [number, number, number] => [
        k,
        -k,
        k + 1,
      ]),
    );
    expect(bad([null, wide])).toBe(false);
    expect(bad([null, { x1: { logprob: -1, rank: 1 } }])).toBe(false);
    expect(bad([null, { "01": { logprob: -1, rank: 1 } }])).toBe(false);
    expect(bad([null, { "1": { logprob: -1, rank: 0 } }])).toBe(false);
    expect(bad([null, { "1": { logprob: "-1", rank: 1 } }])).toBe(false);
    const long = Array.from({ length: MAX_SCORED_TOKENS + 1 }, () => null);
    expect(bad(long)).toBe(false);
  });

  it("needs exactly one choice and the completion's envelope", () => {
    const r = completion(ok) as { choices: unknown[]; object: string };
    expect(CompletionResponseSchema.safeParse({ ...r, choices: [] }).success).toBe(false);
    expect(
      CompletionResponseSchema.safeParse({ ...r, choices: [r.choices[0], r.choices[0]] }).success,
    ).toBe(false);
    expect(CompletionResponseSchema.safeParse({ ...r, object: "chat.completion" }).success).toBe(
      false,
    );
  });
});
