// A directory that one process at a time may use (the pod's state dir, the validator's): a lock
// file with the holder's pid and start time, taken over when the holder is gone.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class DirectoryLockedError extends Error {}

/** When the process started (Linux: clock ticks since boot), or "" where that cannot be read. */
function startTime(pid: number): string {
  try {
    // Field 22 of /proc/PID/stat; the fields after the command's closing parenthesis start at 3.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/**
 * Whether the lock's process still runs. Its start time tells a live worker from another process
 * that got the same pid since, as a restarted container does (its pids start over).
 */
function holderAlive(pid: number, start: string): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return start === "" || startTime(pid) === start;
}

/** Takes `dir` for this process (`what` names the holder in the error); `release` for a clean exit. */
export function lockDirectory(dir: string, file: string, what: string): { release: () => void } {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, file);
  if (existsSync(lock)) {
    const [pid = "", start = ""] = readFileSync(lock, "utf8").trim().split(" ");
    if (/^\d+$/.test(pid) && holderAlive(Number(pid), start))
      throw new DirectoryLockedError(`state dir ${dir} is in use by another ${what} (pid ${pid})`);
  }
  writeFileSync(lock, `${process.pid} ${startTime(process.pid)}\n`);
  return { release: () => rmSync(lock, { force: true }) };
}
