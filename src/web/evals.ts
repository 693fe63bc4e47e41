// One eval job as the API serves it: the store's record, and the view of its EvalReport read from
// the artifact store. Reports never change once settled, so their views are kept in a small cache
// (a report can be tens of MB; its view is a small fraction of that).
import { EvalReportSchema } from "../eval/report.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { Job, ValidatorStore } from "../store/store.js";
import { type EvalView, type ReportView, reportView } from "./eval-view.js";

const CACHED = 16;

export const reportPath = (id: number) => `/api/evals/${id}/report`;

export class EvalReader {
  private readonly views = new Map<string, ReportView>();

  constructor(
    private readonly store: ValidatorStore,
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
