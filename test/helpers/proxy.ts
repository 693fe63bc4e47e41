// A loopback proxy in front of a real server that breaks one part of the contract on purpose, so
// tests can check that the contract check names exactly that requirement.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";

export interface Breakage {
  /** Rewrites the JSON body of a chat-completion request before it is forwarded. */
  request?: (body: Record<string, unknown>) => void;
  /** Rewrites (or drops, by returning null) each streamed chunk. */
  chunk?: (chunk: Record<string, unknown>) => Record<string, unknown> | null;
  /** Status to answer GET /health with instead of forwarding it. */
  healthStatus?: number;
}

export interface Proxy {
  url: string;
  close(): Promise<void>;
}

export async function startBreakingProxy(upstream: string, breakage: Breakage): Promise<Proxy> {
  const server: Server = createServer((req, res) => {
    handle(upstream, breakage, req, res).catch((err) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(upstream: string, b: Breakage, req: IncomingMessage, res: ServerResponse) {
  if (req.url === "/health" && b.healthStatus !== undefined) {
    res.writeHead(b.healthStatus).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body: string | undefined = chunks.length > 0 ? Buffer.concat(chunks).toString() : undefined;
  if (body !== undefined && b.request) {
    const json = JSON.parse(body) as Record<string, unknown>;
    b.request(json);
    body = JSON.stringify(json);
  }
  const up = await request(`${upstream}${req.url}`, {
    method: req.method as "GET" | "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const type = String(up.headers["content-type"] ?? "");
  res.writeHead(up.statusCode, { "content-type": type });
  if (!type.startsWith("text/event-stream")) {
    res.end(Buffer.from(await up.body.arrayBuffer()));
    return;
  }
  let pending = "";
  for await (const piece of up.body) {
    pending += (piece as Buffer).toString();
    let cut = pending.indexOf("\n\n");
    while (cut !== -1) {
      const event = pending.slice(0, cut);
      pending = pending.slice(cut + 2);
      res.write(rewrite(event, b));
      cut = pending.indexOf("\n\n");
    }
  }
  res.end(pending);
}

function rewrite(event: string, b: Breakage): string {
  const data = event.startsWith("data: ") ? event.slice(6) : null;
  if (data === null || data === "[DONE]" || !b.chunk) return `${event}\n\n`;
  const out = b.chunk(JSON.parse(data) as Record<string, unknown>);
  return out === null ? "" : `data: ${JSON.stringify(out)}\n\n`;
}
