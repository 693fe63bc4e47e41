// A small double of the model hub's file route, a real HTTP server on 127.0.0.1: GET
// /<owner>/<name>/resolve/<revision>/<path> answers the file's bytes, honouring `Range: bytes=N-`
// with a 206 as the hub's storage does. Faults on demand: cut a file's next answers short (the
// connection closed mid-body), or answer 503 a few times.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubDouble {
  url: string;
  /** Every request as `<path> <range or ->`, in order. */
  requests: string[];
  /** The file's next `times` answers stop after `at` bytes of the body and close the connection. */
  cut(path: string, at: number, times?: number): void;
  /** The file's next `times` answers are 503. */
  unavailable(path: string, times: number): void;
  /** The file's answers wait until `release()`. */
  hold(path: string): { release(): void };
  close(): Promise<void>;
}

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export async function startHubDouble(
  repo: string,
  revision: string,
  files: Record<string, Buffer | string>,
): Promise<HubDouble> {
  const requests: string[] = [];
  const cuts = new Map<string, { at: number; times: number }>();
  const down = new Map<string, number>();
  const held = new Map<string, Promise<void>>();
  const prefix = `/${repo}/resolve/${revision}/`;
  const server: Server = createServer(async (req, res) => {
    const url = decodeURIComponent(req.url ?? "");
    const range = req.headers.range;
    requests.push(`${url} ${range ?? "-"}`);
    const path = url.startsWith(prefix) ? url.slice(prefix.length) : null;
    const body = path === null ? undefined : files[path];
    if (path === null || body === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    await held.get(path);
    const bytes = Buffer.from(body);
    const failures = down.get(path) ?? 0;
    if (failures > 0) {
      down.set(path, failures - 1);
      res.writeHead(503).end();
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    if (m) {
      start = Number(m[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "content-length": bytes.length - start,
        "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
      });
    } else res.writeHead(200, { "content-length": bytes.length });
    const part = bytes.subarray(start);
    const cut = cuts.get(path);
    if (cut && cut.times > 0) {
      cut.times--;
      // The bytes first, then the cut: a reader sees them before the error.
      res.write(part.subarray(0, cut.at), () => setTimeout(() => res.socket?.destroy(), 200));
      return;
    }
    res.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    cut: (path, at, times = 1) => cuts.set(path, { at, times }),
    unavailable: (path, times) => down.set(path, times),
    hold: (path) => {
      let release = () => {};
      held.set(path, new Promise<void>((r) => (release = r)));
      return { release: () => release() };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
