// What every HTTP server of the project (the validator's web server, the pod, the reference server,
// the local chain's RPC) does with input it cannot handle: a request target is parsed without ever
// throwing, malformed HTTP gets a 400 and a closed connection, and an error inside one request's
// handling is answered 500 (or cuts that response) and reported, never ending the process.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The longest request target served; a longer one is 414 (Node's own limit on the request line
 *  and headers, 16 KiB, answers 431 before this is reached). */
export const MAX_TARGET_LENGTH = 8192;

export type RequestTarget =
  | {
      ok: true;
      /** The path as sent (not percent-decoded, no dot segments removed); `*` for `OPTIONS *`. */
      path: string;
      query: URLSearchParams;
    }
  | { ok: false; status: 400 | 414; message: string };

// Printable ASCII but space: what RFC 9112 allows in a request target (Node's parser already
// refuses controls; bytes over 0x7f arrive as latin1 characters and are refused here).
const TARGET_CHARS = /^[\x21-\x7e]*$/;

/**
 * A request target (`req.url`) as a path and its query. Origin form (`/a/b?c=d`), absolute form
 * (`http://host/a/b?c=d`, only its path and query are used) and the asterisk form (`*`) are
 * accepted; anything else — or a target with characters a target cannot have — is a 400. Never
 * throws, unlike `new URL(target, base)` (which throws on `//`, `//a:b@`, …).
 */
export function parseTarget(target: string | undefined): RequestTarget {
  const raw = target ?? "";
  if (raw.length > MAX_TARGET_LENGTH)
    return {
      ok: false,
      status: 414,
      message: `the request target is over ${MAX_TARGET_LENGTH} characters`,
    };
  if (!TARGET_CHARS.test(raw))
    return { ok: false, status: 400, message: "the request target has characters it cannot have" };
  if (raw === "*") return { ok: true, path: "*", query: new URLSearchParams() };
  let originForm = raw;
  if (!raw.startsWith("/")) {
    // Absolute form: the scheme and authority are dropped (this server is the only host).
    const m = /^https?:\/\/[^/?#]*([/?].*)?$/i.exec(raw);
    if (!m) return { ok: false, status: 400, message: "the request target is not a path" };
    const rest = m[1] ?? "";
    originForm = rest.startsWith("/") ? rest : `/${rest}`;
  }
  // A fragment is never sent; one that is is not part of the query.
  const noFragment = originForm.split("#", 1)[0] as string;
  const q = noFragment.indexOf("?");
  return q < 0
    ? { ok: true, path: noFragment, query: new URLSearchParams() }
    : {
        ok: true,
        path: noFragment.slice(0, q),
        query: new URLSearchParams(noFragment.slice(q + 1)),
      };
}

/** `decodeURIComponent` that answers null instead of throwing on a malformed escape (`%zz`). */
export function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Where a server reports what its last-resort catch caught. */
export type ServerErrorReporter = (err: unknown, req: IncomingMessage | null) => void;

/** The default reporter: one line on stderr, naming the server. */
export function stderrReporter(name: string): ServerErrorReporter {
  return (err, req) => {
    const what = req
      ? `${req.method ?? "?"} ${JSON.stringify((req.url ?? "").slice(0, 200))}`
      : "server";
    const why = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${name}: internal error handling ${what}: ${why}\n`);
  };
}

/** Answers an error the handler could not: a 500 when nothing was sent yet, else a cut response. */
export function answerInternalError(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `${JSON.stringify({ error: "internal error" })}\n`;
  try {
    res.writeHead(500, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      connection: "close",
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * The handler with a last-resort catch around it: whatever it throws (synchronously) or rejects
 * with is reported and answered by `answerInternalError`. A handler answers its own errors as it
 * likes; this is for the ones that escape it.
 */
export function lastResort(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  report: ServerErrorReporter,
): RequestListener {
  const caught = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    try {
      report(err, req);
    } catch {
      // A reporter that fails must not end the process either.
    }
    answerInternalError(res);
  };
  return (req, res) => {
    try {
      const out = handler(req, res);
      if (out instanceof Promise) out.catch((err: unknown) => caught(req, res, err));
    } catch (err) {
      caught(req, res, err);
    }
  };
}

const CLIENT_ERROR_RESPONSES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * Answers malformed HTTP (a bad request line, header or Content-Length, a broken chunked body) with
 * a 400 (431 for headers over the limit, 408 for a request too slow) and closes the connection, as
 * Node does by default, but explicitly; and reports a server-level error (an accept that failed)
 * once the server is listening instead of letting it end the process. Errors before listening (an
 * address in use) stay with whoever called listen().
 */
export function answerClientErrors(server: Server, report: ServerErrorReporter): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    // Never write into a response that has started: the client would read garbage as its body.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code !== "ECONNRESET" && socket.writable && !inFlight?.headersSent) {
      const status = CLIENT_ERROR_RESPONSES[err.code ?? ""] ?? "400 Bad Request";
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  server.on("error", (err) => {
    if (server.listening) report(err, null);
  });
}
