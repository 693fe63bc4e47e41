// One streaming chat completion, timed. TTFT runs from the moment undici has written the request's
// last byte to the socket (onRequestSent) to the read that completes the first SSE event carrying a
// non-empty generated token (DESIGN §2.3). Every way a request can go wrong ends it with a recorded
// failure kind within its deadline; nothing here throws. A response past one of the caps (bytes of
// the body, of an SSE line, of an event) fails at once as `too_large`: one request holds at most
// its cap, however fast a server sends.
import { type Dispatcher, errors as undiciErrors } from "undici";
import { DEFAULT_RESPONSE_LIMITS, formatBytes, type ResponseLimits } from "../contract/limits.js";
import type {
  ChatCompletionRequest,
  FinishReason,
  TokenLogprob,
  Usage,
} from "../contract/schemas.js";
import { ChatStreamReader, clip, type StreamError } from "../contract/stream.js";
import type { FailureKind } from "./failures.js";

export interface Failure {
  kind: FailureKind;
  message: string;
}

export interface StreamResult {
  ok: boolean;
  failure?: Failure;
  /** hrtime ns when the request was handed to undici. */
  startNs: bigint;
  /** hrtime ns when its last byte was written; null if it never was. */
  sentNs: bigint | null;
  headersNs: bigint | null;
  /** hrtime ns of the read that completed the first event with a non-empty token. */
  firstTokenNs: bigint | null;
  endNs: bigint;
  /**
   * The reads that carried generated text or tokens: for each, its time in ns after `startNs`, the
   * logprobs entries and the characters of text it added (parallel arrays: compact for the GC).
   */
  arrivals: { offsetNs: number[]; tokens: number[]; chars: number[] };
  status: number | null;
  text: string;
  /** The stream's logprobs entries; [] for a failed request. */
  logprobs: TokenLogprob[];
  finishReason: FinishReason | null;
  usage: Usage | null;
  completionId: string | null;
  bytes: number;
}

export interface StreamOptions {
  dispatcher: Dispatcher;
  /** Base URL of the server, e.g. http://127.0.0.1:8000 */
  origin: string;
  body: ChatCompletionRequest;
  /** Hard limit for the whole request. */
  deadlineMs: number;
  /** Limit for the response headers to arrive after the request was sent. */
  headersTimeoutMs?: number;
  /** Limit on silence between two reads of the body. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Read the body without SSE/JSON parsing (the benchmark's parsing-overhead baseline). */
  raw?: boolean;
  /** Caps on the response (default: DEFAULT_RESPONSE_LIMITS); `maxInfoBodyBytes` is not used. */
  limits?: ResponseLimits;
}

class Aborted extends Error {}

// Parsing is deferred to the end of the event-loop turn: when many streams have data at once, the
// loop first reads (and timestamps) every ready socket, then parses. A read's timestamp then waits
// only for the cheap reads ahead of it, not for their JSON parsing and validation, which keeps
// TTFT and inter-token times accurate at high concurrency. One setImmediate serves all streams.
let deferred: (() => void)[] = [];
function runDeferred(): void {
  const jobs = deferred;
  deferred = [];
  for (const job of jobs) {
    try {
      job();
    } catch {
      // A job records its own failures; one that throws anyway must not starve the others.
    }
  }
}
function deferParse(job: () => void): void {
  if (deferred.length === 0) setImmediate(runDeferred);
  deferred.push(job);
}

export function streamChat(opts: StreamOptions): Promise<StreamResult> {
  const startNs = process.hrtime.bigint();
  const limits = opts.limits ?? DEFAULT_RESPONSE_LIMITS;
  const reader = new ChatStreamReader(limits);
  const result: StreamResult = {
    ok: false,
    startNs,
    sentNs: null,
    headersNs: null,
    firstTokenNs: null,
    endNs: startNs,
    arrivals: { offsetNs: [], tokens: [], chars: [] },
    status: null,
    text: "",
    logprobs: [],
    finishReason: null,
    usage: null,
    completionId: null,
    bytes: 0,
  };
  // Parsed on first read, after the stream (see ChatStreamReader.logprobs).
  Object.defineProperty(result, "logprobs", { get: () => reader.logprobs, enumerable: true });
  const payload = Buffer.from(JSON.stringify({ ...opts.body, stream: true }));

  return new Promise<StreamResult>((resolve) => {
    let settled = false;
    let abortRequest: ((err: Error) => void) | null = null;
    let failure: Failure | null = null;
    const errorBody: Buffer[] = [];

    const finish = (f: Failure | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      result.endNs = process.hrtime.bigint();
      result.text = reader.text;
      result.finishReason = reader.finishReason;
      result.usage = reader.usage;
      result.completionId = reader.completionId;
      if (f) {
        result.failure = f;
        // Nothing reads a failed stream's logprobs: free its reads now, not when the phase ends.
        reader.discard();
      }
      result.ok = f === null;
      resolve(result);
    };
    // Abort the socket; undici then calls onError, which settles with the recorded failure.
    const fail = (f: Failure) => {
      failure ??= f;
      if (abortRequest) abortRequest(new Aborted(f.message));
      else finish(failure);
    };
    const timer = setTimeout(
      () =>
        fail({ kind: "deadline", message: `no complete response within ${opts.deadlineMs} ms` }),
      opts.deadlineMs,
    );
    // A caller can name the failure by aborting with a Failure as the reason (e.g. a phase time limit).
    const onAbort = () => fail(abortFailure(opts.signal?.reason));
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    // Reads waiting to be parsed, with the hrtime of their arrival (see deferParse).
    const pendingChunks: Buffer[] = [];
    const pendingNs: bigint[] = [];
    const parsePending = () => {
      for (let i = 0; i < pendingChunks.length && !settled && !failure; i++) {
        const ns = pendingNs[i] as bigint;
        try {
          const step = reader.push(pendingChunks[i] as Buffer);
          if (step.text.length > 0 || step.tokens > 0) {
            if (step.text.length > 0) result.firstTokenNs ??= ns;
            const a = result.arrivals;
            a.offsetNs.push(Number(ns - startNs));
            a.tokens.push(step.tokens);
            a.chars.push(step.text.length);
          }
        } catch (err) {
          const e = err as StreamError;
          fail({ kind: e.kind ?? "bad_chunk", message: e.message });
        }
      }
      pendingChunks.length = 0;
      pendingNs.length = 0;
    };

    const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      onConnect(abort) {
        abortRequest = abort;
        if (failure) abort(new Aborted(failure.message));
      },
      onRequestSent() {
        result.sentNs = process.hrtime.bigint();
      },
      onHeaders(status, rawHeaders) {
        result.headersNs = process.hrtime.bigint();
        result.status = status;
        if (status < 200) return true;
        if (status !== 200) return true; // body collected for the message; failed in onComplete
        const ct = headerValue(rawHeaders, "content-type");
        if (!ct?.toLowerCase().startsWith("text/event-stream")) {
          fail({
            kind: "content_type",
            message: `content-type is ${ct ?? "missing"}, not text/event-stream`,
          });
        }
        return true;
      },
      onData(chunk) {
        if (settled || failure) return true;
        result.bytes += chunk.length;
        if (result.bytes > limits.maxResponseBytes) {
          fail({
            kind: "too_large",
            message: `the response is over the ${formatBytes(limits.maxResponseBytes)} cap (limits.maxResponseBytes)${result.status === 200 ? "" : ` (HTTP ${result.status})`}`,
          });
          return true;
        }
        if (result.status !== 200) {
          if (result.bytes <= 4096) errorBody.push(chunk);
          return true;
        }
        if (opts.raw) {
          result.firstTokenNs ??= process.hrtime.bigint();
          return true;
        }
        // Stamp the read now; parse it once the event loop has read every socket that is ready.
        pendingChunks.push(chunk);
        pendingNs.push(process.hrtime.bigint());
        if (pendingChunks.length === 1) deferParse(parsePending);
        return true;
      },
      onComplete() {
        parsePending();
        if (failure) return finish(failure);
        if (result.status !== 200) {
          const body = Buffer.concat(errorBody).toString("utf8");
          return finish({ kind: "http_status", message: `HTTP ${result.status}: ${clip(body)}` });
        }
        if (opts.raw) return finish(null);
        try {
          reader.end();
          finish(null);
        } catch (err) {
          const e = err as StreamError;
          finish({ kind: e.kind, message: e.message });
        }
      },
      onError(err) {
        finish(failure ?? classify(err, result));
      },
    };

    try {
      opts.dispatcher.dispatch(
        {
          origin: opts.origin,
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream" },
          body: payload,
          headersTimeout: opts.headersTimeoutMs ?? opts.deadlineMs,
          bodyTimeout: opts.idleTimeoutMs ?? opts.deadlineMs,
        },
        handler,
      );
    } catch (err) {
      finish(classify(err as Error, result));
    }
  });
}

function abortFailure(reason: unknown): Failure {
  if (typeof reason === "object" && reason !== null && "kind" in reason && "message" in reason) {
    const r = reason as Failure;
    if (typeof r.kind === "string" && typeof r.message === "string") return { ...r };
  }
  return { kind: "aborted", message: "request cancelled" };
}

function headerValue(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}

function classify(err: Error, r: StreamResult): Failure {
  const code = (err as { code?: string }).code;
  if (err instanceof undiciErrors.HeadersTimeoutError)
    return { kind: "headers_timeout", message: "response headers did not arrive in time" };
  if (err instanceof undiciErrors.BodyTimeoutError)
    return { kind: "stalled", message: "the stream stopped sending" };
  if (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "EHOSTUNREACH" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  )
    return { kind: "connect", message: `cannot connect: ${code}` };
  if (r.headersNs !== null && (code === "UND_ERR_SOCKET" || code === "ECONNRESET"))
    return { kind: "truncated", message: `connection closed mid-stream (${code})` };
  return { kind: "network", message: `${code ?? err.name}: ${err.message}` };
}
