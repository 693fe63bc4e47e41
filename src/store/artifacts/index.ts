// The artifact store: EvalReports and container logs, kept in a local folder or in S3 via a spool.
export * from "./env.js";
export * from "./key.js";
export * from "./local.js";
export * from "./s3.js";
export * from "./types.js";
export type { RetryPolicy } from "./uploads.js";
