// The validator's state, in SQLite (DESIGN §3: store/). Each method that changes state is one
// transaction: the loop can be killed between any two of them and resumes from what is here alone.
// The rules themselves (admission, king, weights) are pure functions in score/; this class only
// reads their inputs and writes their outputs. Each table's SQL is in a module of its own
// (submissions, jobs, kings, weight-sets, weight-commits, meta; the leaderboard view); this class
// delegates to them and holds the transactions that span tables.
import { applyMetagraph, type King, type KingEvent } from "../score/king.js";
import { type Db, openDatabase } from "./db.js";
import type { CandidateResult, Job } from "./jobs.js";
import * as jobs from "./jobs.js";
import * as kings from "./kings.js";
import { type LeaderboardRow, type SubmissionQuery, submissionPage } from "./leaderboard.js";
import { readMeta, writeMeta } from "./meta.js";
import type { Rental, RentalIntent, RentalState, RentalSummary } from "./rentals.js";
import * as rentals from "./rentals.js";
import type { ScannedCommitment, Submission, SubmissionStatus } from "./submissions.js";
import * as submissions from "./submissions.js";
import type { WeightCommit, WeightCommitInput, WeightCommitUpdate } from "./weight-commits.js";
import * as commits from "./weight-commits.js";
import type { WeightSet } from "./weight-sets.js";
import * as sets from "./weight-sets.js";

// The records' types live with their tables; callers import them from here, with the store.
export {
  type CandidateResult,
  candidateName,
  type Job,
  type JobCandidate,
  type JobStatus,
} from "./jobs.js";
export type { KingHistoryEntry } from "./kings.js";
export type { LeaderboardRow, SubmissionQuery } from "./leaderboard.js";
export {
  LIVE_RENTAL_STATES,
  RENTAL_STATES,
  type Rental,
  type RentalIntent,
  type RentalState,
  type RentalSummary,
} from "./rentals.js";
export {
  type ScannedCommitment,
  SUBMISSION_STATUSES,
  type Submission,
  type SubmissionStatus,
} from "./submissions.js";
export type { WeightCommit, WeightCommitInput, WeightCommitUpdate } from "./weight-commits.js";
export type { WeightSet } from "./weight-sets.js";

export interface ScanResult {
  /** Submissions new in this scan, every status. */
  added: Submission[];
  /** Queued submissions whose hotkey left the subnet. */
  dropped: Submission[];
  kingEvents: KingEvent[];
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

const LAST_SCAN_BLOCK = "last_scan_block";

export class ValidatorStore {
  private constructor(readonly db: Db) {}

  static open(path: string): ValidatorStore {
    return new ValidatorStore(openDatabase(path));
  }

  close(): void {
    this.db.close();
  }

  /** The last block the scanner registered (null before the first scan). */
  lastScanBlock(): number | null {
    const v = readMeta(this.db, LAST_SCAN_BLOCK);
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
      const added = submissions.addCommitments(this.db, head, commitments, uidOfHotkey, nowMs);
      const dropped = submissions.dropDeparted(this.db, uidOfHotkey);
      const t = applyMetagraph(this.king(), uidOfHotkey);
      kings.writeKing(this.db, t.king, t.events, null, nowMs);
      writeMeta(this.db, LAST_SCAN_BLOCK, String(head));
      return { added, dropped, kingEvents: t.events };
    })();
  }

  submission(id: number): Submission | null {
    return submissions.submission(this.db, id);
  }

  submissions(): Submission[] {
    return submissions.allSubmissions(this.db);
  }

  submissionsWithStatus(status: SubmissionStatus): Submission[] {
    return submissions.submissionsWithStatus(this.db, status);
  }

  /** Queued submissions in commit order. */
  queue(limit = -1): Submission[] {
    return submissions.queue(this.db, limit);
  }

  queueDepth(): number {
    return submissions.queueDepth(this.db);
  }

  king(): King | null {
    return kings.readKing(this.db);
  }

  kingHistory(): kings.KingHistoryEntry[] {
    return kings.kingHistory(this.db);
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
      const id = jobs.insertJob(this.db, seed, kingId, nowMs);
      for (const c of challengers) {
        submissions.takeForJob(this.db, c.id, id);
        jobs.addCandidate(this.db, id, c.id, "challenger");
      }
      if (kingId !== null) jobs.addCandidate(this.db, id, kingId, "king");
      return this.job(id) as Job;
    })();
  }

  job(id: number): Job | null {
    return jobs.job(this.db, id);
  }

  /** Jobs not finished yet (pending or on a pod), oldest first. */
  openJobs(): Job[] {
    return jobs.openJobs(this.db);
  }

  jobs(): Job[] {
    return jobs.allJobs(this.db);
  }

  /** The `n` newest jobs, newest first. */
  recentJobs(n: number): Job[] {
    return jobs.recentJobs(this.db, n);
  }

  /** The job is on `pod` as `podJob` (one attempt more). */
  markSubmitted(jobId: number, pod: string, podJob: string, nowMs: number): void {
    jobs.markSubmitted(this.db, jobId, pod, podJob, nowMs);
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
      if (countAttempt) jobs.countAttempt(this.db, jobId);
      const job = this.job(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      if (job.status !== "pending" && job.status !== "submitted")
        throw new Error(`job ${jobId} is ${job.status}`);
      if (job.attempts >= maxAttempts) {
        const why = `eval job ${jobId} failed ${job.attempts} times; last: ${reason}`;
        jobs.failJob(this.db, jobId, why, nowMs);
        for (const c of job.candidates)
          if (c.role === "challenger")
            submissions.setSubmissionStatus(this.db, c.submissionId, "failed", why);
      } else jobs.unassignJob(this.db, jobId, reason, nowMs);
      return this.job(jobId) as Job;
    })();
  }

  /** A report settled: results, submissions, king and history, all at once. */
  settle(s: Settlement): void {
    this.db.transaction(() => {
      const job = this.job(s.jobId);
      if (!job) throw new Error(`no job ${s.jobId}`);
      if (job.status !== "submitted") throw new Error(`job ${s.jobId} is ${job.status}`);
      const requeue = new Set(s.requeue);
      for (const r of s.results) {
        jobs.recordResult(this.db, s.jobId, r);
        const role = job.candidates.find((c) => c.submissionId === r.submissionId)?.role;
        if (role !== "challenger") continue;
        if (requeue.has(r.submissionId))
          submissions.requeue(
            this.db,
            r.submissionId,
            `the king changed while job ${s.jobId} ran: evaluated again`,
          );
        else submissions.recordEvaluation(this.db, r.submissionId, r);
      }
      jobs.markSettled(this.db, s.jobId, { key: s.reportKey, status: s.reportStatus }, s.atMs);
      kings.writeKing(this.db, s.king, s.kingEvents, s.jobId, s.atMs);
    })();
  }

  /** Per job and candidate: the results of settled jobs (the leaderboard's rows). */
  results(jobId: number): (CandidateResult & { name: string; role: string })[] {
    return jobs.results(this.db, jobId);
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
    return submissionPage(this.db, q);
  }

  weightSet(slot: number): WeightSet | null {
    return sets.weightSet(this.db, slot);
  }

  weightSets(): WeightSet[] {
    return sets.weightSets(this.db);
  }

  weightCommit(slot: number): WeightCommit | null {
    return commits.weightCommit(this.db, slot);
  }

  /** Timelocked commits whose reveal is not settled yet, oldest first. */
  pendingWeightCommits(): WeightCommit[] {
    return commits.pendingWeightCommits(this.db);
  }

  /** What the validator learned of a pending commit; a settled one is not changed again. */
  updateWeightCommit(slot: number, u: WeightCommitUpdate, nowMs: number): void {
    commits.updateWeightCommit(this.db, slot, u, nowMs);
  }

  /** The slot's attempt is about to go to the chain (recorded first, so a kill cannot repeat it blindly). */
  beginWeightSet(
    slot: number,
    vector: { uids: number[]; weights: number[] },
    head: number,
    nowMs: number,
  ): WeightSet {
    return this.db.transaction((): WeightSet => {
      if (this.weightSet(slot)?.status === "set")
        throw new Error(`weights of slot ${slot} are already set`);
      sets.startAttempt(this.db, slot, vector, head, nowMs);
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
        sets.markSet(this.db, slot, r.block, r.outcome, nowMs);
        if (r.commit) commits.insertWeightCommit(this.db, slot, r.commit, nowMs);
      })();
    else sets.markFailed(this.db, slot, r.error, r.nextTryMs, nowMs);
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
    return { ...sets.latestAttempts(this.db), lastCommit: commits.latestWeightCommit(this.db) };
  }

  /** The block weights last went on chain (set_weights, or a commit's reveal); null: never. */
  lastWeightsBlock(): number | null {
    return sets.lastWeightsBlock(this.db);
  }

  // Rented pods (rentals.ts): each call one statement, the intent committed before any create.
  insertRentalIntent(prefix: string, i: RentalIntent, nowMs: number): Rental {
    return rentals.insertRentalIntent(this.db, prefix, i, nowMs);
  }

  rental(name: string): Rental | null {
    return rentals.rental(this.db, name);
  }

  /** Rentals that may still have a machine behind them, oldest first. */
  liveRentals(): Rental[] {
    return rentals.liveRentals(this.db);
  }

  /** Rentals live now or ended at `fromMs` or later (a day's spend), oldest first. */
  rentalsSince(fromMs: number): Rental[] {
    return rentals.rentalsSince(this.db, fromMs);
  }

  /** `rentalsSince` without addresses, tokens or certificates: what the web may read. */
  rentalSummariesSince(fromMs: number): RentalSummary[] {
    return rentals.rentalSummariesSince(this.db, fromMs);
  }

  rentalCounts(): Record<RentalState, number> {
    return rentals.rentalCounts(this.db);
  }

  markRentalCreated(name: string, instanceId: string, nowMs: number): void {
    rentals.markRentalCreated(this.db, name, instanceId, nowMs);
  }

  markRentalBooting(name: string, nowMs: number): void {
    rentals.markRentalBooting(this.db, name, nowMs);
  }

  markRentalReady(name: string, address: string, nowMs: number): void {
    rentals.markRentalReady(this.db, name, address, nowMs);
  }

  setRentalBusy(name: string, busy: boolean, nowMs: number): void {
    rentals.setRentalBusy(this.db, name, busy, nowMs);
  }

  markRentalReleasing(name: string, reason: string, nowMs: number): void {
    rentals.markRentalReleasing(this.db, name, reason, nowMs);
  }

  markRentalDeleted(name: string, reason: string, nowMs: number): void {
    rentals.markRentalDeleted(this.db, name, reason, nowMs);
  }

  markRentalFailed(name: string, reason: string, nowMs: number): void {
    rentals.markRentalFailed(this.db, name, reason, nowMs);
  }

  /** The operator asks for a pod back; false when no live rental has that name. */
  requestRentalRelease(name: string, nowMs: number): boolean {
    return rentals.requestRentalRelease(this.db, name, nowMs);
  }
}

/**
 * The store as a reader sees it: the read methods the web (and any other read-only consumer) may
 * call, and no `db`. The web takes this type, so a write from it does not compile.
 */
export type ReadonlyStore = Pick<
  ValidatorStore,
  | "lastScanBlock"
  | "submission"
  | "queue"
  | "queueDepth"
  | "king"
  | "kingHistory"
  | "job"
  | "openJobs"
  | "recentJobs"
  | "submissionPage"
  | "latestWeightSets"
  | "rentalSummariesSince"
>;
