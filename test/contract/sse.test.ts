import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SseEvent, type SseLimits, SseParser, SseTooLarge } from "../../src/contract/sse.js";

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

/** The events of `bytes` fed at `cuts`, or the cap that stopped the parser. */
function outcome(bytes: Uint8Array, cuts: number[], limits: SseLimits) {
  const p = new SseParser(limits);
  const events: SseEvent[] = [];
  let prev = 0;
  try {
    for (const c of [...cuts, bytes.length].sort((a, b) => a - b)) {
      events.push(...p.push(bytes.subarray(prev, c)));
      prev = c;
    }
    return { events, truncated: p.end().truncated };
  } catch (err) {
    if (!(err instanceof SseTooLarge)) throw err;
    return { tooLarge: err.what, limit: err.limit };
  }
}

describe("SseParser on long lines (linear work)", () => {
  const KiB = 1024;
  const MiB = 1024 * KiB;

  /** Feeds `data: xxx…` (n bytes of x) in `size`-byte reads, then a blank line; returns the parser. */
  function feedLongLine(n: number, size: number) {
    const p = new SseParser();
    const piece = Buffer.alloc(size, "x");
    const events: SseEvent[] = [...p.push("data: ")];
    for (let sent = 0; sent < n; sent += size)
      events.push(...p.push(piece.subarray(0, Math.min(size, n - sent))));
    events.push(...p.push("\n\n"));
    return { p, events };
  }

  it("scans and copies each character a bounded number of times, however small the reads", () => {
    const one = feedLongLine(1 * MiB, 1 * KiB);
    const two = feedLongLine(2 * MiB, 1 * KiB);
    expect(one.events).toHaveLength(1);
    expect(one.events[0]?.data.length).toBe(1 * MiB);
    expect(two.events[0]?.data.length).toBe(2 * MiB);
    // Each character is scanned once and copied once when the line is joined.
    expect(one.p.scanned).toBeLessThanOrEqual(2 * (1 * MiB + 16));
    expect(two.p.scanned).toBeLessThanOrEqual(2 * (2 * MiB + 16));
    const ratio = two.p.scanned / one.p.scanned;
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.1);
    // Reads 16 times smaller do no more work.
    expect(feedLongLine(1 * MiB, 64).p.scanned).toBe(one.p.scanned);
  });

  it("parses a 32 MiB line sent in 16 KiB reads in seconds (a re-scanning parser takes minutes)", () => {
    const t0 = performance.now();
    const { events } = feedLongLine(32 * MiB, 16 * KiB);
    const ms = performance.now() - t0;
    expect(events[0]?.data.length).toBe(32 * MiB);
    // Linear: about 0.1 s here. Re-scanning the pending line on every read is ~2048 × 16 MiB of
    // work on average (tens of seconds); the bound is loose so a loaded machine does not flake.
    expect(ms).toBeLessThan(8_000);
  });

  // Property: with lines long enough to span many reads, multi-byte characters and every line
  // ending, the events (and the truncation report) do not depend on where the reads are cut.
  const longValue = fc
    .array(fc.constantFrom("a", "é", "中", "😀", " ", ":", "{"), { maxLength: 3000 })
    .map((cs) => cs.join(""));
  const lineArb = fc.oneof(
    longValue.map((v) => `data: ${v}`),
    longValue.map((v) => `:${v}`),
    longValue.map((v) => `event: x${v}`),
    fc.constant(""),
  );
  const endingArb = fc.constantFrom("\n", "\r\n", "\r");
  const streamArb = fc
    .array(fc.tuple(lineArb, endingArb), { minLength: 1, maxLength: 12 })
    .chain((lines) =>
      fc.tuple(fc.constant(lines), fc.boolean(), fc.option(longValue, { nil: undefined })),
    )
    .map(([lines, bom, tail]) => {
      const body = lines.map(([l, e]) => l + e).join("");
      return enc.encode(`${bom ? "\ufeff" : ""}${body}${tail ?? ""}`);
    });

  it("property: long lines parse the same whatever the reads, and the work stays linear", () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40 }), (bytes, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        const whole = outcome(bytes, [], {});
        const split = outcome(bytes, cuts, {});
        expect(split).toEqual(whole);
        const p = new SseParser();
        let prev = 0;
        for (const c of [...cuts, bytes.length].sort((a, b) => a - b)) {
          p.push(bytes.subarray(prev, c));
          prev = c;
        }
        // A UTF-16 unit is at least one byte: scanning plus one join per line.
        expect(p.scanned).toBeLessThanOrEqual(2 * bytes.length);
      }),
      { numRuns: 200 },
    );
  });

  it("property: whether a line or event cap stops the stream does not depend on the reads", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6000 }),
        fc.integer({ min: 1, max: 9000 }),
        (bytes, rawCuts, maxLineBytes, maxEventBytes) => {
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const limits = { maxLineBytes, maxEventBytes };
          expect(outcome(bytes, cuts, limits)).toEqual(outcome(bytes, [], limits));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("SseParser caps", () => {
  it("stops an unterminated line as soon as its bytes pass the line cap, read by read", () => {
    const p = new SseParser({ maxLineBytes: 64 * 1024 });
    const piece = "x".repeat(1024);
    let pushes = 0;
    expect(() => {
      for (; pushes < 1000; pushes++) p.push(piece);
    }).toThrow(SseTooLarge);
    // 64 reads reach the cap exactly; the 65th (index 64) passes it.
    expect(pushes).toBe(64);
    expect(() => p.push("\n\n")).toThrow(/line is over the 65536-byte cap/);
  });

  it("counts a line's UTF-8 bytes, not its characters", () => {
    const limits = { maxLineBytes: 2000 };
    expect(new SseParser(limits).push(`data: ${"é".repeat(997)}\n\n`)).toHaveLength(1);
    expect(() => new SseParser(limits).push(`data: ${"é".repeat(998)}\n\n`)).toThrow(SseTooLarge);
    // Comment lines count too: they are kept until they end.
    expect(() => new SseParser(limits).push(`:${"x".repeat(2000)}\n`)).toThrow(SseTooLarge);
  });

  it("stops endless data lines at the event cap, and counts each event afresh", () => {
    const limits = { maxLineBytes: 1024, maxEventBytes: 8 * 1024 };
    const line = `data: ${"y".repeat(99)}\n`; // 100 bytes of data per line, "\n" between them
    const ok = new SseParser(limits);
    // 81 lines: 81 × 99 + 80 = 8099 bytes of data; then a blank line; a hundred such events.
    for (let i = 0; i < 100; i++) expect(ok.push(`${line.repeat(81)}\n`)).toHaveLength(1);
    const endless = new SseParser(limits);
    let lines = 0;
    expect(() => {
      for (; lines < 10_000; lines++) endless.push(line);
    }).toThrow(/event is over the 8192-byte cap/);
    // 81 lines fit (8099 bytes); the 82nd (index 81) makes 8199.
    expect(lines).toBe(81);
    expect(() => endless.push("\n")).toThrow(SseTooLarge);
  });
});
