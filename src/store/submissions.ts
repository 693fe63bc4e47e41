// The submissions table: every commitment the scanner saw, what admission made of it, and where
// its evaluation stands (the queue is its 'queued' rows in commit order). The admission rule is
// score/admission's; this module stores its verdicts.
import { admitSubmission } from "../score/admission.js";
import type { Db, Row } from "./db.js";

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

// Admitted submissions count for "one per hotkey" and for copies; rejected and ignored ones do not.
const ADMITTED = "status IN ('queued', 'evaluating', 'evaluated', 'failed', 'dropped')";

/** A submissions row (also the `s.*` columns of a join) as a record. */
export const submissionOf = (r: Row): Submission => ({
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

export function submission(db: Db, id: number): Submission | null {
  const r = db.prepare("SELECT * FROM submissions WHERE id = ?").get(id) as Row | undefined;
  return r ? submissionOf(r) : null;
}

export function allSubmissions(db: Db): Submission[] {
  return (db.prepare("SELECT * FROM submissions ORDER BY block, id").all() as Row[]).map(
    submissionOf,
  );
}

export function submissionsWithStatus(db: Db, status: SubmissionStatus): Submission[] {
  return (
    db.prepare("SELECT * FROM submissions WHERE status = ? ORDER BY block, id").all(status) as Row[]
  ).map(submissionOf);
}

/** Queued submissions in commit order; `limit` -1: all. */
export function queue(db: Db, limit: number): Submission[] {
  return (
    db
      .prepare("SELECT * FROM submissions WHERE status = 'queued' ORDER BY block, id LIMIT ?")
      .all(limit) as Row[]
  ).map(submissionOf);
}

export function queueDepth(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM submissions WHERE status = 'queued'").get() as Row)
    .n as number;
}

export function setSubmissionStatus(
  db: Db,
  id: number,
  status: SubmissionStatus,
  reason: string | null,
): void {
  db.prepare("UPDATE submissions SET status = ?, reason = ? WHERE id = ?").run(status, reason, id);
}

/**
 * The scan's new commitments as submissions, each admitted, rejected or ignored with the reason;
 * commitments already stored, and those of hotkeys not on the subnet now, are skipped.
 */
export function addCommitments(
  db: Db,
  head: number,
  commitments: readonly ScannedCommitment[],
  uidOfHotkey: ReadonlyMap<string, number>,
  nowMs: number,
): Submission[] {
  const known = db.prepare(
    "SELECT 1 FROM submissions WHERE hotkey = ? AND block = ? AND commitment = ?",
  );
  const insert = db.prepare(
    `INSERT INTO submissions (hotkey, uid, commitment, image, digest, block, seen_block, seen_at_ms, status, reason)
     VALUES (@hotkey, @uid, @commitment, @image, @digest, @block, @seen, @now, @status, @reason)`,
  );
  const seen = (
    db.prepare(`SELECT hotkey, digest FROM submissions WHERE ${ADMITTED}`).all() as Row[]
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
    added.push(submission(db, Number(id)) as Submission);
  }
  return added;
}

/** Queued submissions whose hotkey left the subnet are dropped; returns them. */
export function dropDeparted(db: Db, uidOfHotkey: ReadonlyMap<string, number>): Submission[] {
  const dropped: Submission[] = [];
  for (const s of submissionsWithStatus(db, "queued")) {
    if (uidOfHotkey.has(s.hotkey)) continue;
    setSubmissionStatus(db, s.id, "dropped", "the hotkey left the subnet before its evaluation");
    dropped.push({ ...s, status: "dropped" });
  }
  return dropped;
}

/** A queued submission leaves the queue for `jobId`; throws when it is not queued (taken already). */
export function takeForJob(db: Db, id: number, jobId: number): void {
  const changed = db
    .prepare(
      "UPDATE submissions SET status = 'evaluating', job_id = ? WHERE id = ? AND status = 'queued'",
    )
    .run(jobId, id).changes;
  if (changed !== 1) throw new Error(`submission ${id} is not queued`);
}

/** Back to the queue, its job forgotten. */
export function requeue(db: Db, id: number, reason: string): void {
  db.prepare(
    "UPDATE submissions SET status = 'queued', reason = ?, job_id = NULL WHERE id = ?",
  ).run(reason, id);
}

/** A challenger's evaluation ended: evaluated (passed) or failed, with its score. */
export function recordEvaluation(
  db: Db,
  id: number,
  r: { passed: boolean; score: number; failure: string | null },
): void {
  db.prepare(
    "UPDATE submissions SET status = ?, reason = ?, score = ?, passed = ? WHERE id = ?",
  ).run(r.passed ? "evaluated" : "failed", r.failure, r.score, r.passed ? 1 : 0, id);
}
