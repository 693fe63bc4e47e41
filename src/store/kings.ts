// The king and king_history tables: the one current king, and every crowning, defence and
// dethroning with the event that caused it. The rules that decide them are in score/king.
import type { King, KingEvent } from "../score/king.js";
import type { Db, Row } from "./db.js";

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

export function readKing(db: Db): King | null {
  const r = db.prepare("SELECT * FROM king WHERE id = 1").get() as Row | undefined;
  return r
    ? {
        submissionId: String(r.submission_id),
        hotkey: r.hotkey as string,
        uid: r.uid as number,
        digest: r.digest as string,
        score: r.score as number,
        crownedAtMs: r.crowned_at_ms as number,
      }
    : null;
}

/** The king now (null: none) and the events that led there, appended to the history. */
export function writeKing(
  db: Db,
  king: King | null,
  events: readonly KingEvent[],
  jobId: number | null,
  atMs: number,
): void {
  if (king === null) db.prepare("DELETE FROM king").run();
  else
    db.prepare(
      `INSERT INTO king (id, submission_id, hotkey, uid, digest, score, crowned_at_ms)
       VALUES (1, @s, @hotkey, @uid, @digest, @score, @crowned)
       ON CONFLICT (id) DO UPDATE SET submission_id = @s, hotkey = @hotkey, uid = @uid,
         digest = @digest, score = @score, crowned_at_ms = @crowned`,
    ).run({
      s: Number(king.submissionId),
      hotkey: king.hotkey,
      uid: king.uid,
      digest: king.digest,
      score: king.score,
      crowned: king.crownedAtMs,
    });
  const history = db.prepare(
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

export function kingHistory(db: Db): KingHistoryEntry[] {
  return (db.prepare("SELECT * FROM king_history ORDER BY id").all() as Row[]).map((r) => ({
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
