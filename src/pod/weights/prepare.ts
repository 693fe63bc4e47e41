// The arena's weights into the pod's folder, verified (issue 18 item 4): first every file the folder
// already holds (a provider volume, an earlier run) is hashed and checked against the pin, then
// each missing one is downloaded from the hub at the pinned revision and checked as it arrives.
// A file with a pinned sha256 that does not match stops it all, naming the file; a file without one
// has its sha256 computed and recorded, and the weights are reported unconfirmed.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { WeightsPin } from "../../arena/config.js";
import { forEachLimited } from "../../concurrency.js";
import { downloadFile, hubFileUrl, WeightsError } from "./download.js";
import { hashFile } from "./files.js";
import type { WeightsEvent } from "./status.js";

export { WeightsError } from "./download.js";

export const DEFAULT_HUB_URL = "https://huggingface.co";

export interface PrepareWeightsOptions {
  pin: WeightsPin;
  /** The weights folder (the pod's --models). */
  dir: string;
  /** Where missing files come from (`<hub>/<repo>/resolve/<revision>/<path>`); null: nowhere,
   *  every file must be in the folder already. */
  hub: string | null;
  /** Sent with every hub request (a token for a gated repository). */
  headers?: Record<string, string>;
  /** Files downloaded at once (default 4). */
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: WeightsEvent) => void;
  now?: () => number;
}

export interface WeightsFileRecord {
  path: string;
  size: number;
  sha256: string;
  /** Checked against the pin's sha256; false: computed here, unconfirmed. */
  pinned: boolean;
  source: "folder" | "hub";
}

/** What the pod records once its weights are ready (the state directory's weights.json). */
export interface WeightsRecord {
  repo: string;
  revision: string;
  /** The pin is confirmed and every file matched a pinned sha256. */
  confirmed: boolean;
  /** Files whose sha256 no pin gave: recorded here, checked against nothing. */
  unpinned: string[];
  files: WeightsFileRecord[];
  downloadedBytes: number;
  startedAt: string;
  verifyMs: number;
  downloadMs: number;
  setupMs: number;
}

type PinFile = WeightsPin["files"][number];

async function sizeIfFile(file: string): Promise<number | null> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new WeightsError(`${file} is not a file`);
    return s.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Rejects with a WeightsError (one line, naming the file) when the weights cannot be had. */
export async function prepareWeights(o: PrepareWeightsOptions): Promise<WeightsRecord> {
  const now = o.now ?? Date.now;
  const started = now();
  const emit = o.onEvent ?? (() => {});
  const records = new Map<string, WeightsFileRecord>();
  const done = (f: PinFile, sha256: string, size: number, source: WeightsFileRecord["source"]) => {
    records.set(f.path, { path: f.path, size, sha256, pinned: f.sha256 !== undefined, source });
    emit({ type: "file-done", path: f.path, sha256, pinned: f.sha256 !== undefined });
  };
  // Stops the downloads still running when one fails for good.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;

  const present: PinFile[] = [];
  const missing: PinFile[] = [];
  for (const f of o.pin.files) {
    const size = await sizeIfFile(join(o.dir, f.path));
    if (size === null) missing.push(f);
    else if (f.size !== undefined && size !== f.size)
      throw new WeightsError(`${f.path}: ${size} bytes in ${o.dir}, the arena pins ${f.size}`);
    else present.push(f);
  }
  if (missing.length > 0 && o.hub === null)
    throw new WeightsError(
      `${missing.length} of ${o.pin.files.length} files are missing from ${o.dir} (first: ${missing[0]?.path}) and downloads are off`,
    );

  emit({ type: "phase", phase: "verify", files: present.length });
  const verifyStart = now();
  for (const f of present) {
    emit({ type: "file", path: f.path, action: "verify", size: f.size });
    const got = await hashFile(
      join(o.dir, f.path),
      (n) => emit({ type: "bytes", path: f.path, n, downloaded: false }),
      o.signal,
    );
    if (f.sha256 !== undefined && got.sha256 !== f.sha256)
      throw new WeightsError(
        `${f.path}: sha256 ${got.sha256} in ${o.dir}, the arena pins ${f.sha256} (revision ${o.pin.revision})`,
      );
    done(f, got.sha256, got.size, "folder");
  }
  const verifyMs = now() - verifyStart;
  emit({ type: "phase-done", phase: "verify", ms: verifyMs });

  emit({ type: "phase", phase: "download", files: missing.length });
  const downloadStart = now();
  let downloadedBytes = 0;
  const hub = o.hub as string;
  // The first failure is the answer; the downloads it stops fail after it, as aborted.
  let first: unknown;
  await forEachLimited(missing, o.concurrency ?? 4, async (f) => {
    emit({ type: "file", path: f.path, action: "download", size: f.size });
    try {
      const got = await downloadFile({
        url: hubFileUrl(hub, o.pin.repo, o.pin.revision, f.path),
        dest: join(o.dir, f.path),
        path: f.path,
        size: f.size,
        sha256: f.sha256,
        retries: o.retries ?? 5,
        retryDelayMs: o.retryDelayMs ?? 2000,
        headers: o.headers,
        signal,
        onBytes: (n, downloaded) => {
          if (downloaded) downloadedBytes += n;
          emit({ type: "bytes", path: f.path, n, downloaded });
        },
        onRetry: (attempt, reason) => emit({ type: "retry", path: f.path, attempt, reason }),
      });
      done(f, got.sha256, got.size, "hub");
    } catch (err) {
      if (!stop.signal.aborted) first = err;
      stop.abort();
      throw err;
    }
  }).catch((err: unknown) => {
    throw first ?? err;
  });
  const downloadMs = now() - downloadStart;
  emit({ type: "phase-done", phase: "download", ms: downloadMs });

  const files = o.pin.files.map((f) => records.get(f.path) as WeightsFileRecord);
  const unpinned = files.filter((f) => !f.pinned).map((f) => f.path);
  return {
    repo: o.pin.repo,
    revision: o.pin.revision,
    confirmed: o.pin.confirmed && unpinned.length === 0,
    unpinned,
    files,
    downloadedBytes,
    startedAt: new Date(started).toISOString(),
    verifyMs,
    downloadMs,
    setupMs: now() - started,
  };
}
