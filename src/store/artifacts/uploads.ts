// The uploads waiting for S3, tried in one loop in order. A failure sends its key to the back of the
// line and backs the loop off (an outage fails every key alike), doubling from baseMs up to maxMs;
// a success resets it. The loop never holds up a put, which only adds its key and nudges it.
import { errorReason } from "./reason.js";
import type { ArtifactLog } from "./types.js";

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** The wait after the n-th failed round in a row (n ≥ 1): baseMs·2^(n−1), at most maxMs. */
export function backoffMs(failures: number, retry: RetryPolicy): number {
  return Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 40));
}

/** A waiting upload; a newer put of the same key replaces it with a new object. */
interface Waiting {
  contentType: string;
  attempts: number;
}

export interface UploadQueueOptions {
  /** Sends the key's local copy to S3; throws on failure. */
  upload: (key: string, contentType: string) => Promise<void>;
  /** Forgets a key S3 now holds (its marker); called under the key's lock. */
  settled: (key: string) => Promise<void>;
  retry: RetryPolicy;
  log: ArtifactLog;
}

export class UploadQueue {
  private readonly waiting = new Map<string, Waiting>();
  private readonly locks = new Map<string, Promise<void>>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Failed rounds in a row. */
  private failures = 0;
  private closed = false;

  constructor(private readonly opts: UploadQueueOptions) {}

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Runs `fn` alone for `key`: a put's check, marker and write, or the removal of the marker after
   * an upload, so that a marker is never removed for bytes that S3 did not get.
   */
  async withKey<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.locks.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** Queues `key` (again, if it was waiting: its bytes changed) and starts uploading if idle. */
  add(key: string, contentType: string): void {
    this.waiting.delete(key);
    this.waiting.set(key, { contentType, attempts: 0 });
    this.kick();
  }

  /** Tries every waiting upload now, backing off or not; resolves with what is still waiting. */
  async flush(): Promise<number> {
    this.stopTimer();
    while (this.running) await this.running;
    this.start(true);
    await this.running;
    return this.waiting.size;
  }

  /** Stops the retry timer and waits for the upload in flight; what waits stays in the spool. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimer();
    while (this.running) await this.running;
  }

  private kick(): void {
    if (!this.closed && !this.running && !this.timer) this.start(false);
  }

  private start(all: boolean): void {
    this.running = this.drain(all).finally(() => {
      this.running = null;
      // A key added while the loop was finishing would otherwise wait for the next put.
      if (this.waiting.size > 0) this.kick();
    });
  }

  /** Rounds until nothing waits or one fails; a failed round stops at its first failure unless `all`. */
  private async drain(all: boolean): Promise<void> {
    for (;;) {
      if (this.closed && !all) return;
      const failed = await this.round(all);
      if (failed.length > 0) {
        // Failed keys go to the back: one that always fails must not hold up the others.
        for (const [key, entry] of failed) {
          if (this.waiting.get(key) !== entry) continue;
          this.waiting.delete(key);
          this.waiting.set(key, entry);
        }
        this.failures++;
        if (!this.closed) {
          this.timer = setTimeout(
            () => {
              this.timer = null;
              this.kick();
            },
            backoffMs(this.failures, this.opts.retry),
          );
          this.timer.unref();
        }
        return;
      }
      this.failures = 0;
      if (this.waiting.size === 0) return;
    }
  }

  /** One pass over the waiting keys (a key added meanwhile is reached too); the ones that failed. */
  private async round(all: boolean): Promise<[string, Waiting][]> {
    const failed: [string, Waiting][] = [];
    const tried = new Set<string>();
    for (const [key, entry] of this.waiting) {
      if (tried.has(key)) continue;
      tried.add(key);
      if (this.closed && !all) break;
      try {
        await this.opts.upload(key, entry.contentType);
        await this.withKey(key, async () => {
          if (this.waiting.get(key) !== entry) return; // put again meanwhile: upload the new bytes
          await this.opts.settled(key);
          this.waiting.delete(key);
        });
      } catch (err) {
        entry.attempts++;
        failed.push([key, entry]);
        this.opts.log({
          msg: "artifact upload failed",
          key,
          attempt: entry.attempts,
          retryInMs: this.closed ? null : backoffMs(this.failures + 1, this.opts.retry),
          reason: errorReason(err),
        });
        if (!all) break;
      }
    }
    return failed;
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
