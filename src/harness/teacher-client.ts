// The teacher's two calls (DESIGN §2.2 step 4), exactly as vLLM's OpenAI server takes them: the
// rendered chat prompt's token ids (`POST /tokenize` with `messages` and `add_generation_prompt`),
// and a token-id sequence scored by a prefill (`POST /v1/completions` with `prompt_logprobs: k`,
// `max_tokens: 1`, `temperature: 0`). Each call has a deadline and a byte cap and is checked by the
// contract's schemas; anything else fails with TeacherError and a one-line reason.
import type { Dispatcher } from "undici";
import type { z } from "zod";
import { fetchJson } from "../contract/http.js";
import type { ChatMessage } from "../contract/schemas.js";
import {
  CompletionResponseSchema,
  MAX_PROMPT_LOGPROBS,
  type PromptLogprobs,
  TokenizeResponseSchema,
} from "../contract/scoring.js";

export class TeacherError extends Error {}

export interface TeacherClientOptions {
  dispatcher: Dispatcher;
  origin: string;
  model: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

const KiB = 1024;
/** Bytes one scored position may take in an honest answer: up to k + 1 entries of about 70 bytes
 *  (`"151645":{"logprob":-12.345678901234567,"rank":12345,"decoded_token":"…"}`), with room. */
const POSITION_ENTRY_BYTES = 256;

export class TeacherClient {
  constructor(private readonly o: TeacherClientOptions) {}

  private async post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    maxBytes: number,
  ): Promise<z.infer<S>> {
    const r = await fetchJson(
      `${this.o.origin}${path}`,
      schema,
      { method: "POST", body, timeoutMs: this.o.timeoutMs, maxBytes, capName: "the teacher's cap" },
      this.o.dispatcher,
    );
    if (!r.ok) throw new TeacherError(`POST ${path}: ${r.reason}`);
    return r.value;
  }

  /** The token ids of the chat prompt as the teacher renders it for generation. */
  async tokenize(messages: readonly ChatMessage[]): Promise<number[]> {
    const r = await this.post(
      "/tokenize",
      { model: this.o.model, messages, add_generation_prompt: true },
      TokenizeResponseSchema,
      // A prompt's ids, and its token strings if the server adds them anyway.
      64 * KiB + messagesChars(messages) * 64,
    );
    return r.tokens;
  }

  /** The teacher's prompt_logprobs over `ids`: null first, then one position per token after it. */
  async score(ids: readonly number[], k: number): Promise<PromptLogprobs> {
    if (!(Number.isInteger(k) && k >= 1 && k <= MAX_PROMPT_LOGPROBS))
      throw new TeacherError(`prompt_logprobs must be 1 to ${MAX_PROMPT_LOGPROBS}, not ${k}`);
    const r = await this.post(
      "/v1/completions",
      { model: this.o.model, prompt: ids, prompt_logprobs: k, max_tokens: 1, temperature: 0 },
      CompletionResponseSchema,
      64 * KiB + ids.length * (k + 1) * POSITION_ENTRY_BYTES,
    );
    const lps = r.choices[0]?.prompt_logprobs ?? [null];
    if (lps.length !== ids.length)
      throw new TeacherError(
        `POST /v1/completions: prompt_logprobs has ${lps.length} entries for a prompt of ${ids.length} tokens`,
      );
    return lps;
  }
}

function messagesChars(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages)
    n +=
      typeof m.content === "string"
        ? m.content.length
        : (m.content ?? []).reduce((s, p) => s + p.text.length, 0);
  return n;
}
