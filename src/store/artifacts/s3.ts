// The artifact store in S3 (or an S3-compatible server such as MinIO), with a local folder as its
// spool: a put writes the artifact there (durable before it resolves) and queues its upload, which
// is retried with backoff through any S3 outage and survives restarts (see spool.ts).
import { open } from "node:fs/promises";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ArtifactFolder, isMissing, toBytes } from "./files.js";
import { assertArtifactKey } from "./key.js";
import { errorReason } from "./reason.js";
import { loadMarkers, removeMarker, writeMarker } from "./spool.js";
import type { ArtifactLog, ArtifactStore } from "./types.js";
import { type RetryPolicy, UploadQueue } from "./uploads.js";

export interface S3ArtifactStoreOptions {
  /** An S3-compatible server's URL (addressed path-style); AWS itself when left out. */
  endpoint?: string;
  bucket: string;
  region: string;
  spoolDir: string;
  /** The SDK's default chain (environment, profile, instance role) when left out. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  retry: RetryPolicy;
  log?: ArtifactLog;
  /** A client to use instead of one made from endpoint, region and credentials. */
  client?: S3Client;
}

const noop = () => {};

export function createS3ArtifactStore(opts: S3ArtifactStoreOptions): ArtifactStore {
  const { bucket } = opts;
  const log = opts.log ?? noop;
  const spool = new ArtifactFolder(opts.spoolDir);
  const client =
    opts.client ??
    new S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      // The queue retries, and a streamed body cannot be sent twice by the SDK anyway.
      maxAttempts: 1,
      // Checksums only where S3 requires them: S3-compatible servers reject aws-chunked bodies.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // A server that stops answering fails the attempt instead of holding the queue forever.
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
      // Else the SDK prints a warning to the console for each failed upload; the queue logs those.
      logger: { debug: noop, info: noop, warn: noop, error: noop },
    });

  const upload = async (key: string, contentType: string): Promise<void> => {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(spool.path(key), "r");
    } catch (err) {
      if (!isMissing(err)) throw err;
      // Only a put that failed between its marker and its write leaves this; it threw to its caller.
      log({ msg: "artifact upload dropped: no local copy", key });
      return;
    }
    // The handle pins these bytes even if a newer put renames other bytes over the file meanwhile.
    const body = fh.createReadStream({ autoClose: false });
    try {
      const { size } = await fh.stat();
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: size,
          ContentType: contentType,
        }),
      );
    } finally {
      body.destroy();
      await fh.close();
    }
  };

  const queue = new UploadQueue({
    upload,
    settled: (key) => removeMarker(spool, key),
    retry: opts.retry,
    log,
  });
  for (const marker of loadMarkers(spool, log)) queue.add(marker.key, marker.contentType);

  const where = opts.endpoint ?? `AWS ${opts.region}`;
  return {
    async put(key, body, contentType) {
      assertArtifactKey(key);
      const bytes = toBytes(body);
      await queue.withKey(key, async () => {
        // In the spool already: either S3 has it or its marker is still there and it waits.
        if (await spool.holds(key, bytes)) return;
        await writeMarker(spool, { key, contentType });
        await spool.write(key, bytes);
        queue.add(key, contentType);
      });
    },
    async get(key) {
      assertArtifactKey(key);
      const local = await spool.read(key);
      if (local) return local;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      } catch (err) {
        if ((err as Error).name === "NoSuchKey") return null;
        throw new Error(`cannot read artifact ${key} from s3://${bucket}: ${errorReason(err)}`);
      }
    },
    pending: () => queue.size,
    flush: () => queue.flush(),
    describe: () => `s3://${bucket} at ${where} (spool ${spool.dir})`,
    async close() {
      await queue.close();
      if (!opts.client) client.destroy();
    },
  };
}
