// The shared HTTP toolkit and host formatter, on a loopback server: answers carry their length and
// HEAD gets none of the body, bodies are read under their limit (a too-large one is read to its end,
// then refused), listen answers the port and refuses a taken one, close stops the server; IPv6
// literals are bracketed wherever a host is written.
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { hostPort, urlHost } from "../../src/contract/host.js";
import {
  closeServer,
  HttpError,
  listen,
  readJson,
  send,
  sendJson,
} from "../../src/contract/http-toolkit.js";

const LIMIT = 64;

/** POST /json echoes the body read by readJson; an HttpError is answered as `{error}`. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === "/text") {
    send(res, 200, "text/plain; charset=utf-8", "héllo\n");
    return;
  }
  readJson(req, LIMIT).then(
    (v) => sendJson(res, 200, { got: v }),
    (err: HttpError) =>
      sendJson(res, err.status, { error: err.message, ...err.extra.fields }, err.extra.headers),
  );
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function serve() {
  const server = createServer(handler);
  const port = await listen(server, { host: "127.0.0.1", port: 0 });
  open.push(() => closeServer(server));
  return { server, port };
}

function call(port: number, method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      });
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("HTTP toolkit", () => {
  it("names its errors, so a log line says what was thrown", () => {
    const err = new HttpError(409, "busy", { fields: { running: "j1" } });
    expect([err.name, err.status, err.message, err.extra.fields]).toEqual([
      "HttpError",
      409,
      "busy",
      { running: "j1" },
    ]);
    expect(String(err)).toBe("HttpError: busy");
  });

  it("sends answers with their byte length, and HEAD the same headers without the body", async () => {
    const { port } = await serve();
    const get = await call(port, "GET", "/text");
    expect([get.status, get.text, get.headers["content-length"]]).toEqual([200, "héllo\n", "7"]);
    const head = await call(port, "HEAD", "/text");
    expect([head.status, head.text, head.headers["content-length"]]).toEqual([200, "", "7"]);
    const json = await call(port, "POST", "/json", '{"a":[1]}');
    expect(json.headers).toMatchObject({
      "content-type": "application/json",
      "cache-control": "no-store",
    });
    expect(json.text).toBe('{"got":{"a":[1]}}\n');
  });

  it("reads a body up to its limit, refuses one past it with 413 once sent, and non-JSON with 400", async () => {
    const { port } = await serve();
    const atLimit = JSON.stringify("x".repeat(LIMIT - 2));
    expect((await call(port, "POST", "/json", atLimit)).status).toBe(200);
    const over = await call(port, "POST", "/json", "x".repeat(10 * LIMIT));
    expect([over.status, JSON.parse(over.text)]).toEqual([
      413,
      { error: `the body is over ${LIMIT} bytes` },
    ]);
    const notJson = await call(port, "POST", "/json", "{nope");
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text).error).toMatch(/^the body is not JSON: /);
  });

  it("listens on a free port, refuses a taken one, and closes", async () => {
    const { port } = await serve();
    expect(port).toBeGreaterThan(0);
    expect((await call(port, "GET", "/text")).status).toBe(200);
    const other = createServer(handler);
    await expect(listen(other, { host: "127.0.0.1", port })).rejects.toMatchObject({
      code: "EADDRINUSE",
    });
    const closing = open.pop() as () => Promise<void>;
    await closing();
    await expect(call(port, "GET", "/text")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

describe("host formatting", () => {
  it("brackets IPv6 literals only", () => {
    expect(urlHost("::1")).toBe("[::1]");
    expect(urlHost("127.0.0.1")).toBe("127.0.0.1");
    expect(urlHost("pod.example")).toBe("pod.example");
    expect(hostPort("::", 8080)).toBe("[::]:8080");
    expect(hostPort("0.0.0.0", 80)).toBe("0.0.0.0:80");
  });
});
