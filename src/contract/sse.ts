// Incremental Server-Sent Events parser (WHATWG "event stream interpretation"). Bytes may arrive
// split anywhere (inside a UTF-8 character, between CR and LF, mid-field); several events may share
// one read. Lines starting with ':' are comments (keep-alives). An unterminated event at the end of
// the stream is not dispatched; `end()` reports it so the caller can name a cut stream.

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

export class SseParser {
  /** Bytes of a UTF-8 character cut by the end of the previous read. */
  private partial: Uint8Array | null = null;
  /** Nothing decoded yet: a leading BOM is still to be dropped. */
  private atStart = true;
  private buffer = "";
  /** The previous read ended in CR, so a leading LF in the next one belongs to that line break. */
  private skipLeadingLf = false;
  private data: string[] = [];
  private eventType: string | undefined;
  private lastId: string | undefined;
  private sawField = false;

  /** Feeds one read; returns the events it completed, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.decode(chunk);
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // An empty read (or one that only holds part of a UTF-8 character) says nothing about the LF.
    if (this.skipLeadingLf && text.length > 0) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    const buf = this.buffer.length > 0 ? this.buffer + text : text;
    const events: SseEvent[] = [];
    const hasCr = buf.indexOf("\r") !== -1;
    let start = 0;
    for (;;) {
      let end: number;
      let next: number;
      if (!hasCr) {
        end = buf.indexOf("\n", start);
        if (end === -1) break;
        next = end + 1;
      } else {
        end = -1;
        for (let i = start; i < buf.length; i++) {
          const c = buf.charCodeAt(i);
          if (c === 10 || c === 13) {
            end = i;
            break;
          }
        }
        if (end === -1) break;
        if (buf.charCodeAt(end) === 13) {
          if (end + 1 === buf.length) {
            this.skipLeadingLf = true;
            next = end + 1;
          } else {
            next = buf.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
          }
        } else {
          next = end + 1;
        }
      }
      const ev = this.line(buf.slice(start, end));
      if (ev) events.push(ev);
      start = next;
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    return events;
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
    const rest = this.buffer;
    const truncated = rest.length > 0 || this.sawField || this.partial !== null;
    this.partial = null;
    this.buffer = "";
    this.data = [];
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
    this.eventType = undefined;
    return ev;
  }
}
