// Reads a chat-completion SSE stream: parses each event's JSON with the chunk schema and gathers
// the generated text, the logprobs entries, the finish reason and the usage. A contract violation
// is an error with a kind, so a caller can record why a stream was rejected.

import { formatBytes } from "./limits.js";
import {
  type ChatCompletionChunk,
  ChatCompletionChunkSchema,
  type FinishReason,
  type TokenLogprob,
  type Usage,
} from "./schemas.js";
import { SseParser, SseTooLarge } from "./sse.js";

export const STREAM_FAILURE_KINDS = [
  "bad_json",
  "bad_chunk",
  "error_event",
  "after_done",
  "truncated",
  "missing_done",
  "too_large",
] as const;
export type StreamFailureKind = (typeof STREAM_FAILURE_KINDS)[number];

export class StreamError extends Error {
  constructor(
    readonly kind: StreamFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface StreamStep {
  /** Generated text this read added (the concatenated `delta.content` of its events). */
  text: string;
  /** logprobs entries this read added. */
  tokens: number;
}

/** vLLM reports mid-stream failures as `data: {"error": …}`. */
function isErrorEvent(v: unknown): boolean {
  return typeof v === "object" && v !== null && "error" in v;
}

/** Caps on one SSE line and one event's data, in bytes (src/contract/limits.ts). */
export interface StreamLimits {
  maxSseLineBytes: number;
  maxSseEventBytes: number;
}

export class ChatStreamReader {
  private readonly parser: SseParser;
  text = "";
  /**
   * Every read of the body, kept so that `logprobs` can be parsed when first asked for, after the
   * stream. A long stream's logprobs are thousands of small objects, and keeping them while the
   * stream runs makes the garbage collector trace and copy them over and over; the reads are
   * Buffers, whose bytes live off the JS heap. The caller must not reuse a buffer it pushed.
   */
  private readonly reads: (Uint8Array | string)[] = [];
  /** Events that passed validation: `logprobs` reads no further. */
  private validEvents = 0;
  private logprobsCache: TokenLogprob[] = [];
  private logprobsCacheEvents = 0;
  /** Number of logprobs entries so far. */
  tokens = 0;
  finishReason: FinishReason | null = null;
  usage: Usage | null = null;
  completionId: string | null = null;
  done = false;
  events = 0;

  constructor(limits?: StreamLimits) {
    this.parser = new SseParser(
      limits
        ? { maxLineBytes: limits.maxSseLineBytes, maxEventBytes: limits.maxSseEventBytes }
        : {},
    );
  }

  /**
   * Feeds one read of the body. Returns how much generated text and how many tokens it carried, so
   * the caller can time the first non-empty token. Throws StreamError on a contract violation.
   */
  push(chunk: Uint8Array | string): StreamStep {
    let text = "";
    let tokens = 0;
    this.reads.push(chunk);
    for (const ev of this.parseRead(chunk)) {
      this.events++;
      if (this.done) throw new StreamError("after_done", "data after [DONE]");
      if (ev.data === "[DONE]") {
        this.done = true;
        this.validEvents = this.events;
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        throw new StreamError("bad_json", `event is not JSON: ${clip(ev.data)}`);
      }
      if (isErrorEvent(json)) {
        throw new StreamError("error_event", `server sent an error event: ${clip(ev.data)}`);
      }
      const c = validateChunk(json);
      this.completionId ??= c.id;
      let carried = 0;
      if (c.usage) this.usage = c.usage;
      for (const choice of c.choices) {
        if (choice.index !== 0)
          throw new StreamError("bad_chunk", `unexpected choice index ${choice.index}`);
        const content = choice.delta.content;
        if (content) {
          this.text += content;
          text += content;
        }
        const entries = choice.logprobs?.content;
        if (entries && entries.length > 0) {
          carried += entries.length;
        }
        if (choice.finish_reason) this.finishReason = choice.finish_reason;
      }
      tokens += carried;
      this.validEvents = this.events;
    }
    this.tokens += tokens;
    return { text, tokens };
  }

  private parseRead(chunk: Uint8Array | string) {
    try {
      return this.parser.push(chunk);
    } catch (err) {
      if (!(err instanceof SseTooLarge)) throw err;
      const cap = err.what === "line" ? "limits.maxSseLineBytes" : "limits.maxSseEventBytes";
      throw new StreamError(
        "too_large",
        `an SSE ${err.what} is over the ${formatBytes(err.limit)} cap (${cap})`,
      );
    }
  }

  /** Every `logprobs.content` entry so far, in order (each event was validated when it came). */
  get logprobs(): TokenLogprob[] {
    if (this.logprobsCacheEvents === this.validEvents) return this.logprobsCache;
    const out: TokenLogprob[] = [];
    // No caps here: these reads passed them, and parsing stops at the last valid event.
    const parser = new SseParser();
    let seen = 0;
    reading: for (const read of this.reads) {
      for (const ev of parser.push(read)) {
        if (++seen > this.validEvents) break reading;
        if (ev.data === "[DONE]") continue;
        const chunk = JSON.parse(ev.data) as ChatCompletionChunk;
        for (const choice of chunk.choices) {
          for (const e of choice.logprobs?.content ?? []) {
            out.push({
              token: e.token,
              logprob: e.logprob,
              bytes: e.bytes,
              top_logprobs: e.top_logprobs.map((t) => ({
                token: t.token,
                logprob: t.logprob,
                bytes: t.bytes,
              })),
            });
          }
        }
      }
    }
    this.logprobsCache = out;
    this.logprobsCacheEvents = this.validEvents;
    return out;
  }

  /**
   * Lets go of the reads (a failed stream's logprobs are never used): what a failed request holds
   * until its phase ends is then its text, not every byte the server sent. `logprobs` is then [].
   */
  discard(): void {
    this.reads.length = 0;
    this.validEvents = 0;
    this.logprobsCache = [];
    this.logprobsCacheEvents = 0;
  }

  /** The body ended: throws if the last event was cut or [DONE] never came. */
  end(): void {
    const { truncated } = this.parser.end();
    if (truncated) throw new StreamError("truncated", "stream ended inside an event");
    if (!this.done) throw new StreamError("missing_done", "stream ended without data: [DONE]");
  }
}

/** Every event goes through the zod chunk schema: the chunk, or a bad_chunk error naming the field. */
function validateChunk(json: unknown): ChatCompletionChunk {
  const parsed = ChatCompletionChunkSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StreamError(
      "bad_chunk",
      `chunk breaks the schema at ${issue?.path.join(".") || "<root>"}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

export function clip(s: string, n = 120): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}
