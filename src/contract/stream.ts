// Reads a chat-completion SSE stream: parses each event's JSON with the chunk schema and gathers
// the generated text, the logprobs entries, the finish reason and the usage. A contract violation
// is an error with a kind, so a caller can record why a stream was rejected.

import {
  ChatCompletionChunkSchema,
  type FinishReason,
  type TokenLogprob,
  type Usage,
} from "./schemas.js";
import { SseParser } from "./sse.js";

export type StreamFailureKind =
  | "bad_json"
  | "bad_chunk"
  | "error_event"
  | "after_done"
  | "truncated"
  | "missing_done";

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

export class ChatStreamReader {
  private readonly parser = new SseParser();
  text = "";
  readonly logprobs: TokenLogprob[] = [];
  finishReason: FinishReason | null = null;
  usage: Usage | null = null;
  completionId: string | null = null;
  done = false;
  events = 0;

  /**
   * Feeds one read of the body. Returns how much generated text and how many tokens it carried, so
   * the caller can time the first non-empty token. Throws StreamError on a contract violation.
   */
  push(chunk: Uint8Array | string): StreamStep {
    let text = "";
    let tokens = 0;
    for (const ev of this.parser.push(chunk)) {
      this.events++;
      if (this.done) throw new StreamError("after_done", "data after [DONE]");
      if (ev.data === "[DONE]") {
        this.done = true;
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
      const parsed = ChatCompletionChunkSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StreamError(
          "bad_chunk",
          `chunk breaks the schema at ${issue?.path.join(".") || "<root>"}: ${issue?.message}`,
        );
      }
      const c = parsed.data;
      this.completionId ??= c.id;
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
        if (entries) {
          for (const e of entries) this.logprobs.push(e);
          tokens += entries.length;
        }
        if (choice.finish_reason) this.finishReason = choice.finish_reason;
      }
    }
    return { text, tokens };
  }

  /** The body ended: throws if the last event was cut or [DONE] never came. */
  end(): void {
    const { truncated } = this.parser.end();
    if (truncated) throw new StreamError("truncated", "stream ended inside an event");
    if (!this.done) throw new StreamError("missing_done", "stream ended without data: [DONE]");
  }
}

export function clip(s: string, n = 120): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}
