// The weights setup as the operator reads it on stderr: each phase and retry, each file as it is
// checked, and every few seconds how far it has got and how fast the hub sends.
import type { WeightsRecord } from "./prepare.js";
import type { WeightsEvent } from "./status.js";

const GB = 1e9;
const gb = (n: number) => `${(n / GB).toFixed(2)} GB`;

/** An onEvent that writes lines to `log`, with a progress line at most every `everyMs`. */
export function weightsLogger(
  log: (line: string) => void,
  everyMs = 10_000,
  now: () => number = Date.now,
): (e: WeightsEvent) => void {
  let bytes = 0;
  let downloaded = 0;
  let files = 0;
  let last = now();
  let lastDownloaded = 0;
  return (e) => {
    switch (e.type) {
      case "phase":
        if (e.files > 0)
          log(
            e.phase === "verify"
              ? `weights: checking the ${e.files} files the folder holds`
              : `weights: downloading ${e.files} files from the hub`,
          );
        return;
      case "retry":
        log(`weights: ${e.path}: retry ${e.attempt}: ${e.reason}`);
        return;
      case "file-done":
        files++;
        log(
          `weights: ${e.path}: sha256 ${e.sha256}${e.pinned ? " (matches the pin)" : " (unpinned)"}`,
        );
        return;
      case "bytes": {
        bytes += e.n;
        if (e.downloaded) downloaded += e.n;
        const t = now();
        if (t - last < everyMs) return;
        const rate = ((downloaded - lastDownloaded) / ((t - last) / 1000) / 1e6).toFixed(0);
        log(
          `weights: ${files} files done, ${gb(bytes)} hashed, ${gb(downloaded)} downloaded (${rate} MB/s)`,
        );
        last = t;
        lastDownloaded = downloaded;
        return;
      }
      default:
    }
  };
}

/** The closing line: what was checked, what came from the hub, how long it took, confirmed or not. */
export function weightsSummary(r: WeightsRecord): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const from = r.files.filter((f) => f.source === "hub").length;
  const trust = r.confirmed
    ? "confirmed"
    : r.unpinned.length > 0
      ? `UNCONFIRMED: ${r.unpinned.length} of ${r.files.length} files have no pinned sha256 (recorded as computed)`
      : "UNCONFIRMED: every file matched its pinned sha256, but the arena's pin is not marked confirmed";
  return `weights ready: ${r.repo}@${r.revision}, ${r.files.length} files (${from} from the hub, ${gb(r.downloadedBytes)}), setup ${s(r.setupMs)} (check ${s(r.verifyMs)}, download ${s(r.downloadMs)}); ${trust}`;
}
