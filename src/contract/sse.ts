// Incremental Server-Sent Events parser (WHATWG "event stream interpretation"). Bytes may arrive
// split anywhere (inside a UTF-8 character, between CR and LF, mid-field); several events may share
// one read. Lines starting with ':' are comments (keep-alives). An unterminated event at the end of
// the stream is not dispatched; `end()` reports it so the caller can name a cut stream. Work is
// linear in the bytes fed, however the reads split the lines; optional caps on the bytes of a line
// and of an event bound what one stream can make the parser hold.

export interface SseEvent {
  /** The `data:` lines of the event joined with "\n". */
  data: string;
  /** The `event:` field, if any. */
  event?: string;
  id?: string;
}

export interface SseEnd {
  /** Bytes or fields were pending when the stream ended: the last event was cut. */
  truncated: boolean;
}

export interface SseLimits {
  /** Bytes of one line, its terminator excluded (default: none). */
  maxLineBytes?: number;
  /** Bytes of one event's data: its `data:` values joined with "\n" (default: none). */
  maxEventBytes?: number;
}

/** A line or an event went past its cap: the parser takes no more input. */
export class SseTooLarge extends Error {
  constructor(
    readonly what: "line" | "event",
    readonly limit: number,
  ) {
    super(`an SSE ${what} is over the ${limit}-byte cap`);
  }
}

const LF = 10;

export class SseParser {
  /** Bytes of a UTF-8 character cut by the end of the previous read. */
  private partial: Uint8Array | null = null;
  /** Nothing decoded yet: a leading BOM is still to be dropped. */
  private atStart = true;
  /**
   * The pieces of a line that no read has ended yet, one per read, and their UTF-8 bytes. Only a
   * read's own text is scanned for line breaks and the pieces are joined once, when the line ends,
   * so a line that arrives in many reads costs time linear in its length.
   */
  private pending: string[] = [];
  /** UTF-8 bytes of `pending`: an upper bound (3 per UTF-16 unit) until that could pass the cap. */
  private pendingBytes = 0;
  private pendingExact = false;
  /** The previous read ended in CR, so a leading LF in the next one belongs to that line break. */
  private skipLeadingLf = false;
  private data: string[] = [];
  /** UTF-8 bytes of `data` joined with "\n", counted like `pendingBytes`. */
  private dataBytes = 0;
  private dataExact = false;
  private eventType: string | undefined;
  private lastId: string | undefined;
  private sawField = false;
  private failure: SseTooLarge | null = null;
  private readonly maxLine: number;
  private readonly maxEvent: number;
  /** Characters scanned for line breaks or copied to join a line: linear in the input (tests). */
  scanned = 0;

  constructor(limits: SseLimits = {}) {
    this.maxLine = limits.maxLineBytes ?? Number.POSITIVE_INFINITY;
    this.maxEvent = limits.maxEventBytes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Feeds one read; returns the events it completed, in order. Throws SseTooLarge once a line or
   * an event is past its cap (and on every later call).
   */
  push(chunk: Uint8Array | string): SseEvent[] {
    if (this.failure) throw this.failure;
    let text = typeof chunk === "string" ? chunk : this.decode(chunk);
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // An empty read (or one that only holds part of a UTF-8 character) says nothing about the LF.
    if (this.skipLeadingLf && text.length > 0) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    const len = text.length;
    this.scanned += len;
    const events: SseEvent[] = [];
    // The next LF and CR at or after `start` (-1: none left); each search moves forward only.
    let lf = text.indexOf("\n");
    let cr = text.indexOf("\r");
    let start = 0;
    for (;;) {
      let end: number;
      let next: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
      } else if (cr !== -1) {
        end = cr;
        if (cr + 1 === len) {
          this.skipLeadingLf = true;
          next = len;
        } else {
          next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        }
      } else {
        break;
      }
      let line: string;
      if (this.pending.length > 0) {
        this.addPending(text.slice(start, end));
        line = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join("");
        this.scanned += line.length;
        this.pending = [];
        this.pendingBytes = 0;
        this.pendingExact = false;
      } else {
        line = text.slice(start, end);
        // A UTF-16 unit is at most 3 UTF-8 bytes: count bytes only for a line that could be over.
        if (line.length * 3 > this.maxLine) this.checkLine(Buffer.byteLength(line));
      }
      const ev = this.line(line);
      if (ev) events.push(ev);
      start = next;
      if (lf !== -1 && lf < start) lf = text.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
    }
    if (start < len) {
      this.addPending(start === 0 ? text : text.slice(start));
    }
    return events;
  }

  /** Adds a piece of the line that is still open, and checks the line cap. */
  private addPending(piece: string): void {
    this.pending.push(piece);
    if (this.pendingExact) {
      this.pendingBytes += Buffer.byteLength(piece);
    } else {
      this.pendingBytes += piece.length * 3;
      if (this.pendingBytes <= this.maxLine) return;
      // It could be over: count exactly, once, and from now on piece by piece.
      this.pendingExact = true;
      this.pendingBytes = 0;
      for (const p of this.pending) this.pendingBytes += Buffer.byteLength(p);
    }
    this.checkLine(this.pendingBytes);
  }

  private checkLine(bytes: number): void {
    if (bytes > this.maxLine) this.fail("line", this.maxLine);
  }

  private fail(what: "line" | "event", limit: number): never {
    this.failure = new SseTooLarge(what, limit);
    this.pending = [];
    this.data = [];
    throw this.failure;
  }

  /**
   * UTF-8 → string, keeping a character cut at the end of the read for the next one. (Buffer's
   * decoder is several times faster than TextDecoder on short reads; invalid bytes become U+FFFD
   * in both.)
   */
  private decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.partial) {
      bytes = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let end = bytes.length;
    let i = end - 1;
    while (i >= 0 && end - i < 4 && ((bytes[i] as number) & 0xc0) === 0x80) i--;
    if (i >= 0) {
      const lead = bytes[i] as number;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (lead < 0xf8 && end - i < need) {
        this.partial = bytes.slice(i);
        end = i;
      }
    }
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return buf.toString("utf8", 0, end);
  }

  /** Ends the stream and reports whether an event (or a character) was left unterminated. */
  end(): SseEnd {
    const truncated = this.pending.length > 0 || this.sawField || this.partial !== null;
    this.partial = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingExact = false;
    this.data = [];
    this.dataBytes = 0;
    this.dataExact = false;
    this.sawField = false;
    return { truncated };
  }

  private line(line: string): SseEvent | undefined {
    if (line.length === 0) return this.dispatch();
    if (line.charCodeAt(0) === 58 /* : */) return undefined;
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case "data":
        this.data.push(value);
        this.countData(value);
        this.sawField = true;
        break;
      case "event":
        this.eventType = value;
        this.sawField = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields carry nothing the contract uses.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    this.sawField = false;
    if (this.data.length === 0) {
      this.eventType = undefined;
      return undefined;
    }
    const ev: SseEvent = {
      data: this.data.length === 1 ? (this.data[0] as string) : this.data.join("\n"),
    };
    if (this.eventType !== undefined) ev.event = this.eventType;
    if (this.lastId !== undefined) ev.id = this.lastId;
    this.data = [];
    this.dataBytes = 0;
    this.dataExact = false;
    this.eventType = undefined;
    return ev;
  }

  /** Counts a data value just added (and the "\n" joining it), and checks the event cap. */
  private countData(value: string): void {
    const sep = this.data.length > 1 ? 1 : 0;
    if (this.dataExact) {
      this.dataBytes += sep + Buffer.byteLength(value);
    } else {
      this.dataBytes += sep + value.length * 3;
      if (this.dataBytes <= this.maxEvent) return;
      this.dataExact = true;
      this.dataBytes = this.data.length - 1;
      for (const d of this.data) this.dataBytes += Buffer.byteLength(d);
    }
    if (this.dataBytes > this.maxEvent) this.fail("event", this.maxEvent);
  }
}
