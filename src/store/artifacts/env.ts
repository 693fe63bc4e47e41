// Which artifact store the validator's environment asks for: S3 when CACHEON_S3_BUCKET is set,
// else the local folder. Empty values count as unset (compose passes .env's blanks through).
import { z } from "zod";
import { createLocalArtifactStore } from "./local.js";
import { createS3ArtifactStore } from "./s3.js";
import type { ArtifactLog, ArtifactStore } from "./types.js";
import type { RetryPolicy } from "./uploads.js";

/** Bad artifact-store settings in the environment: the message is one line for the operator. */
export class ArtifactConfigError extends Error {}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 120_000 };

// S3's bucket naming rules (3-63 characters, no adjacent dots, not an IP address).
const BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// AWS regions look like us-east-1, us-gov-west-1, ap-southeast-2; other servers accept any name.
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ANY_REGION = /^[a-z0-9][a-z0-9_-]*$/;

const unset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const setting = z.preprocess(unset, z.string().optional());
const EnvSchema = z.object({
  CACHEON_S3_BUCKET: setting,
  CACHEON_S3_ENDPOINT: setting,
  AWS_REGION: setting,
  AWS_ACCESS_KEY_ID: setting,
  AWS_SECRET_ACCESS_KEY: setting,
  AWS_SESSION_TOKEN: setting,
});

export interface ArtifactEnvOptions {
  /** Upload failures and skipped spool files (S3 only). */
  log?: ArtifactLog;
  retry?: RetryPolicy;
}

/** The store the environment configures; `localDir` is the local folder, or the spool for S3. */
export function artifactStoreFromEnv(
  env: Record<string, string | undefined>,
  localDir: string,
  options: ArtifactEnvOptions = {},
): ArtifactStore {
  const e = EnvSchema.parse(env);
  const bucket = e.CACHEON_S3_BUCKET;
  if (!bucket) {
    if (e.CACHEON_S3_ENDPOINT)
      fail(
        "CACHEON_S3_ENDPOINT is set but CACHEON_S3_BUCKET is empty: set the bucket too, or clear the endpoint to keep artifacts on local disk",
      );
    return createLocalArtifactStore(localDir);
  }
  if (!BUCKET.test(bucket))
    fail(
      `CACHEON_S3_BUCKET ${JSON.stringify(bucket)} is not an S3 bucket name (3-63 characters: a-z 0-9 . -, starting and ending with a letter or digit)`,
    );
  const endpoint = e.CACHEON_S3_ENDPOINT && parseEndpoint(e.CACHEON_S3_ENDPOINT);
  const region = e.AWS_REGION ?? "us-east-1";
  if (endpoint ? !ANY_REGION.test(region) : !AWS_REGION.test(region))
    fail(
      endpoint
        ? `AWS_REGION ${JSON.stringify(region)} is not a region name (a-z 0-9 _ -)`
        : `AWS_REGION ${JSON.stringify(region)} is not an AWS region such as us-east-1 (for another S3-compatible server, set CACHEON_S3_ENDPOINT)`,
    );
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = e;
  if (!accessKeyId !== !secretAccessKey)
    fail(
      `${accessKeyId ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"} is empty: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together, or neither to use the SDK's default credentials`,
    );
  return createS3ArtifactStore({
    bucket,
    region,
    spoolDir: localDir,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    retry: options.retry ?? DEFAULT_RETRY,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** An http(s) origin, without the trailing slash; never echoed back if it holds credentials. */
function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(
      `CACHEON_S3_ENDPOINT ${JSON.stringify(text)} is not a URL (such as http://minio:9000)`,
    );
  }
  if (url.username || url.password)
    fail(
      "CACHEON_S3_ENDPOINT must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
  if (url.protocol !== "http:" && url.protocol !== "https:")
    fail(
      `CACHEON_S3_ENDPOINT ${JSON.stringify(text)} must be an http:// or https:// URL (such as http://minio:9000)`,
    );
  if (url.pathname !== "/" || url.search || url.hash)
    fail(
      `CACHEON_S3_ENDPOINT ${JSON.stringify(text)} must be the server's origin alone (such as http://minio:9000), with no path`,
    );
  return url.origin;
}

function fail(message: string): never {
  throw new ArtifactConfigError(message);
}
