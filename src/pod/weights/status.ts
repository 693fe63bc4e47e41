// Where the pod's weights stand, for `/health` (docs/validators/pod.md): preparing (verifying what
// the folder holds, downloading what it lacks), ready, or failed with the reason. The pod takes no
// job until ready. The setup's times are paid machine time, so they are kept and shown.
import { z } from "zod";

export const WeightsStatusSchema = z.strictObject({
  state: z.enum(["preparing", "ready", "failed"]),
  repo: z.string(),
  revision: z.string(),
  /** True only when the arena's pin is confirmed and every file matched a pinned sha256. */
  confirmed: z.boolean(),
  files: z.number().int().min(0),
  filesDone: z.number().int().min(0),
  /** Bytes hashed so far: read from the folder or received from the hub. */
  bytesDone: z.number().int().min(0),
  downloadedBytes: z.number().int().min(0),
  startedAt: z.string(),
  /** Since startedAt: so far while preparing, the whole setup once ended. */
  setupMs: z.number().min(0),
  /** The check of the files the folder held, and the download of the rest (null: not yet). */
  verifyMs: z.number().min(0).nullable(),
  downloadMs: z.number().min(0).nullable(),
  /** Why the weights are refused (failed), naming the file. */
  error: z.string().nullable(),
});
export type WeightsStatus = z.infer<typeof WeightsStatusSchema>;

/** What preparing the weights reports as it goes (prepare.ts). */
export type WeightsEvent =
  | { type: "phase"; phase: "verify" | "download"; files: number }
  | { type: "file"; path: string; action: "verify" | "download"; size?: number }
  | { type: "bytes"; path: string; n: number; downloaded: boolean }
  | { type: "file-done"; path: string; sha256: string; pinned: boolean }
  | { type: "retry"; path: string; attempt: number; reason: string }
  | { type: "phase-done"; phase: "verify" | "download"; ms: number };

/** The live status, fed by prepare's events; the pod's server reads it. */
export class WeightsTracker {
  private s: WeightsStatus;
  private readonly started: number;

  constructor(
    pin: { repo: string; revision: string; files: readonly unknown[] },
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.s = {
      state: "preparing",
      repo: pin.repo,
      revision: pin.revision,
      confirmed: false,
      files: pin.files.length,
      filesDone: 0,
      bytesDone: 0,
      downloadedBytes: 0,
      startedAt: new Date(this.started).toISOString(),
      setupMs: 0,
      verifyMs: null,
      downloadMs: null,
      error: null,
    };
  }

  readonly onEvent = (e: WeightsEvent): void => {
    if (e.type === "bytes") {
      this.s.bytesDone += e.n;
      if (e.downloaded) this.s.downloadedBytes += e.n;
    } else if (e.type === "file-done") this.s.filesDone++;
    else if (e.type === "phase-done")
      this.s[e.phase === "verify" ? "verifyMs" : "downloadMs"] = e.ms;
  };

  ready(confirmed: boolean): void {
    this.end({ state: "ready", confirmed });
  }

  failed(error: string): void {
    this.end({ state: "failed", error });
  }

  /** Null when jobs may run; else why not, in one line. */
  refusal(): string | null {
    if (this.s.state === "ready") return null;
    if (this.s.state === "failed") return `the pod's weights are refused: ${this.s.error}`;
    return `the pod is still preparing its weights (${this.s.filesDone} of ${this.s.files} files)`;
  }

  status(): WeightsStatus {
    const setupMs = this.s.state === "preparing" ? this.now() - this.started : this.s.setupMs;
    return { ...this.s, setupMs };
  }

  private end(patch: Partial<WeightsStatus>): void {
    this.s = { ...this.s, ...patch, setupMs: this.now() - this.started };
  }
}
