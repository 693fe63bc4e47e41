// A folder of artifacts, `<dir>/<key>`, each file written whole or not at all: a temp file in
// `<dir>/.tmp/` (no key starts with ".", so a temp file is never an artifact), synced, renamed into
// place, and its folders synced so the rename survives a crash too. A write cut short by a kill
// leaves only a temp file, which the next store over the folder removes. One store per folder.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";

/** Bytes compared per read when checking a file against a body. */
const CHUNK = 1 << 20;

export const toBytes = (body: Uint8Array | string): Uint8Array =>
  typeof body === "string" ? Buffer.from(body, "utf8") : body;

/** No file at that path: none there, a file where a folder should be, or a folder there. */
export const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
};

export class ArtifactFolder {
  readonly dir: string;
  private readonly tmp: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.tmp = join(this.dir, ".tmp");
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  /** The file of `rel`, a valid key or a path of the store's own under a "." folder. */
  path(rel: string): string {
    return join(this.dir, rel);
  }

  async write(rel: string, bytes: Uint8Array): Promise<void> {
    const target = this.path(rel);
    const tmp = join(this.tmp, randomBytes(8).toString("hex"));
    try {
      const fh = await open(tmp, "w");
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new Error(`cannot write ${target}: ${(err as Error).message}`);
    }
    await this.syncFolders(dirname(target));
  }

  /** Whether `rel` is a file holding exactly `bytes` (read in chunks: bodies can be large). */
  async holds(rel: string, bytes: Uint8Array): Promise<boolean> {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.path(rel), "r");
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    try {
      const stat = await fh.stat();
      if (!stat.isFile() || stat.size !== bytes.length) return false;
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, bytes.length));
      for (let at = 0; at < bytes.length; ) {
        const want = Math.min(buf.length, bytes.length - at);
        const { bytesRead } = await fh.read(buf, 0, want, at);
        if (bytesRead === 0) return false;
        if (!buf.subarray(0, bytesRead).equals(bytes.subarray(at, at + bytesRead))) return false;
        at += bytesRead;
      }
      return true;
    } finally {
      await fh.close();
    }
  }

  /** The bytes of `rel`; null when no file is there. */
  async read(rel: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.path(rel));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** fsync `from` and every folder above it up to the store's own (new folders need it too). */
  private async syncFolders(from: string): Promise<void> {
    for (let d = from; ; d = dirname(d)) {
      const fh = await open(d, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (relative(this.dir, d) === "") return;
    }
  }
}
