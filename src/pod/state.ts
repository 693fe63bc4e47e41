// The pod's state directory: the pod's own id (stable across restarts, so its runtime can find what
// an earlier run of this pod left behind) and a lock, so two workers never share one job store.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class StateDirError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the state directory for this process: its pod id, and `release` for a clean exit. */
export function claimStateDir(dir: string): { podId: string; release: () => void } {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "pod.lock");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    // A lock naming this very pid is a stale one from an earlier run in a fresh container.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
      throw new StateDirError(`state dir ${dir} is in use by another pod worker (pid ${pid})`);
  }
  writeFileSync(lock, `${process.pid}\n`);
  const idFile = join(dir, "pod-id");
  if (!existsSync(idFile)) writeFileSync(idFile, `pod-${randomBytes(4).toString("hex")}\n`);
  const podId = readFileSync(idFile, "utf8").trim();
  if (!/^pod-[0-9a-f]{8}$/.test(podId))
    throw new StateDirError(`${idFile} does not hold a pod id (pod-<8 hex digits>)`);
  return { podId, release: () => rmSync(lock, { force: true }) };
}
