// The weights folder's files: their sha256, streamed (a shard is several GB), and the pin an
// operator who has the files pastes into an arena config (`cacheon pod weights pin`).
import { createHash } from "node:crypto";
import { createReadStream, readdirSync } from "node:fs";
import { join } from "node:path";
import type { WeightsPin } from "../../arena/config.js";

/** The file's sha256 (lowercase hex) and size; `onBytes` hears each chunk's length. */
export async function hashFile(
  file: string,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20, signal })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    onBytes?.((chunk as Buffer).length);
  }
  return { sha256: hash.digest("hex"), size };
}

/** Every file under `dir` as a relative `/` path, sorted; hidden entries (`.cache/`, partial
 *  downloads) are not the weights and are skipped. */
export function weightFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) out.push(path);
    }
  };
  walk("");
  return out.sort();
}

/**
 * The pin of the files in `dir`: `paths` (an arena's list), else every file there. Unconfirmed:
 * it says what this folder holds; a person checks it against the hub before setting confirmed.
 */
export async function pinFolder(
  dir: string,
  o: { repo: string; revision: string; paths?: readonly string[]; onFile?: (path: string) => void },
): Promise<WeightsPin> {
  const files: WeightsPin["files"] = [];
  for (const path of o.paths ?? weightFiles(dir)) {
    o.onFile?.(path);
    const { sha256, size } = await hashFile(join(dir, path));
    files.push({ path, size, sha256 });
  }
  return { repo: o.repo, revision: o.revision, confirmed: false, files };
}
