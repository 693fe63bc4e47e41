// The S3 store's record of uploads S3 has not confirmed: one marker file per key in the spool,
// `.pending/<sha256 of the key>.json`, written before the artifact itself and removed only once S3
// holds it. So an artifact in the spool without a marker is in S3, which is what lets a restarted
// validator's re-put of the same bytes be a no-op; and a new store over the spool finds every
// upload a previous one left waiting.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { type ArtifactFolder, isMissing } from "./files.js";
import { artifactKeyProblem } from "./key.js";
import type { ArtifactLog } from "./types.js";

const PENDING = ".pending";

const MarkerSchema = z.object({ key: z.string(), contentType: z.string() });
export type Marker = z.infer<typeof MarkerSchema>;

const markerName = (key: string) => `${createHash("sha256").update(key).digest("hex")}.json`;

export async function writeMarker(spool: ArtifactFolder, marker: Marker): Promise<void> {
  await spool.write(`${PENDING}/${markerName(marker.key)}`, Buffer.from(JSON.stringify(marker)));
}

/** Not synced: a marker that comes back after a crash only uploads the artifact once more. */
export async function removeMarker(spool: ArtifactFolder, key: string): Promise<void> {
  await rm(spool.path(`${PENDING}/${markerName(key)}`), { force: true });
}

/**
 * The markers in the spool, oldest first. A marker whose artifact is not there was left by a put
 * killed before it wrote the artifact (that put never resolved, so its caller puts again): it is
 * removed. A marker that cannot be read is logged and left alone.
 */
export function loadMarkers(spool: ArtifactFolder, log: ArtifactLog): Marker[] {
  const dir = spool.path(PENDING);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const found: { marker: Marker; mtimeMs: number }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let marker: Marker;
    try {
      marker = MarkerSchema.parse(JSON.parse(readFileSync(file, "utf8")));
      if (artifactKeyProblem(marker.key) || markerName(marker.key) !== name)
        throw new Error("it names another key");
    } catch (err) {
      log({ msg: "artifact upload marker unreadable, skipped", file, reason: firstLine(err) });
      continue;
    }
    let artifact: ReturnType<typeof statSync> | undefined;
    try {
      artifact = statSync(spool.path(marker.key));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (!artifact?.isFile()) {
      rmSync(file, { force: true });
      continue;
    }
    found.push({ marker, mtimeMs: statSync(file).mtimeMs });
  }
  return found.sort((a, b) => a.mtimeMs - b.mtimeMs).map((f) => f.marker);
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split("\n")[0];
