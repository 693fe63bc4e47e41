// The jobs and job_candidates tables: each eval job (its seed, its pod, its attempts) and, per
// candidate, the result its settled report gave.
import type { Db, Row } from "./db.js";

export type JobStatus = "pending" | "submitted" | "settled" | "failed";

export interface JobCandidate {
  submissionId: number;
  name: string;
  role: "challenger" | "king";
  image: string;
}

export interface Job {
  id: number;
  status: JobStatus;
  pod: string | null;
  podJob: string | null;
  seed: string;
  seedBlock: number;
  kingSubmission: number | null;
  attempts: number;
  createdAtMs: number;
  updatedAtMs: number;
  reason: string | null;
  reportKey: string | null;
  candidates: JobCandidate[];
}

/** One candidate's result from a settled report. */
export interface CandidateResult {
  submissionId: number;
  passed: boolean;
  score: number;
  ttftMs: number | null;
  tokensPerSec: number | null;
  failureStage: string | null;
  failure: string | null;
  logsKey: string | null;
}

/** A submission's server name in pod jobs and reports. */
export function candidateName(submissionId: number): string {
  return `s${submissionId}`;
}

export function job(db: Db, id: number): Job | null {
  const r = db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
  if (!r) return null;
  const candidates = (
    db
      .prepare(
        `SELECT c.submission_id, c.name, c.role, s.image FROM job_candidates c
         JOIN submissions s ON s.id = c.submission_id WHERE c.job_id = ? ORDER BY c.role DESC, s.block, s.id`,
      )
      .all(id) as Row[]
  ).map((c) => ({
    submissionId: c.submission_id as number,
    name: c.name as string,
    role: c.role as JobCandidate["role"],
    image: c.image as string,
  }));
  return {
    id,
    status: r.status as JobStatus,
    pod: r.pod as string | null,
    podJob: r.pod_job as string | null,
    seed: r.seed as string,
    seedBlock: r.seed_block as number,
    kingSubmission: r.king_submission as number | null,
    attempts: r.attempts as number,
    createdAtMs: r.created_at_ms as number,
    updatedAtMs: r.updated_at_ms as number,
    reason: r.reason as string | null,
    reportKey: r.report_key as string | null,
    candidates,
  };
}

const jobsWhere = (db: Db, sql: string, ...params: unknown[]): Job[] =>
  (db.prepare(sql).all(...params) as Row[]).map((r) => job(db, r.id as number) as Job);

/** Jobs not finished yet (pending or on a pod), oldest first. */
export const openJobs = (db: Db): Job[] =>
  jobsWhere(db, "SELECT id FROM jobs WHERE status IN ('pending', 'submitted') ORDER BY id");

export const allJobs = (db: Db): Job[] => jobsWhere(db, "SELECT id FROM jobs ORDER BY id");

/** The `n` newest jobs, newest first. */
export const recentJobs = (db: Db, n: number): Job[] =>
  jobsWhere(db, "SELECT id FROM jobs ORDER BY id DESC LIMIT ?", n);

/** A pending job without candidates yet; returns its id. */
export function insertJob(
  db: Db,
  seed: { hash: string; block: number },
  kingSubmission: number | null,
  nowMs: number,
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO jobs (status, seed, seed_block, king_submission, created_at_ms, updated_at_ms)
         VALUES ('pending', ?, ?, ?, ?, ?)`,
      )
      .run(seed.hash, seed.block, kingSubmission, nowMs, nowMs).lastInsertRowid,
  );
}

export function addCandidate(
  db: Db,
  jobId: number,
  submissionId: number,
  role: JobCandidate["role"],
): void {
  db.prepare(
    "INSERT INTO job_candidates (job_id, submission_id, name, role) VALUES (?, ?, ?, ?)",
  ).run(jobId, submissionId, candidateName(submissionId), role);
}

/** The job is on `pod` as `podJob` (one attempt more). */
export function markSubmitted(
  db: Db,
  jobId: number,
  pod: string,
  podJob: string,
  nowMs: number,
): void {
  db.prepare(
    `UPDATE jobs SET status = 'submitted', pod = ?, pod_job = ?, attempts = attempts + 1,
       updated_at_ms = ? WHERE id = ? AND status = 'pending'`,
  ).run(pod, podJob, nowMs, jobId);
}

export function countAttempt(db: Db, jobId: number): void {
  db.prepare("UPDATE jobs SET attempts = attempts + 1 WHERE id = ?").run(jobId);
}

/** Failed for good. */
export function failJob(db: Db, jobId: number, reason: string, nowMs: number): void {
  db.prepare("UPDATE jobs SET status = 'failed', reason = ?, updated_at_ms = ? WHERE id = ?").run(
    reason,
    nowMs,
    jobId,
  );
}

/** Off its pod, waiting for another. */
export function unassignJob(db: Db, jobId: number, reason: string, nowMs: number): void {
  db.prepare(
    `UPDATE jobs SET status = 'pending', pod = NULL, pod_job = NULL, reason = ?,
       updated_at_ms = ? WHERE id = ?`,
  ).run(reason, nowMs, jobId);
}

export function recordResult(db: Db, jobId: number, r: CandidateResult): void {
  db.prepare(
    `UPDATE job_candidates SET passed = @passed, score = @score, ttft_ms = @ttft,
       tokens_per_sec = @tps, failure_stage = @stage, failure = @failure, logs_key = @logs
     WHERE job_id = @job AND submission_id = @id`,
  ).run({
    job: jobId,
    id: r.submissionId,
    passed: r.passed ? 1 : 0,
    score: r.score,
    ttft: r.ttftMs,
    tps: r.tokensPerSec,
    stage: r.failureStage,
    failure: r.failure,
    logs: r.logsKey,
  });
}

export function markSettled(
  db: Db,
  jobId: number,
  report: { key: string; status: string },
  atMs: number,
): void {
  db.prepare(
    `UPDATE jobs SET status = 'settled', report_key = ?, report_status = ?, reason = NULL,
       updated_at_ms = ? WHERE id = ?`,
  ).run(report.key, report.status, atMs, jobId);
}

/** The job's candidates that have a result, with their names and roles. */
export function results(
  db: Db,
  jobId: number,
): (CandidateResult & { name: string; role: string })[] {
  return (
    db
      .prepare("SELECT * FROM job_candidates WHERE job_id = ? AND passed IS NOT NULL")
      .all(jobId) as Row[]
  ).map((r) => ({
    submissionId: r.submission_id as number,
    name: r.name as string,
    role: r.role as string,
    passed: r.passed === 1,
    score: r.score as number,
    ttftMs: r.ttft_ms as number | null,
    tokensPerSec: r.tokens_per_sec as number | null,
    failureStage: r.failure_stage as string | null,
    failure: r.failure as string | null,
    logsKey: r.logs_key as string | null,
  }));
}
