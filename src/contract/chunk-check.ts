// A fast structural check of a parsed chat.completion.chunk, for the streaming hot path. It accepts
// a value only if ChatCompletionChunkSchema (zod) would accept it too — it is deliberately a
// subset: where it is not sure (or the chunk is invalid) it returns false and the caller asks zod,
// which stays the authority for the verdict and names the violation. zod 4 builds a full copy of
// every value it parses (for a chunk with top_logprobs, dozens of objects and arrays), which
// at 100,000 events/s costs more than the JSON parse itself; this check allocates nothing.
// test/contract/chunk-check.test.ts checks the subset property on valid chunks and many mutations.
import type { ChatCompletionChunk } from "./schemas.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isNonNegInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const nullish = (v: unknown): v is null | undefined => v === undefined || v === null;

const FINISH = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);

function bytesOk(v: unknown): boolean {
  if (v === null) return true;
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (!Number.isInteger(b) || (b as number) < 0 || (b as number) > 255) return false;
  }
  return true;
}

function topLogprobOk(v: unknown): boolean {
  return isObj(v) && typeof v.token === "string" && isNumber(v.logprob) && bytesOk(v.bytes);
}

function tokenLogprobOk(v: unknown): boolean {
  if (!topLogprobOk(v)) return false;
  const top = (v as Obj).top_logprobs;
  if (!Array.isArray(top)) return false;
  for (let i = 0; i < top.length; i++) if (!topLogprobOk(top[i])) return false;
  return true;
}

function choiceOk(c: unknown): boolean {
  if (!isObj(c) || !isNonNegInt(c.index)) return false;
  const d = c.delta;
  if (!isObj(d)) return false;
  if (!nullish(d.role) && d.role !== "assistant") return false;
  if (!nullish(d.content) && typeof d.content !== "string") return false;
  const lp = c.logprobs;
  if (!nullish(lp)) {
    if (!isObj(lp)) return false;
    const content = lp.content;
    if (content !== null) {
      if (!Array.isArray(content)) return false;
      for (let i = 0; i < content.length; i++) if (!tokenLogprobOk(content[i])) return false;
    }
  }
  const f = c.finish_reason;
  if (!nullish(f) && !(typeof f === "string" && FINISH.has(f))) return false;
  return true;
}

function usageOk(u: unknown): boolean {
  return (
    isObj(u) &&
    isNonNegInt(u.prompt_tokens) &&
    isNonNegInt(u.completion_tokens) &&
    isNonNegInt(u.total_tokens)
  );
}

/** True only if `v` is certainly a valid chunk; false means "ask the zod schema". */
export function isValidChunkFast(v: unknown): v is ChatCompletionChunk {
  if (!isObj(v)) return false;
  if (typeof v.id !== "string" || v.object !== "chat.completion.chunk") return false;
  if (!isInt(v.created) || typeof v.model !== "string") return false;
  const choices = v.choices;
  if (!Array.isArray(choices)) return false;
  for (let i = 0; i < choices.length; i++) if (!choiceOk(choices[i])) return false;
  if (!nullish(v.usage) && !usageOk(v.usage)) return false;
  return true;
}
