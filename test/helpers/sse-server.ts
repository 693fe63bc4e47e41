// A tiny loopback HTTP server whose behaviour a test scripts per request: the harness's failure
// handling is tested against servers that misbehave in one precise way.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface TestServer {
  url: string;
  /** Requests to /v1/chat/completions seen so far. */
  requests: number;
  close(): Promise<void>;
}

export type ChatHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
) => void | Promise<void>;

export async function startTestServer(chat: ChatHandler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state: TestServer = { url: "", requests: 0, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    if (req.url === "/health") return void res.writeHead(200).end("ok");
    if (req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(
        JSON.stringify({ object: "list", data: [{ id: "test-model", object: "model" }] }),
      );
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.requests++;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    } catch {
      // handlers see {} for a body that is not JSON
    }
    try {
      await chat(req, res, body);
    } catch {
      res.destroy();
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

export interface TokenPiece {
  token: string;
  bytes: number[];
}

/** One chat.completion.chunk as an SSE event. */
export function chunkEvent(opts: {
  id?: string;
  content?: string | null;
  role?: "assistant";
  logprobs?: TokenPiece[];
  finish?: "stop" | "length" | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}): string {
  const delta: Record<string, unknown> = {};
  if (opts.role) delta.role = opts.role;
  if (opts.content !== undefined) delta.content = opts.content;
  const chunk = {
    id: opts.id ?? "chatcmpl-test",
    object: "chat.completion.chunk",
    created: 1,
    model: "test-model",
    choices: opts.usage
      ? []
      : [
          {
            index: 0,
            delta,
            logprobs: opts.logprobs
              ? {
                  content: opts.logprobs.map((p) => ({
                    token: p.token,
                    logprob: -0.1,
                    bytes: p.bytes,
                    top_logprobs: [{ token: p.token, logprob: -0.1, bytes: p.bytes }],
                  })),
                }
              : null,
            finish_reason: opts.finish ?? null,
          },
        ],
    ...(opts.usage ? { usage: opts.usage } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Streams `pieces` one per event (role chunk first, finish, usage, [DONE]) with `gapMs` between. */
export async function streamPieces(
  res: ServerResponse,
  pieces: TokenPiece[],
  opts: { id?: string; gapMs?: number; firstDelayMs?: number } = {},
): Promise<void> {
  res.writeHead(200, SSE_HEADERS);
  res.write(chunkEvent({ id: opts.id, role: "assistant", content: "" }));
  if (opts.firstDelayMs) await sleep(opts.firstDelayMs);
  for (const [i, p] of pieces.entries()) {
    if (i > 0 && opts.gapMs) await sleep(opts.gapMs);
    res.write(chunkEvent({ id: opts.id, content: p.token, logprobs: [p] }));
  }
  res.write(chunkEvent({ id: opts.id, content: "", finish: "length" }));
  res.write(
    chunkEvent({
      id: opts.id,
      usage: {
        prompt_tokens: 5,
        completion_tokens: pieces.length,
        total_tokens: pieces.length + 5,
      },
    }),
  );
  res.end("data: [DONE]\n\n");
}
