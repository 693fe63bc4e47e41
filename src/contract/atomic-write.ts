// Files a user or operator keeps (a report, a state file, a pod's job files): written whole or not at
// all. The bytes go to a temp file in the same folder, `.<name>.<pid>.<random>.tmp` (hidden, and
// never the file's own name), which is synced and renamed over the file; then the folder is synced,
// so the rename survives a power cut too. A process killed mid-write leaves the old file as it was
// and at most its temp file, which the next write of the same file removes once its pid is gone.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** The new file's mode (default 0o666 less the umask). */
  mode?: number;
}

/** The temp names of `name`'s writes: `.<name>.<pid>.<16 hex>.tmp`. */
const tempPattern = (name: string): RegExp =>
  new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-f]{16}\\.tmp$`);

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as someone else's.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the temp files that killed writers of `name` left in `dir` (best effort). */
function removeStaleTemps(dir: string, name: string): void {
  const pattern = tempPattern(name);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = pattern.exec(entry);
    if (m && !alive(Number(m[1]))) rmSync(join(dir, entry), { force: true });
  }
}

/** Syncs a folder's entries; platforms that cannot open or sync a folder skip it. */
function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EPERM" && code !== "EISDIR") throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` so that, whatever happens meanwhile (a kill, a full disk), the file
 * holds either its old content or all of the new one. A symlink at `path` stays: its target is
 * replaced. The folder must exist. Throws what the write failed with; the temp file is removed.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    // No file there yet (or a dangling link): write the path itself.
  }
  const dir = dirname(target);
  const name = basename(target);
  removeStaleTemps(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", opts.mode ?? 0o666);
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(dir);
}
