// The fast chunk check must never accept what the zod schema rejects (it may defer to zod on
// anything), and must accept the ordinary valid chunks (or it would not be fast).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidChunkFast } from "../../src/contract/chunk-check.js";
import { ChatCompletionChunkSchema } from "../../src/contract/schemas.js";

const byte = fc.integer({ min: 0, max: 255 });
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const top = fc.record({
  token: fc.string(),
  logprob: num,
  bytes: fc.option(fc.array(byte, { maxLength: 6 }), { nil: null }),
});
const entry = fc.record({
  token: fc.string(),
  logprob: num,
  bytes: fc.option(fc.array(byte, { maxLength: 6 }), { nil: null }),
  top_logprobs: fc.array(top, { maxLength: 4 }),
});
const finish = fc.constantFrom("stop", "length", "tool_calls", "content_filter", "function_call");
const choice = fc.record(
  {
    index: fc.nat(),
    delta: fc.record(
      { role: fc.constantFrom(null, "assistant"), content: fc.option(fc.string(), { nil: null }) },
      { requiredKeys: [] },
    ),
    logprobs: fc.option(
      fc.record({ content: fc.option(fc.array(entry, { maxLength: 3 }), { nil: null }) }),
      { nil: null },
    ),
    finish_reason: fc.option(finish, { nil: null }),
  },
  { requiredKeys: ["index", "delta"] },
);
const usage = fc.record({
  prompt_tokens: fc.nat(),
  completion_tokens: fc.nat(),
  total_tokens: fc.nat(),
});
const validChunk = fc.record(
  {
    id: fc.string(),
    object: fc.constant("chat.completion.chunk"),
    created: fc.integer(),
    model: fc.string(),
    choices: fc.array(choice, { maxLength: 2 }),
    usage: fc.option(usage, { nil: null }),
    extra: fc.jsonValue(),
  },
  { requiredKeys: ["id", "object", "created", "model", "choices"] },
);

const odd = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 1.5, 256, 2 ** 60, "", "x", "assistant", "length", null, [], {}, true, false),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) paths(x, [...at, i], out);
  } else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutate(v: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const [head, ...rest] = path;
  if (Array.isArray(v)) {
    const copy = [...v];
    if (rest.length === 0 && value === undefined) copy.splice(head as number, 1);
    else copy[head as number] = mutate(copy[head as number] as Json, rest, value);
    return copy;
  }
  const copy = { ...(v as Record<string, Json>) };
  if (rest.length === 0 && value === undefined) delete copy[head as string];
  else copy[head as string] = mutate(copy[head as string] as Json, rest, value);
  return copy;
}

const zodOk = (v: unknown) => ChatCompletionChunkSchema.safeParse(v).success;

describe("isValidChunkFast", () => {
  it("accepts every valid chunk (as JSON would deliver it)", () => {
    fc.assert(
      fc.property(validChunk, (c) => {
        const v = JSON.parse(JSON.stringify(c)) as unknown;
        expect(zodOk(v)).toBe(true);
        expect(isValidChunkFast(v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never accepts a mutated chunk that zod rejects", () => {
    fc.assert(
      fc.property(validChunk, fc.nat(), fc.option(odd, { nil: undefined }), (c, pick, value) => {
        const v = JSON.parse(JSON.stringify(c)) as Json;
        const all = paths(v);
        const path = all[pick % all.length] as (string | number)[];
        const m = mutate(v, path, value as Json | undefined);
        if (isValidChunkFast(m)) expect(zodOk(m), JSON.stringify({ path, value })).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ["a number as content", { delta: { content: 1 } }],
    [
      "a byte of 256",
      { logprobs: { content: [{ token: "a", logprob: 0, bytes: [256], top_logprobs: [] }] } },
    ],
    [
      "a missing top_logprobs",
      { logprobs: { content: [{ token: "a", logprob: 0, bytes: null }] } },
    ],
    ["an unknown finish reason", { finish_reason: "eos" }],
    ["a negative index", { index: -1 }],
    ["a user role", { delta: { role: "user" } }],
  ])("rejects %s, as zod does", (_, patch) => {
    const c = {
      id: "x",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: {}, ...patch }],
    };
    expect(isValidChunkFast(c)).toBe(false);
    expect(zodOk(c)).toBe(false);
  });
});
