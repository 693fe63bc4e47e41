// The weight_sets table: one row per weight-setting slot, the attempt to put the weights on chain
// (recorded before it goes, so a kill cannot repeat it blindly) and how it ended. A slot whose
// weights went as a timelocked commit reads with its weight_commits row.
import type { Db, Row } from "./db.js";
import { type WeightCommit, weightCommit } from "./weight-commits.js";

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

/** The row with its timelocked commit, when it has one. */
function weightSetOf(db: Db, r: Row): WeightSet {
  const set: WeightSet = {
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
  };
  const commit = weightCommit(db, set.slot);
  return commit ? { ...set, commit } : set;
}

export function weightSet(db: Db, slot: number): WeightSet | null {
  const r = db.prepare("SELECT * FROM weight_sets WHERE slot = ?").get(slot) as Row | undefined;
  return r ? weightSetOf(db, r) : null;
}

export function weightSets(db: Db): WeightSet[] {
  return (db.prepare("SELECT * FROM weight_sets ORDER BY slot").all() as Row[]).map((r) =>
    weightSetOf(db, r),
  );
}

/** A new attempt for the slot, 'submitting' (the slot's earlier attempts are counted). */
export function startAttempt(
  db: Db,
  slot: number,
  vector: { uids: number[]; weights: number[] },
  head: number,
  nowMs: number,
): void {
  db.prepare(
    `INSERT INTO weight_sets (slot, status, uids, weights, started_block, attempts, next_try_ms, updated_at_ms)
     VALUES (@slot, 'submitting', @uids, @weights, @head, 1, 0, @now)
     ON CONFLICT (slot) DO UPDATE SET status = 'submitting', uids = @uids, weights = @weights,
       started_block = @head, attempts = attempts + 1, updated_at_ms = @now`,
  ).run({
    slot,
    uids: JSON.stringify(vector.uids),
    weights: JSON.stringify(vector.weights),
    head,
    now: nowMs,
  });
}

/** The slot's weights are in `block`. */
export function markSet(db: Db, slot: number, block: number, outcome: string, nowMs: number): void {
  db.prepare(
    `UPDATE weight_sets SET status = 'set', block = ?, outcome = ?, error = NULL, updated_at_ms = ?
     WHERE slot = ?`,
  ).run(block, outcome, nowMs, slot);
}

/** The attempt failed; the next may go at `nextTryMs`. */
export function markFailed(
  db: Db,
  slot: number,
  error: string,
  nextTryMs: number,
  nowMs: number,
): void {
  db.prepare(
    `UPDATE weight_sets SET status = 'failed', error = ?, next_try_ms = ?, updated_at_ms = ?
     WHERE slot = ?`,
  ).run(error, nextTryMs, nowMs, slot);
}

/**
 * The newest slot's attempt, and the newest slot whose weights are on chain (set directly, or a
 * timelocked commit the chain revealed).
 */
export function latestAttempts(db: Db): {
  lastAttempt: WeightSet | null;
  lastSet: WeightSet | null;
} {
  const newest = (where: string) => {
    const r = db
      .prepare(
        `SELECT w.* FROM weight_sets w LEFT JOIN weight_commits c ON c.slot = w.slot ${where}
         ORDER BY w.slot DESC LIMIT 1`,
      )
      .get() as Row | undefined;
    return r ? weightSetOf(db, r) : null;
  };
  return {
    lastAttempt: newest(""),
    lastSet: newest("WHERE w.status = 'set' AND (c.slot IS NULL OR c.status = 'revealed')"),
  };
}

/** The block weights last went on chain (set_weights, or a commit's reveal); null: never. */
export function lastWeightsBlock(db: Db): number | null {
  const r = db
    .prepare(
      `SELECT max(CASE WHEN c.slot IS NULL THEN w.block ELSE c.reveal_block END) AS b
       FROM weight_sets w LEFT JOIN weight_commits c ON c.slot = w.slot
       WHERE w.status = 'set'`,
    )
    .get() as Row;
  return (r.b as number | null) ?? null;
}
