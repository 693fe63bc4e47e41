// The weight_commits table: a slot's weights sent as a drand-timelocked commit (commit-reveal v4),
// and what the validator has learned of its reveal since.
import type { TimelockedCommitFacts } from "../chain/submit-weights.js";
import type { Db, Row } from "./db.js";

/** A slot's drand-timelocked commit (commit-reveal v4), which the chain reveals itself. */
export interface WeightCommit extends TimelockedCommitFacts {
  slot: number;
  hotkey: string;
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

export function weightCommit(db: Db, slot: number): WeightCommit | null {
  const r = db.prepare("SELECT * FROM weight_commits WHERE slot = ?").get(slot) as Row | undefined;
  return r ? weightCommitOf(r) : null;
}

/** The newest slot's commit, whatever became of it. */
export function latestWeightCommit(db: Db): WeightCommit | null {
  const r = db.prepare("SELECT * FROM weight_commits ORDER BY slot DESC LIMIT 1").get() as
    | Row
    | undefined;
  return r ? weightCommitOf(r) : null;
}

/** Timelocked commits whose reveal is not settled yet, oldest first. */
export function pendingWeightCommits(db: Db): WeightCommit[] {
  return (
    db.prepare("SELECT * FROM weight_commits WHERE status = 'pending' ORDER BY slot").all() as Row[]
  ).map(weightCommitOf);
}

/** A commit just included in `c.commitBlock`: pending, checked up to there. */
export function insertWeightCommit(
  db: Db,
  slot: number,
  c: WeightCommitInput,
  nowMs: number,
): void {
  db.prepare(
    `INSERT INTO weight_commits (slot, netuid_index, hotkey, commit_hash, reveal_round,
       commit_block, commit_epoch, reveal_epoch, first_reveal_block, last_reveal_block,
       status, reveal_block, checked_block, updated_at_ms)
     VALUES (@slot, @netuidIndex, @hotkey, @commitHash, @revealRound, @commitBlock,
       @commitEpoch, @revealEpoch, @firstRevealBlock, @lastRevealBlock, 'pending', NULL,
       @commitBlock, @now)`,
  ).run({ slot, ...c, now: nowMs });
}

/** What the validator learned of a pending commit; a settled one is not changed again. */
export function updateWeightCommit(
  db: Db,
  slot: number,
  u: WeightCommitUpdate,
  nowMs: number,
): void {
  db.prepare(
    `UPDATE weight_commits SET status = @status, reveal_block = @revealBlock,
       checked_block = max(checked_block, @checkedBlock), updated_at_ms = @now
     WHERE slot = @slot AND status = 'pending'`,
  ).run({
    slot,
    status: u.status,
    revealBlock: u.status === "revealed" ? u.revealBlock : null,
    checkedBlock: u.checkedBlock,
    now: nowMs,
  });
}
