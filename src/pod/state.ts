// The pod's state directory: the pod's own id (stable across restarts, so its runtime can find what
// an earlier run of this pod left behind) and a lock, so two workers never share one job store.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { DirectoryLockedError, lockDirectory } from "../store/lock.js";

export class StateDirError extends Error {}

/** Takes the state directory for this process: its pod id, and `release` for a clean exit. */
export function claimStateDir(dir: string): { podId: string; release: () => void } {
  let lock: { release: () => void };
  try {
    lock = lockDirectory(dir, "pod.lock", "pod worker");
  } catch (err) {
    if (err instanceof DirectoryLockedError) throw new StateDirError(err.message);
    throw err;
  }
  const idFile = join(dir, "pod-id");
  // Whole or not at all: an empty pod-id left by a kill would refuse every later start.
  if (!existsSync(idFile)) writeFileAtomic(idFile, `pod-${randomBytes(4).toString("hex")}\n`);
  const podId = readFileSync(idFile, "utf8").trim();
  if (!/^pod-[0-9a-f]{8}$/.test(podId))
    throw new StateDirError(`${idFile} does not hold a pod id (pod-<8 hex digits>)`);
  return { podId, release: lock.release };
}
