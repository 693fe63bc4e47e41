// The leaderboard: submissions joined with their latest settled result (a read-only view over the
// submissions, jobs and job_candidates tables).
import type { Db, Row } from "./db.js";
import { type Submission, type SubmissionStatus, submissionOf } from "./submissions.js";

export interface LeaderboardRow {
  submission: Submission;
  /** Its latest settled result (a king's is its latest fresh run). */
  result: {
    jobId: number;
    passed: boolean;
    score: number;
    ttftMs: number | null;
    tokensPerSec: number | null;
    failure: string | null;
  } | null;
}

export interface SubmissionQuery {
  hotkey?: string;
  status?: SubmissionStatus;
  order: "score" | "commit";
  /** -1: no limit. */
  limit: number;
  offset: number;
}

/**
 * A page of submissions with their latest settled results: filtered by hotkey and status, in
 * score order (best first, unevaluated last) or commit order; `total` counts the filter's matches.
 */
export function submissionPage(
  db: Db,
  q: SubmissionQuery,
): { total: number; rows: LeaderboardRow[] } {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: q.limit, offset: q.offset };
  if (q.hotkey !== undefined) {
    where.push("s.hotkey = @hotkey");
    params.hotkey = q.hotkey;
  }
  if (q.status !== undefined) {
    where.push("s.status = @status");
    params.status = q.status;
  }
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const order =
    q.order === "score" ? "c.score IS NULL, c.score DESC, s.block, s.id" : "s.block, s.id";
  const total = (db.prepare(`SELECT count(*) AS n FROM submissions s ${filter}`).get(params) as Row)
    .n as number;
  const rows = (
    db
      .prepare(
        `SELECT s.*, c.job_id AS result_job, c.ttft_ms, c.tokens_per_sec, c.score AS result_score,
           c.passed AS result_passed, c.failure
         FROM submissions s
         LEFT JOIN job_candidates c ON c.rowid = (
           SELECT c2.rowid FROM job_candidates c2 JOIN jobs j ON j.id = c2.job_id
           WHERE c2.submission_id = s.id AND j.status = 'settled' AND c2.passed IS NOT NULL
           ORDER BY c2.job_id DESC LIMIT 1)
         ${filter}
         ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all(params) as Row[]
  ).map((r) => ({
    submission: submissionOf(r),
    result:
      r.result_job === null
        ? null
        : {
            jobId: r.result_job as number,
            passed: r.result_passed === 1,
            score: r.result_score as number,
            ttftMs: r.ttft_ms as number | null,
            tokensPerSec: r.tokens_per_sec as number | null,
            failure: r.failure as string | null,
          },
  }));
  return { total, rows };
}
