// The artifact store the validator keeps EvalReports and container logs in: a local folder, or S3
// with that folder as its spool. Every artifact is on local disk before `put` resolves.
export interface ArtifactStore {
  /** Durable locally when this resolves (and uploaded or queued for upload). Same key + same bytes: no-op. */
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** The bytes, from the local copy or else from S3; null if unknown. */
  get(key: string): Promise<Uint8Array | null>;
  /** Uploads waiting for S3 (0 for the local store). */
  pending(): number;
  /** Tries every waiting upload now; resolves with what is still waiting. */
  flush(): Promise<number>;
  /** "local folder /x" or "s3://bucket at http://endpoint (spool /x)". */
  describe(): string;
  /** Stops the retry timer (waits for an upload in flight). */
  close(): Promise<void>;
}

/** Structured log lines (pino's shape: an object with `msg`). */
export type ArtifactLog = (obj: Record<string, unknown>) => void;
