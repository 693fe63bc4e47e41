// One weights file from the hub, at the pinned revision: streamed into a partial file beside its
// place with its sha256 computed on the way, resumed with a Range request after a cut connection
// (also by a later run: the partial file stays), and renamed into place only once whole and
// matching. Transport failures and 5xx are retried a bounded number of times; a 4xx or a wrong
// sha256 is not (the same request would give the same answer).
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { describeNetworkError } from "../../contract/http.js";

/** A failure that stops the weights: a retry would not help. The message names the file. */
export class WeightsError extends Error {}

/** `<hub>/<repo>/resolve/<revision>/<path>`, each part escaped. */
export function hubFileUrl(hub: string, repo: string, revision: string, path: string): string {
  const parts = [...repo.split("/"), "resolve", revision, ...path.split("/")];
  return `${hub.replace(/\/+$/, "")}/${parts.map(encodeURIComponent).join("/")}`;
}

export interface DownloadOptions {
  url: string;
  /** The file's place; its partial download is `.<name>.part` beside it. */
  dest: string;
  /** Its path in the pin, for messages. */
  path: string;
  size?: number;
  sha256?: string;
  /** Attempts after the first (bounded retries). */
  retries: number;
  /** The wait before retry n is retryDelayMs × 2^(n-1). */
  retryDelayMs: number;
  /** e.g. a hub token for a gated repository. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Each chunk hashed; `downloaded` is false for a partial file's bytes read back to resume. */
  onBytes?: (n: number, downloaded: boolean) => void;
  onRetry?: (attempt: number, reason: string) => void;
}

class Retryable extends Error {}

const partOf = (dest: string) => join(dirname(dest), `.${basename(dest)}.part`);

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** Feeds what a partial file holds into the hash, so a resumed download's sha256 covers it all. */
async function hashExisting(file: string, hash: Hash, o: DownloadOptions): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20, signal: o.signal })) {
    hash.update(chunk as Buffer);
    o.onBytes?.((chunk as Buffer).length, false);
  }
}

/** The start and total of `Content-Range: bytes START-END/TOTAL`. */
function contentRange(header: string | null): { start: number; total?: number } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) };
}

async function attempt(
  o: DownloadOptions,
  part: string,
): Promise<{ sha256: string; size: number }> {
  let have = await sizeOf(part);
  if (o.size !== undefined && have > o.size) {
    await rm(part, { force: true });
    have = 0;
  }
  const headers: Record<string, string> = { ...o.headers };
  if (have > 0) headers.range = `bytes=${have}-`;
  let res: Response;
  try {
    res = await fetch(o.url, { headers, signal: o.signal });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    throw new Retryable(describeNetworkError((err as Error).cause ?? err));
  }
  let total: number | undefined;
  const length = res.headers.get("content-length");
  if (
    res.status === 206 &&
    have > 0 &&
    contentRange(res.headers.get("content-range"))?.start === have
  ) {
    total = contentRange(res.headers.get("content-range"))?.total;
  } else if (res.status === 200) {
    have = 0; // the whole file again: the partial one is replaced
    if (length !== null) total = Number(length);
  } else {
    await res.body?.cancel();
    if (res.status === 416) {
      await rm(part, { force: true });
      throw new Retryable("the hub refused to resume (416): starting over");
    }
    const what = `${o.url} answered ${res.status} ${res.statusText}`.trim();
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new Retryable(what);
    throw new WeightsError(`${o.path}: ${what}`);
  }
  if (o.size !== undefined && total !== undefined && total !== o.size)
    throw new WeightsError(`${o.path}: the hub serves ${total} bytes, the arena pins ${o.size}`);
  const hash = createHash("sha256");
  if (have > 0) await hashExisting(part, hash, o);
  let got = have;
  if (!res.body) throw new Retryable("the hub's answer has no body");
  // Each chunk is on disk before the next is read, so a cut connection leaves the partial file
  // holding exactly what was hashed, and the next attempt resumes from its size.
  const fh = await open(part, have > 0 ? "a" : "w", 0o644);
  try {
    for await (const chunk of res.body as WebReadableStream<Uint8Array>) {
      hash.update(chunk);
      await fh.write(chunk);
      got += chunk.length;
      o.onBytes?.(chunk.length, true);
    }
    await fh.sync();
  } catch (err) {
    if (o.signal?.aborted) throw err;
    throw new Retryable(
      `cut off at ${got} bytes: ${describeNetworkError((err as Error).cause ?? err)}`,
    );
  } finally {
    await fh.close();
  }
  const want = o.size ?? total;
  if (want !== undefined && got !== want) throw new Retryable(`cut off at ${got} of ${want} bytes`);
  const sha256 = hash.digest("hex");
  if (o.sha256 !== undefined && sha256 !== o.sha256) {
    await rm(part, { force: true });
    throw new WeightsError(
      `${o.path}: the downloaded file's sha256 is ${sha256}, the arena pins ${o.sha256}`,
    );
  }
  // Synced above, so whole before it takes the file's name; readable by the servers' users.
  await chmod(part, 0o644);
  await rename(part, o.dest);
  return { sha256, size: got };
}

/** Downloads `o.url` to `o.dest`; rejects with a WeightsError naming the file when it cannot. */
export async function downloadFile(o: DownloadOptions): Promise<{ sha256: string; size: number }> {
  await mkdir(dirname(o.dest), { recursive: true, mode: 0o755 });
  const part = partOf(o.dest);
  for (let n = 0; ; n++) {
    try {
      return await attempt(o, part);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      if (n >= o.retries)
        throw new WeightsError(`${o.path}: download failed ${n + 1} times, last: ${err.message}`);
      o.onRetry?.(n + 1, err.message);
      await new Promise((r) => setTimeout(r, o.retryDelayMs * 2 ** n));
    }
  }
}
