// A loopback server that answers every request with junk, as fast as the connection takes it, until
// the client closes the connection or `maxSendBytes` is sent (bounded): endless comment lines,
// endless `data:` lines, one endless line, valid chunks that never end, or a huge /health or
// /v1/models body. It records what it sent and when each connection closed, so a test can tell a
// client that aborted from one that kept reading.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type JunkKind = "comments" | "data-lines" | "one-line" | "chunks" | "http-500";

export interface JunkServer {
  url: string;
  /** Per request, in arrival order: the path, bytes written, and ms from start to close. */
  sent: { path: string; bytes: number; closedAfterMs: number | null }[];
  close(): Promise<void>;
}

/** The bytes each kind repeats (after `prefix`), 64 KiB at a time. */
function pattern(kind: JunkKind): { status: number; prefix: string; piece: string } {
  switch (kind) {
    case "comments":
      return { status: 200, prefix: "", piece: `:${"k".repeat(1022)}\n` };
    case "data-lines":
      return { status: 200, prefix: "", piece: `data: ${"d".repeat(1017)}\n` };
    case "one-line":
      return { status: 200, prefix: "data: ", piece: "x".repeat(1024) };
    case "chunks": {
      const chunk = {
        id: "chatcmpl-junk",
        object: "chat.completion.chunk",
        created: 1,
        model: "test-model",
        choices: [{ index: 0, delta: { content: "" }, finish_reason: null }],
      };
      return { status: 200, prefix: "", piece: `data: ${JSON.stringify(chunk)}\n\n` };
    }
    case "http-500":
      return { status: 500, prefix: "", piece: "e".repeat(1024) };
  }
}

function repeatTo(piece: string, bytes: number): Buffer {
  return Buffer.from(piece.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(piece)))));
}

export async function startJunkServer(opts: {
  chat: JunkKind;
  /** A 200 with an endless body for GET /health and GET /v1/models (else small, valid answers). */
  junkInfo?: boolean;
  /** Stop sending after this many bytes per request (default 64 MiB). */
  maxSendBytes?: number;
}): Promise<JunkServer> {
  const maxSend = opts.maxSendBytes ?? 64 * 1024 * 1024;
  const sockets = new Set<Socket>();
  const sent: JunkServer["sent"] = [];

  async function pump(
    res: ServerResponse,
    prefix: string,
    block: Buffer,
    entry: JunkServer["sent"][number],
  ) {
    const t0 = performance.now();
    let closed = false;
    res.on("close", () => {
      closed = true;
      entry.closedAfterMs = Math.round(performance.now() - t0);
    });
    if (prefix) {
      res.write(prefix);
      entry.bytes += prefix.length;
    }
    while (!closed && entry.bytes < maxSend) {
      entry.bytes += block.length;
      if (!res.write(block))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
    }
    if (!closed) res.end();
  }

  const server: Server = createServer(async (req, res) => {
    for await (const _ of req) {
      // the request body is not needed
    }
    const entry = { path: req.url ?? "", bytes: 0, closedAfterMs: null };
    sent.push(entry);
    if (req.url === "/health" || req.url === "/v1/models") {
      if (!opts.junkInfo) {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(
          req.url === "/health"
            ? ""
            : JSON.stringify({ object: "list", data: [{ id: "test-model", object: "model" }] }),
        );
      }
      res.writeHead(200, { "content-type": "application/json" });
      return pump(res, '{"data": "', repeatTo("j", 64 * 1024), entry);
    }
    const p = pattern(opts.chat);
    res.writeHead(p.status, {
      "content-type": p.status === 200 ? "text/event-stream" : "text/plain",
    });
    return pump(res, p.prefix, repeatTo(p.piece, 64 * 1024), entry);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
