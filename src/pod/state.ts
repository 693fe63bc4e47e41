// The pod's state directory: the pod's own id (stable across restarts, so its runtime can find what
// an earlier run of this pod left behind) and a lock, so two workers never share one job store.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class StateDirError extends Error {}

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

/** Takes the state directory for this process: its pod id, and `release` for a clean exit. */
export function claimStateDir(dir: string): { podId: string; release: () => void } {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "pod.lock");
  if (existsSync(lock)) {
    const [pid = "", start = ""] = readFileSync(lock, "utf8").trim().split(" ");
    if (/^\d+$/.test(pid) && holderAlive(Number(pid), start))
      throw new StateDirError(`state dir ${dir} is in use by another pod worker (pid ${pid})`);
  }
  writeFileSync(lock, `${process.pid} ${startTime(process.pid)}\n`);
  const idFile = join(dir, "pod-id");
  if (!existsSync(idFile)) writeFileSync(idFile, `pod-${randomBytes(4).toString("hex")}\n`);
  const podId = readFileSync(idFile, "utf8").trim();
  if (!/^pod-[0-9a-f]{8}$/.test(podId))
    throw new StateDirError(`${idFile} does not hold a pod id (pod-<8 hex digits>)`);
  return { podId, release: () => rmSync(lock, { force: true }) };
}
