import { describe, expect, it } from "vitest";
import { ChatStreamReader, StreamError } from "../../src/contract/stream.js";

const ev = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
const chunk = (content: string | null, extra: Record<string, unknown> = {}) => ({
  id: "c1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [
    {
      index: 0,
      delta: content === null ? { role: "assistant" } : { content },
      logprobs:
        content === null || content === ""
          ? null
          : { content: [{ token: content, logprob: -1, bytes: null, top_logprobs: [] }] },
      finish_reason: null,
      ...extra,
    },
  ],
});

function kindOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StreamError) return err.kind;
    throw err;
  }
  return undefined;
}

describe("ChatStreamReader", () => {
  it("gathers text, logprobs, finish reason and usage, and reports per-read steps", () => {
    const r = new ChatStreamReader();
    expect(r.push(ev(chunk(null)))).toEqual({ text: "", tokens: 0 });
    expect(r.push(ev(chunk(" a")) + ev(chunk(" b")))).toEqual({ text: " a b", tokens: 2 });
    r.push(ev(chunk("", { finish_reason: "length" })));
    r.push(
      ev({
        ...chunk(""),
        choices: [],
        usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      }),
    );
    r.push("data: [DONE]\n\n");
    r.end();
    expect(r.text).toBe(" a b");
    expect(r.logprobs.map((e) => e.token)).toEqual([" a", " b"]);
    expect(r.finishReason).toBe("length");
    expect(r.usage?.completion_tokens).toBe(2);
    expect(r.completionId).toBe("c1");
  });

  it.each([
    ["bad_json", ["data: {not json\n\n"]],
    ["bad_chunk", [ev({ object: "nope" })]],
    ["bad_chunk", [ev(chunk(" a", { index: 1 }))]],
    ["error_event", [ev({ error: { message: "boom" } })]],
    ["after_done", ["data: [DONE]\n\n", ev(chunk(" a"))]],
  ])("names a %s violation", (kind, reads) => {
    const r = new ChatStreamReader();
    expect(
      kindOf(() => {
        for (const x of reads) r.push(x);
      }),
    ).toBe(kind);
  });

  it("gives the logprobs entries of the events read so far, also when read mid-stream", () => {
    const r = new ChatStreamReader();
    r.push(ev(chunk(" a")));
    expect(r.logprobs.map((e) => e.token)).toEqual([" a"]);
    r.push(ev(chunk(" b")) + ev(chunk(" c")));
    expect(r.logprobs.map((e) => e.token)).toEqual([" a", " b", " c"]);
    expect(r.tokens).toBe(3);
    expect(r.logprobs[0]).toEqual({ token: " a", logprob: -1, bytes: null, top_logprobs: [] });
  });

  it("names a cut stream and a missing [DONE] at the end", () => {
    const cut = new ChatStreamReader();
    cut.push(ev(chunk(" a")).slice(0, 30));
    expect(kindOf(() => cut.end())).toBe("truncated");
    const noDone = new ChatStreamReader();
    noDone.push(ev(chunk(" a")));
    expect(kindOf(() => noDone.end())).toBe("missing_done");
  });
});
