import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SseEvent, SseParser } from "../../src/contract/sse.js";

const enc = new TextEncoder();

/** Feeds `bytes` split at the given offsets; returns the events and the end report. */
function feed(bytes: Uint8Array, cuts: number[] = []) {
  const p = new SseParser();
  const events: SseEvent[] = [];
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    events.push(...p.push(bytes.subarray(prev, c)));
    prev = c;
  }
  events.push(...p.push(bytes.subarray(prev)));
  return { events, end: p.end() };
}

const STREAM =
  ": keep-alive\r\n" +
  'data: {"a":"é中😀"}\r\n\r\n' +
  "event: message\rdata: line one\rdata: line two\r\r" +
  "id: 7\ndata: x\n\n" +
  ":comment\n\n" +
  "data\n\n" +
  "data: [DONE]\n\n";

const STREAM_EVENTS: SseEvent[] = [
  { data: '{"a":"é中😀"}' },
  { data: "line one\nline two", event: "message" },
  { data: "x", id: "7" },
  { data: "", id: "7" },
  { data: "[DONE]", id: "7" },
];

describe("SseParser", () => {
  it("parses LF, CRLF and CR line endings, comments, multi-line data, event and id fields", () => {
    const { events, end } = feed(enc.encode(STREAM));
    expect(events).toEqual(STREAM_EVENTS);
    expect(end.truncated).toBe(false);
  });

  it("gives the same events for a split at every byte offset (inside UTF-8, between CR and LF)", () => {
    const bytes = enc.encode(STREAM);
    for (let i = 0; i <= bytes.length; i++) {
      const { events, end } = feed(bytes, [i]);
      expect(events, `split at ${i}`).toEqual(STREAM_EVENTS);
      expect(end.truncated).toBe(false);
    }
  });

  it("gives the same events fed one byte at a time, and with empty reads in between", () => {
    const bytes = enc.encode(STREAM);
    const p = new SseParser();
    const events: SseEvent[] = [];
    for (let i = 0; i < bytes.length; i++) {
      events.push(...p.push(bytes.subarray(i, i + 1)));
      events.push(...p.push(new Uint8Array(0)));
    }
    expect(events).toEqual(STREAM_EVENTS);
    expect(p.end().truncated).toBe(false);
  });

  it("does not treat an LF after an empty read as a second line break (CR, empty read, LF)", () => {
    const p = new SseParser();
    const events = [
      ...p.push("data: a\r"),
      ...p.push(new Uint8Array(0)),
      ...p.push("\ndata: b\n\n"),
    ];
    expect(events).toEqual([{ data: "a\nb" }]);
  });

  it("returns several events completed by one read, in order", () => {
    const p = new SseParser();
    expect(p.push("data: 1\n\ndata: 2\n\ndata: 3\n\n").map((e) => e.data)).toEqual(["1", "2", "3"]);
  });

  it("strips one space after the colon only, and a leading BOM", () => {
    const { events } = feed(enc.encode("\ufeffdata:  two spaces\ndata:none\n\n"));
    expect(events).toEqual([{ data: " two spaces\nnone" }]);
  });

  it("drops a leading BOM split across reads, and only at the start", () => {
    const bytes = enc.encode("\ufeffdata: a\n\ndata: \ufeffb\n\n");
    for (let i = 0; i <= bytes.length; i++) {
      expect(feed(bytes, [i, i]).events, `split at ${i}`).toEqual([
        { data: "a" },
        { data: "\ufeffb" },
      ]);
    }
  });

  it("decodes invalid UTF-8 as U+FFFD without losing the events around it", () => {
    const bytes = new Uint8Array([
      ...enc.encode("data: a"),
      0xff,
      0xc3, // a lead byte without its continuation
      ...enc.encode("\n\ndata: b"),
      0xe2,
      0x82, // cut three-byte character, then a line break
      ...enc.encode("\n\n"),
    ]);
    for (let i = 0; i <= bytes.length; i++) {
      const { events, end } = feed(bytes, [i]);
      expect(
        events.map((e) => e.data),
        `split at ${i}`,
      ).toEqual(["a\ufffd\ufffd", "b\ufffd"]);
      expect(end.truncated).toBe(false);
    }
  });

  it("ignores unknown fields and retry, and ids with NUL", () => {
    const { events } = feed(enc.encode("retry: 10\nfoo: bar\nid: a\0b\ndata: z\n\n"));
    expect(events).toEqual([{ data: "z" }]);
  });

  it("reports a stream cut mid-event as truncated, and dispatches nothing for it", () => {
    for (const tail of [
      'data: {"partial',
      "data: complete line\n",
      "event: x\n",
      'data: "é'.slice(0, 7),
    ]) {
      const { events, end } = feed(enc.encode(`data: first\n\n${tail}`));
      expect(events).toEqual([{ data: "first" }]);
      expect(end.truncated, JSON.stringify(tail)).toBe(true);
    }
  });

  it("reports a cut inside a multi-byte character as truncated", () => {
    const bytes = enc.encode("data: 😀");
    const { events, end } = feed(bytes.subarray(0, bytes.length - 2));
    expect(events).toEqual([]);
    expect(end.truncated).toBe(true);
  });

  it("is not truncated when the stream simply ends after a complete event (no [DONE] is its business)", () => {
    const { events, end } = feed(enc.encode("data: a\n\n"));
    expect(events).toEqual([{ data: "a" }]);
    expect(end.truncated).toBe(false);
  });

  // Property: any stream of events, written with any mix of line endings and comments, parses to
  // the same events whatever the read boundaries are.
  const lineValue = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[\r\n]/.test(s));
  const eventArb = fc.record({
    data: fc.array(lineValue, { minLength: 1, maxLength: 3 }),
    event: fc.option(
      lineValue.filter((s) => s.length > 0),
      { nil: undefined },
    ),
    comment: fc.option(lineValue, { nil: undefined }),
  });
  const ending = fc.constantFrom("\n", "\r\n", "\r");

  function serialize(
    evs: { data: string[]; event?: string; comment?: string }[],
    endings: string[],
  ): string {
    const lines: string[] = [];
    for (const e of evs) {
      if (e.comment !== undefined) lines.push(`:${e.comment}`);
      if (e.event !== undefined) lines.push(`event: ${e.event}`);
      for (const d of e.data) lines.push(`data: ${d}`);
      lines.push("");
    }
    let out = "";
    let prev = "";
    lines.forEach((line, i) => {
      let end = endings[i % endings.length] as string;
      // "\r" then an empty line ended by "\n" would read as one CRLF: end that line with CRLF.
      if (prev === "\r" && line === "" && end === "\n") end = "\r\n";
      out += line + end;
      prev = end;
    });
    return out;
  }

  it("property: events survive any split into reads and any mix of line endings", () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 6 }),
        fc.array(ending, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (evs, endings, rawCuts) => {
          const bytes = enc.encode(serialize(evs, endings));
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const { events, end } = feed(bytes, cuts);
          const expected = evs.map((e) => {
            const out: SseEvent = { data: e.data.join("\n") };
            if (e.event !== undefined) out.event = e.event;
            return out;
          });
          expect(events).toEqual(expected);
          expect(end.truncated).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("property: a stream cut anywhere before its last blank line is truncated or loses the last event", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 4 }), fc.nat(), (evs, rawCut) => {
        const text = serialize(evs, ["\n"]);
        const bytes = enc.encode(text);
        const cut = rawCut % bytes.length; // strictly before the final "\n"
        const { events, end } = feed(bytes.subarray(0, cut));
        expect(events.length).toBeLessThan(evs.length);
        // Pending: a partial line, or a data/event field since the last blank line.
        const prefix = new TextDecoder().decode(bytes.subarray(0, cut));
        const lastBlank = prefix.lastIndexOf("\n\n");
        const pending = prefix.slice(lastBlank === -1 ? 0 : lastBlank + 2);
        const partialLine = prefix.length > 0 && !prefix.endsWith("\n");
        const field = pending
          .split("\n")
          .some((l) => l.startsWith("data") || l.startsWith("event"));
        expect(end.truncated).toBe(partialLine || field);
      }),
      { numRuns: 300 },
    );
  });
});
