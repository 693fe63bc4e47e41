// What the project's HTTP servers (the validator's web server, the pod, the reference server, the
// local chain's RPC) share once a request is theirs to answer: one error type that carries its
// status, whole answers sent with their length, bodies read under a byte limit, and listening and
// closing. How an error is shaped for the client (a JSON line, an OpenAI error, an HTML page) stays
// with each server.
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo, ListenOptions } from "node:net";

/** What an HttpError adds to its answer. */
export interface HttpErrorExtra {
  /** Fields of the error body next to its message (the pod's `running`, OpenAI's `param`). */
  fields?: Record<string, string>;
  headers?: Record<string, string>;
}

/** An answer other than success, thrown by a handler for its server to send in its own shape. */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly status: number,
    message: string,
    readonly extra: HttpErrorExtra = {},
  ) {
    super(message);
  }
}

/** Sends `body` whole, with its length; a HEAD answer has the same headers and no body. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": typeof body === "string" ? Buffer.byteLength(body) : body.length,
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Sends `value` as one line of JSON, not to be cached unless `headers` say otherwise. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(res, status, "application/json", `${JSON.stringify(value)}\n`, {
    "cache-control": "no-store",
    ...headers,
  });
}

/**
 * The request's body, or an HttpError: 413 past `limit` bytes, 400 when it cannot be read (the
 * client went away, a broken chunk). Past the limit nothing more is kept but the body is still read
 * to its end: answering before the client has sent it all would make many clients report a reset
 * instead of the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once("end", () => {
      if (size > limit) reject(new HttpError(413, `the body is over ${limit} bytes`));
      else resolve(Buffer.concat(chunks, size));
    });
    req.once("error", (err) =>
      reject(
        new HttpError(400, `the body could not be read: ${err.message}`, {
          headers: { connection: "close" },
        }),
      ),
    );
  });
}

/** A body as JSON, or an HttpError 400 that says why it is not. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}

/** `readBody` then `parseJsonBody`. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return parseJsonBody(await readBody(req, limit));
}

/**
 * Listens (port 0: any free port) and answers the port it got. An error before listening (an
 * address in use) rejects; errors after it are the server's own listeners' (answerClientErrors).
 */
export function listen(server: Server, options: ListenOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and ends every connection, idle or not; resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
