// A real S3-compatible server on loopback (s3rver) for the tests of S3 code, and a client of the
// test's own to see what the bucket really holds.
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";

export const BUCKET = "artifacts";
export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// s3rver ships no types: the little of it used here.
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer: Server;
}
const S3rver = createRequire(import.meta.url)("s3rver") as new (
  options: Record<string, unknown>,
) => S3rverServer;

/** s3rver on 127.0.0.1 over `dir` (objects survive a stop), with the bucket made at start. */
export async function startS3(dir: string, port = 0) {
  const server = new S3rver({
    address: "127.0.0.1",
    port,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET }],
  });
  const address = await server.run();
  return {
    port: address.port,
    endpoint: `http://127.0.0.1:${address.port}`,
    async stop() {
      // The SDK keeps connections alive; without this, close waits for them.
      server.httpServer.closeAllConnections();
      await server.close();
    },
  };
}

/** A client of the test's own, to see what the bucket really holds. */
export const s3Client = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });

export async function objectText(client: S3Client, key: string): Promise<string | null> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await res.Body?.transformToString()) ?? "";
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return null;
    throw err;
  }
}
