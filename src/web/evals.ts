// One eval job as the API serves it: the store's record, and the view of its EvalReport read from
// the artifact store. Reports never change once settled, so their views are kept in a small cache
// (a report can be tens of MB; its view is a small fraction of that), and so are their gzipped
// bytes (compressing a 12 MB report costs most of a second of CPU; its gzip is a tenth of it).
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { EvalReportSchema } from "../eval/report.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { Job, ReadonlyStore } from "../store/store.js";
import { type EvalView, type ReportView, reportView } from "./eval-view.js";

const CACHED = 16;

const gz = promisify(gzip);

/** How many gzipped reports are kept, and how many bytes in all at most. */
export const GZIP_CACHE = { entries: 8, bytes: 64 * 1024 * 1024 };

export const reportPath = (id: number) => `/api/evals/${id}/report`;

export class EvalReader {
  private readonly views = new Map<string, ReportView>();
  /** Gzipped reports by artifact key, least recently served first. */
  private readonly gzipped = new Map<string, Buffer>();
  private gzippedBytes = 0;
  /** Compressions in progress, shared by the requests that arrive meanwhile. */
  private readonly zipping = new Map<string, Promise<Buffer | null>>();
  /** Served from the cache (or a compression already running), and compressed. */
  readonly gzipStats = { hits: 0, compressions: 0 };

  constructor(
    private readonly store: ReadonlyStore,
    private readonly artifacts: ArtifactStore,
  ) {}

  /** The job, or null when there is none with this id. */
  async eval(id: number): Promise<EvalView | null> {
    const job = this.store.job(id);
    if (!job) return null;
    let report: ReportView | null = null;
    let reportProblem: string | null = null;
    if (job.reportKey) {
      try {
        report = await this.view(job, job.reportKey);
        if (!report) reportProblem = "the report is not in the artifact store";
      } catch (err) {
        reportProblem = `the report could not be read: ${(err as Error).message}`;
      }
    }
    return {
      id: job.id,
      status: job.status,
      seed: job.seed,
      seedBlock: job.seedBlock,
      attempts: job.attempts,
      createdAtMs: job.createdAtMs,
      updatedAtMs: job.updatedAtMs,
      reason: job.reason,
      candidates: job.candidates,
      reportUrl: job.reportKey ? reportPath(job.id) : null,
      report,
      reportProblem,
    };
  }

  /** The full report's bytes (JSON), or null. */
  async reportBytes(id: number): Promise<Uint8Array | null> {
    const key = this.store.job(id)?.reportKey;
    return key ? this.artifacts.get(key) : null;
  }

  /** The full report gzipped, or null; compressed once, then kept (within GZIP_CACHE). */
  async reportGzip(id: number): Promise<Buffer | null> {
    const key = this.store.job(id)?.reportKey;
    if (!key) return null;
    const kept = this.gzipped.get(key);
    if (kept) {
      this.gzipped.delete(key);
      this.gzipped.set(key, kept);
      this.gzipStats.hits++;
      return kept;
    }
    const running = this.zipping.get(key);
    if (running) {
      this.gzipStats.hits++;
      return running;
    }
    const zipping = (async () => {
      const bytes = await this.artifacts.get(key);
      if (!bytes) return null;
      const zipped = await gz(bytes);
      this.gzipStats.compressions++;
      this.keepGzip(key, zipped);
      return zipped;
    })().finally(() => this.zipping.delete(key));
    this.zipping.set(key, zipping);
    return zipping;
  }

  /** Gzipped reports kept, and their bytes. */
  get gzipCache(): { entries: number; bytes: number } {
    return { entries: this.gzipped.size, bytes: this.gzippedBytes };
  }

  private keepGzip(key: string, zipped: Buffer): void {
    if (zipped.length > GZIP_CACHE.bytes) return;
    this.gzipped.set(key, zipped);
    this.gzippedBytes += zipped.length;
    while (this.gzipped.size > GZIP_CACHE.entries || this.gzippedBytes > GZIP_CACHE.bytes) {
      const [oldest, dropped] = this.gzipped.entries().next().value as [string, Buffer];
      this.gzipped.delete(oldest);
      this.gzippedBytes -= dropped.length;
    }
  }

  private async view(job: Job, key: string): Promise<ReportView | null> {
    const cached = this.views.get(key);
    if (cached) return cached;
    const bytes = await this.artifacts.get(key);
    if (!bytes) return null;
    const parsed = EvalReportSchema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    if (!parsed.success) throw new Error(`not a ${EvalReportSchema.shape.schema.value} report`);
    const view = reportView(parsed.data, job);
    this.views.set(key, view);
    if (this.views.size > CACHED) this.views.delete(this.views.keys().next().value as string);
    return view;
  }
}
