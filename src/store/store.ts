// The validator's state, in SQLite (DESIGN §3: store/). Each method that changes state is one
// transaction: the loop can be killed between any two of them and resumes from what is here alone.
// The rules themselves (admission, king, weights) are pure functions in score/; this module only
// reads their inputs and writes their outputs.
import { admitSubmission } from "../score/admission.js";
import { applyMetagraph, type King, type KingEvent } from "../score/king.js";
import { type Db, openDatabase } from "./db.js";

export const SUBMISSION_STATUSES = [
  "queued",
  "evaluating",
  "evaluated",
  "failed",
  "rejected",
  "ignored",
  "dropped",
] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export interface Submission {
  id: number;
  hotkey: string;
  uid: number | null;
  /** The committed text (valid) or the field's bytes in hex (invalid). */
  commitment: string;
  image: string | null;
  digest: string | null;
  /** The commitment's block. */
  block: number;
  seenBlock: number;
  seenAtMs: number;
  status: SubmissionStatus;
  reason: string | null;
  score: number | null;
  passed: boolean | null;
  jobId: number | null;
}

/** One commitment as the scanner read it from the chain. */
export type ScannedCommitment = {
  hotkey: string;
  block: number;
} & ({ ok: true; image: string; digest: string } | { ok: false; raw: string; reason: string });

export interface ScanResult {
  /** Submissions new in this scan, every status. */
  added: Submission[];
  /** Queued submissions whose hotkey left the subnet. */
  dropped: Submission[];
  kingEvents: KingEvent[];
}

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

export interface Settlement {
  jobId: number;
  reportKey: string;
  reportStatus: string;
  results: CandidateResult[];
  /** The king after the session (from score/king settleSession) and what happened. */
  king: King | null;
  kingEvents: KingEvent[];
  /** Passing challengers whose session measured a king that is no longer king: queued again. */
  requeue: number[];
  atMs: number;
}

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

export interface WeightSet {
  slot: number;
  status: "submitting" | "set" | "failed";
  uids: number[];
  weights: number[];
  startedBlock: number;
  attempts: number;
  nextTryMs: number;
  /** The block of the extrinsic: set_weights, or the timelocked commit. */
  block: number | null;
  outcome: string | null;
  error: string | null;
  /** Present when the slot's weights went as a timelocked commit: what became of it. */
  commit?: WeightCommit;
}

/** A slot's drand-timelocked commit (commit-reveal v4), which the chain reveals itself. */
export interface WeightCommit {
  slot: number;
  netuidIndex: number;
  hotkey: string;
  commitHash: string;
  revealRound: number;
  commitBlock: number;
  commitEpoch: number;
  revealEpoch: number;
  firstRevealBlock: number;
  lastRevealBlock: number;
  status: "pending" | "revealed" | "expired" | "dropped" | "unconfirmed";
  /** The block of the hotkey's TimelockedWeightsRevealed. */
  revealBlock: number | null;
  /** The chain is known not to have revealed it up to this block. */
  checkedBlock: number;
}

export type WeightCommitInput = Omit<
  WeightCommit,
  "slot" | "status" | "revealBlock" | "checkedBlock"
>;

export type WeightCommitUpdate =
  | { status: "pending"; checkedBlock: number }
  /** revealBlock null: revealed (the weights on chain are its), the block no longer known. */
  | { status: "revealed"; revealBlock: number | null; checkedBlock: number }
  | { status: "expired" | "dropped" | "unconfirmed"; checkedBlock: number };

export interface KingHistoryEntry {
  id: number;
  atMs: number;
  type: string;
  submissionId: number;
  hotkey: string;
  uid: number;
  score: number;
  jobId: number | null;
  detail: KingEvent;
}

// Admitted submissions count for "one per hotkey" and for copies; rejected and ignored ones do not.
const ADMITTED = "status IN ('queued', 'evaluating', 'evaluated', 'failed', 'dropped')";

type Row = Record<string, unknown>;

const submissionOf = (r: Row): Submission => ({
  id: r.id as number,
  hotkey: r.hotkey as string,
  uid: r.uid as number | null,
  commitment: r.commitment as string,
  image: r.image as string | null,
  digest: r.digest as string | null,
  block: r.block as number,
  seenBlock: r.seen_block as number,
  seenAtMs: r.seen_at_ms as number,
  status: r.status as SubmissionStatus,
  reason: r.reason as string | null,
  score: r.score as number | null,
  passed: r.passed === null ? null : r.passed === 1,
  jobId: r.job_id as number | null,
});

const kingOf = (r: Row): King => ({
  submissionId: String(r.submission_id),
  hotkey: r.hotkey as string,
  uid: r.uid as number,
  digest: r.digest as string,
  score: r.score as number,
  crownedAtMs: r.crowned_at_ms as number,
});

const weightCommitOf = (r: Row): WeightCommit => ({
  slot: r.slot as number,
  netuidIndex: r.netuid_index as number,
  hotkey: r.hotkey as string,
  commitHash: r.commit_hash as string,
  revealRound: r.reveal_round as number,
  commitBlock: r.commit_block as number,
  commitEpoch: r.commit_epoch as number,
  revealEpoch: r.reveal_epoch as number,
  firstRevealBlock: r.first_reveal_block as number,
  lastRevealBlock: r.last_reveal_block as number,
  status: r.status as WeightCommit["status"],
  revealBlock: r.reveal_block as number | null,
  checkedBlock: r.checked_block as number,
});

const weightSetOf = (r: Row): WeightSet => ({
  slot: r.slot as number,
  status: r.status as WeightSet["status"],
  uids: JSON.parse(r.uids as string) as number[],
  weights: JSON.parse(r.weights as string) as number[],
  startedBlock: r.started_block as number,
  attempts: r.attempts as number,
  nextTryMs: r.next_try_ms as number,
  block: r.block as number | null,
  outcome: r.outcome as string | null,
  error: r.error as string | null,
});

export class ValidatorStore {
  private constructor(readonly db: Db) {}

  static open(path: string): ValidatorStore {
    return new ValidatorStore(openDatabase(path));
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | null {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return row ? (row.value as string) : null;
  }

  private setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** The last block the scanner registered (null before the first scan). */
  lastScanBlock(): number | null {
    const v = this.meta("last_scan_block");
    return v === null ? null : Number(v);
  }

  /**
   * One scan in one transaction: new commitments become submissions (admitted, rejected or ignored,
   * with the reason), queued submissions of hotkeys that left are dropped, the king follows the
   * metagraph, and the cursor moves to `head`.
   */
  recordScan(
    head: number,
    commitments: readonly ScannedCommitment[],
    uidOfHotkey: ReadonlyMap<string, number>,
    nowMs: number,
  ): ScanResult {
    return this.db.transaction((): ScanResult => {
      const known = this.db.prepare(
        "SELECT 1 FROM submissions WHERE hotkey = ? AND block = ? AND commitment = ?",
      );
      const insert = this.db.prepare(
        `INSERT INTO submissions (hotkey, uid, commitment, image, digest, block, seen_block, seen_at_ms, status, reason)
         VALUES (@hotkey, @uid, @commitment, @image, @digest, @block, @seen, @now, @status, @reason)`,
      );
      const seen = (
        this.db.prepare(`SELECT hotkey, digest FROM submissions WHERE ${ADMITTED}`).all() as Row[]
      ).map((r) => ({ hotkey: r.hotkey as string, digest: r.digest as string }));
      const added: Submission[] = [];
      // Commit order: block, then hotkey (the chain's own order within a block is not kept),
      // compared by code unit so every validator orders the same whatever its locale.
      const ordered = [...commitments].sort(
        (a, b) => a.block - b.block || (a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0),
      );
      for (const c of ordered) {
        // A hotkey that is not on the subnet now cannot be paid: its commitment waits until it is.
        const uid = uidOfHotkey.get(c.hotkey);
        if (uid === undefined) continue;
        const commitment = c.ok ? c.image : c.raw;
        if (known.get(c.hotkey, c.block, commitment)) continue;
        let status: SubmissionStatus = "queued";
        let reason: string | null = null;
        if (!c.ok) {
          status = "rejected";
          reason = `invalid commitment: ${c.reason}`;
        } else {
          const admission = admitSubmission(seen, c);
          if (!admission.ok) {
            status = admission.reason === "copy_of_digest" ? "rejected" : "ignored";
            reason = admission.detail;
          } else seen.push({ hotkey: c.hotkey, digest: c.digest });
        }
        const id = insert.run({
          hotkey: c.hotkey,
          uid,
          commitment,
          image: c.ok ? c.image : null,
          digest: c.ok ? c.digest : null,
          block: c.block,
          seen: head,
          now: nowMs,
          status,
          reason,
        }).lastInsertRowid;
        added.push(this.submission(Number(id)) as Submission);
      }
      const dropped: Submission[] = [];
      for (const s of this.submissionsWithStatus("queued")) {
        if (uidOfHotkey.has(s.hotkey)) continue;
        this.setSubmissionStatus(
          s.id,
          "dropped",
          "the hotkey left the subnet before its evaluation",
        );
        dropped.push({ ...s, status: "dropped" });
      }
      const t = applyMetagraph(this.king(), uidOfHotkey);
      this.writeKing(t.king, t.events, null, nowMs);
      this.setMeta("last_scan_block", String(head));
      return { added, dropped, kingEvents: t.events };
    })();
  }

  submission(id: number): Submission | null {
    const r = this.db.prepare("SELECT * FROM submissions WHERE id = ?").get(id) as Row | undefined;
    return r ? submissionOf(r) : null;
  }

  submissions(): Submission[] {
    return (this.db.prepare("SELECT * FROM submissions ORDER BY block, id").all() as Row[]).map(
      submissionOf,
    );
  }

  submissionsWithStatus(status: SubmissionStatus): Submission[] {
    return (
      this.db
        .prepare("SELECT * FROM submissions WHERE status = ? ORDER BY block, id")
        .all(status) as Row[]
    ).map(submissionOf);
  }

  /** Queued submissions in commit order. */
  queue(limit = -1): Submission[] {
    return (
      this.db
        .prepare("SELECT * FROM submissions WHERE status = 'queued' ORDER BY block, id LIMIT ?")
        .all(limit) as Row[]
    ).map(submissionOf);
  }

  queueDepth(): number {
    return (
      this.db.prepare("SELECT count(*) AS n FROM submissions WHERE status = 'queued'").get() as Row
    ).n as number;
  }

  private setSubmissionStatus(id: number, status: SubmissionStatus, reason: string | null): void {
    this.db
      .prepare("UPDATE submissions SET status = ?, reason = ? WHERE id = ?")
      .run(status, reason, id);
  }

  king(): King | null {
    const r = this.db.prepare("SELECT * FROM king WHERE id = 1").get() as Row | undefined;
    return r ? kingOf(r) : null;
  }

  private writeKing(king: King | null, events: KingEvent[], jobId: number | null, atMs: number) {
    if (king === null) this.db.prepare("DELETE FROM king").run();
    else
      this.db
        .prepare(
          `INSERT INTO king (id, submission_id, hotkey, uid, digest, score, crowned_at_ms)
           VALUES (1, @s, @hotkey, @uid, @digest, @score, @crowned)
           ON CONFLICT (id) DO UPDATE SET submission_id = @s, hotkey = @hotkey, uid = @uid,
             digest = @digest, score = @score, crowned_at_ms = @crowned`,
        )
        .run({
          s: Number(king.submissionId),
          hotkey: king.hotkey,
          uid: king.uid,
          digest: king.digest,
          score: king.score,
          crowned: king.crownedAtMs,
        });
    const history = this.db.prepare(
      `INSERT INTO king_history (at_ms, type, submission_id, hotkey, uid, score, job_id, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of events)
      history.run(
        atMs,
        e.type === "dethroned" ? `dethroned:${e.reason}` : e.type,
        Number(e.king.submissionId),
        e.king.hotkey,
        e.king.uid,
        e.king.score,
        jobId,
        JSON.stringify(e),
      );
  }

  kingHistory(): KingHistoryEntry[] {
    return (this.db.prepare("SELECT * FROM king_history ORDER BY id").all() as Row[]).map((r) => ({
      id: r.id as number,
      atMs: r.at_ms as number,
      type: r.type as string,
      submissionId: r.submission_id as number,
      hotkey: r.hotkey as string,
      uid: r.uid as number,
      score: r.score as number,
      jobId: r.job_id as number | null,
      detail: JSON.parse(r.detail as string) as KingEvent,
    }));
  }

  /**
   * A new eval job for `challengers` (queued, in commit order) plus the king, not yet on a pod: the
   * challengers leave the queue in the same transaction, so no two jobs take the same one.
   */
  createJob(
    challengers: readonly Submission[],
    seed: { hash: string; block: number },
    nowMs: number,
  ): Job {
    return this.db.transaction((): Job => {
      const king = this.king();
      const kingId = king ? Number(king.submissionId) : null;
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO jobs (status, seed, seed_block, king_submission, created_at_ms, updated_at_ms)
             VALUES ('pending', ?, ?, ?, ?, ?)`,
          )
          .run(seed.hash, seed.block, kingId, nowMs, nowMs).lastInsertRowid,
      );
      const add = this.db.prepare(
        "INSERT INTO job_candidates (job_id, submission_id, name, role) VALUES (?, ?, ?, ?)",
      );
      for (const c of challengers) {
        const changed = this.db
          .prepare(
            "UPDATE submissions SET status = 'evaluating', job_id = ? WHERE id = ? AND status = 'queued'",
          )
          .run(id, c.id).changes;
        if (changed !== 1) throw new Error(`submission ${c.id} is not queued`);
        add.run(id, c.id, candidateName(c.id), "challenger");
      }
      if (kingId !== null) add.run(id, kingId, candidateName(kingId), "king");
      return this.job(id) as Job;
    })();
  }

  job(id: number): Job | null {
    const r = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    if (!r) return null;
    const candidates = (
      this.db
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

  /** Jobs not finished yet (pending or on a pod), oldest first. */
  openJobs(): Job[] {
    return (
      this.db
        .prepare("SELECT id FROM jobs WHERE status IN ('pending', 'submitted') ORDER BY id")
        .all() as Row[]
    ).map((r) => this.job(r.id as number) as Job);
  }

  jobs(): Job[] {
    return (this.db.prepare("SELECT id FROM jobs ORDER BY id").all() as Row[]).map(
      (r) => this.job(r.id as number) as Job,
    );
  }

  /** The `n` newest jobs, newest first. */
  recentJobs(n: number): Job[] {
    return (this.db.prepare("SELECT id FROM jobs ORDER BY id DESC LIMIT ?").all(n) as Row[]).map(
      (r) => this.job(r.id as number) as Job,
    );
  }

  /** The job is on `pod` as `podJob` (one attempt more). */
  markSubmitted(jobId: number, pod: string, podJob: string, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE jobs SET status = 'submitted', pod = ?, pod_job = ?, attempts = attempts + 1,
           updated_at_ms = ? WHERE id = ? AND status = 'pending'`,
      )
      .run(pod, podJob, nowMs, jobId);
  }

  /**
   * The attempt on its pod is lost (pod gone, job cancelled or interrupted there, baseline failed):
   * the job waits for another pod, or fails for good after `maxAttempts`, its challengers with it.
   */
  releaseJob(
    jobId: number,
    reason: string,
    maxAttempts: number,
    nowMs: number,
    /** The job failed before a pod took it, for a reason of its own (every pod refuses it). */
    countAttempt = false,
  ): Job {
    return this.db.transaction((): Job => {
      if (countAttempt)
        this.db.prepare("UPDATE jobs SET attempts = attempts + 1 WHERE id = ?").run(jobId);
      const job = this.job(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      if (job.status !== "pending" && job.status !== "submitted")
        throw new Error(`job ${jobId} is ${job.status}`);
      if (job.attempts >= maxAttempts) {
        const why = `eval job ${jobId} failed ${job.attempts} times; last: ${reason}`;
        this.db
          .prepare("UPDATE jobs SET status = 'failed', reason = ?, updated_at_ms = ? WHERE id = ?")
          .run(why, nowMs, jobId);
        for (const c of job.candidates)
          if (c.role === "challenger") this.setSubmissionStatus(c.submissionId, "failed", why);
      } else
        this.db
          .prepare(
            `UPDATE jobs SET status = 'pending', pod = NULL, pod_job = NULL, reason = ?,
               updated_at_ms = ? WHERE id = ?`,
          )
          .run(reason, nowMs, jobId);
      return this.job(jobId) as Job;
    })();
  }

  /** A report settled: results, submissions, king and history, all at once. */
  settle(s: Settlement): void {
    this.db.transaction(() => {
      const job = this.job(s.jobId);
      if (!job) throw new Error(`no job ${s.jobId}`);
      if (job.status !== "submitted") throw new Error(`job ${s.jobId} is ${job.status}`);
      const result = this.db.prepare(
        `UPDATE job_candidates SET passed = @passed, score = @score, ttft_ms = @ttft,
           tokens_per_sec = @tps, failure_stage = @stage, failure = @failure, logs_key = @logs
         WHERE job_id = @job AND submission_id = @id`,
      );
      const requeue = new Set(s.requeue);
      for (const r of s.results) {
        result.run({
          job: s.jobId,
          id: r.submissionId,
          passed: r.passed ? 1 : 0,
          score: r.score,
          ttft: r.ttftMs,
          tps: r.tokensPerSec,
          stage: r.failureStage,
          failure: r.failure,
          logs: r.logsKey,
        });
        const role = job.candidates.find((c) => c.submissionId === r.submissionId)?.role;
        if (role !== "challenger") continue;
        if (requeue.has(r.submissionId)) {
          this.db
            .prepare(
              "UPDATE submissions SET status = 'queued', reason = ?, job_id = NULL WHERE id = ?",
            )
            .run(`the king changed while job ${s.jobId} ran: evaluated again`, r.submissionId);
          continue;
        }
        this.db
          .prepare(
            "UPDATE submissions SET status = ?, reason = ?, score = ?, passed = ? WHERE id = ?",
          )
          .run(
            r.passed ? "evaluated" : "failed",
            r.failure,
            r.score,
            r.passed ? 1 : 0,
            r.submissionId,
          );
      }
      this.db
        .prepare(
          `UPDATE jobs SET status = 'settled', report_key = ?, report_status = ?, reason = NULL,
             updated_at_ms = ? WHERE id = ?`,
        )
        .run(s.reportKey, s.reportStatus, s.atMs, s.jobId);
      this.writeKing(s.king, s.kingEvents, s.jobId, s.atMs);
    })();
  }

  /** Per job and candidate: the results of settled jobs (the leaderboard's rows). */
  results(jobId: number): (CandidateResult & { name: string; role: string })[] {
    return (
      this.db
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

  /** Every submission with its latest settled result (none: not evaluated), best score first. */
  leaderboard(): LeaderboardRow[] {
    return this.submissionPage({ order: "score", limit: -1, offset: 0 }).rows;
  }

  /**
   * A page of submissions with their latest settled results: filtered by hotkey and status, in
   * score order (best first, unevaluated last) or commit order; `total` counts the filter's matches.
   */
  submissionPage(q: SubmissionQuery): { total: number; rows: LeaderboardRow[] } {
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
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM submissions s ${filter}`).get(params) as Row
    ).n as number;
    const rows = (
      this.db
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

  /** The row with its timelocked commit, when it has one. */
  private withCommit(r: Row): WeightSet {
    const set = weightSetOf(r);
    const commit = this.weightCommit(set.slot);
    return commit ? { ...set, commit } : set;
  }

  weightSet(slot: number): WeightSet | null {
    const r = this.db.prepare("SELECT * FROM weight_sets WHERE slot = ?").get(slot) as
      | Row
      | undefined;
    return r ? this.withCommit(r) : null;
  }

  weightSets(): WeightSet[] {
    return (this.db.prepare("SELECT * FROM weight_sets ORDER BY slot").all() as Row[]).map((r) =>
      this.withCommit(r),
    );
  }

  weightCommit(slot: number): WeightCommit | null {
    const r = this.db.prepare("SELECT * FROM weight_commits WHERE slot = ?").get(slot) as
      | Row
      | undefined;
    return r ? weightCommitOf(r) : null;
  }

  /** Timelocked commits whose reveal is not settled yet, oldest first. */
  pendingWeightCommits(): WeightCommit[] {
    return (
      this.db
        .prepare("SELECT * FROM weight_commits WHERE status = 'pending' ORDER BY slot")
        .all() as Row[]
    ).map(weightCommitOf);
  }

  /** What the validator learned of a pending commit; a settled one is not changed again. */
  updateWeightCommit(slot: number, u: WeightCommitUpdate, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE weight_commits SET status = @status, reveal_block = @revealBlock,
           checked_block = max(checked_block, @checkedBlock), updated_at_ms = @now
         WHERE slot = @slot AND status = 'pending'`,
      )
      .run({
        slot,
        status: u.status,
        revealBlock: u.status === "revealed" ? u.revealBlock : null,
        checkedBlock: u.checkedBlock,
        now: nowMs,
      });
  }

  /** The slot's attempt is about to go to the chain (recorded first, so a kill cannot repeat it blindly). */
  beginWeightSet(
    slot: number,
    vector: { uids: number[]; weights: number[] },
    head: number,
    nowMs: number,
  ): WeightSet {
    return this.db.transaction((): WeightSet => {
      const prev = this.weightSet(slot);
      if (prev?.status === "set") throw new Error(`weights of slot ${slot} are already set`);
      this.db
        .prepare(
          `INSERT INTO weight_sets (slot, status, uids, weights, started_block, attempts, next_try_ms, updated_at_ms)
           VALUES (@slot, 'submitting', @uids, @weights, @head, 1, 0, @now)
           ON CONFLICT (slot) DO UPDATE SET status = 'submitting', uids = @uids, weights = @weights,
             started_block = @head, attempts = attempts + 1, updated_at_ms = @now`,
        )
        .run({
          slot,
          uids: JSON.stringify(vector.uids),
          weights: JSON.stringify(vector.weights),
          head,
          now: nowMs,
        });
      return this.weightSet(slot) as WeightSet;
    })();
  }

  /** The slot's attempt ended; a timelocked commit is recorded with it, in one transaction. */
  finishWeightSet(
    slot: number,
    r:
      | { ok: true; block: number; outcome: string; commit?: WeightCommitInput }
      | { ok: false; error: string; nextTryMs: number },
    nowMs: number,
  ): void {
    if (r.ok)
      this.db.transaction(() => {
        this.db
          .prepare(
            `UPDATE weight_sets SET status = 'set', block = ?, outcome = ?, error = NULL, updated_at_ms = ?
             WHERE slot = ?`,
          )
          .run(r.block, r.outcome, nowMs, slot);
        const c = r.commit;
        if (c)
          this.db
            .prepare(
              `INSERT INTO weight_commits (slot, netuid_index, hotkey, commit_hash, reveal_round,
                 commit_block, commit_epoch, reveal_epoch, first_reveal_block, last_reveal_block,
                 status, reveal_block, checked_block, updated_at_ms)
               VALUES (@slot, @netuidIndex, @hotkey, @commitHash, @revealRound, @commitBlock,
                 @commitEpoch, @revealEpoch, @firstRevealBlock, @lastRevealBlock, 'pending', NULL,
                 @commitBlock, @now)`,
            )
            .run({ slot, ...c, now: nowMs });
      })();
    else
      this.db
        .prepare(
          `UPDATE weight_sets SET status = 'failed', error = ?, next_try_ms = ?, updated_at_ms = ?
           WHERE slot = ?`,
        )
        .run(r.error, r.nextTryMs, nowMs, slot);
  }

  /**
   * The newest slot's attempt; the newest slot whose weights are on chain (set directly, or a
   * timelocked commit the chain revealed); and the newest timelocked commit, whatever became of it.
   */
  latestWeightSets(): {
    lastAttempt: WeightSet | null;
    lastSet: WeightSet | null;
    lastCommit: WeightCommit | null;
  } {
    const newest = (where: string) => {
      const r = this.db
        .prepare(
          `SELECT w.* FROM weight_sets w LEFT JOIN weight_commits c ON c.slot = w.slot ${where}
           ORDER BY w.slot DESC LIMIT 1`,
        )
        .get() as Row | undefined;
      return r ? this.withCommit(r) : null;
    };
    const commit = this.db
      .prepare("SELECT * FROM weight_commits ORDER BY slot DESC LIMIT 1")
      .get() as Row | undefined;
    return {
      lastAttempt: newest(""),
      lastSet: newest("WHERE w.status = 'set' AND (c.slot IS NULL OR c.status = 'revealed')"),
      lastCommit: commit ? weightCommitOf(commit) : null,
    };
  }

  /** The block weights last went on chain (set_weights, or a commit's reveal); null: never. */
  lastWeightsBlock(): number | null {
    const r = this.db
      .prepare(
        `SELECT max(CASE WHEN c.slot IS NULL THEN w.block ELSE c.reveal_block END) AS b
         FROM weight_sets w LEFT JOIN weight_commits c ON c.slot = w.slot
         WHERE w.status = 'set'`,
      )
      .get() as Row;
    return (r.b as number | null) ?? null;
  }
}

/** A submission's server name in pod jobs and reports. */
export function candidateName(submissionId: number): string {
  return `s${submissionId}`;
}
