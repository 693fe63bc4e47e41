// Who would be king after a session, by the arena's king-of-the-hill rules (src/score). The eval
// command has no chain and no history: an incumbent named on the command line is taken as freshly
// crowned, so challengers must beat it by the full margin m0 — the hardest case a validator applies.
import type { Arena } from "../arena/index.js";
import { type King, type KingEvent, settleSession } from "../score/king.js";
import { margin } from "../score/margin.js";
import type { CandidateRun, EvalReport } from "./report.js";

const fmt = (x: number) => x.toFixed(4);

/** One line for a king event, naming submissions by their id. */
export function describeKingEvent(e: KingEvent): string {
  switch (e.type) {
    case "crowned":
      return `${e.king.submissionId} is crowned with score ${fmt(e.king.score)} (it had to exceed ${fmt(e.threshold)})`;
    case "defended":
      return `${e.king.submissionId} keeps the crown: no challenger beat its fresh score ${fmt(e.king.score)} by more than the margin ${fmt(e.margin)}`;
    case "dethroned":
      return e.reason === "beaten"
        ? `${e.king.submissionId} is dethroned by ${e.by} (its fresh score: ${fmt(e.freshScore)})`
        : `${e.king.submissionId} is dethroned: ${e.reason === "failed" ? "it failed its fresh run" : "its hotkey left the subnet"}`;
    case "uid_changed":
      return `${e.king.submissionId} moved from uid ${e.previousUid} to uid ${e.king.uid}`;
  }
}

export function decideVerdict(
  arena: Arena,
  candidates: readonly CandidateRun[],
  incumbent: string | null,
  nowMs: number,
): EvalReport["verdict"] {
  const entries = candidates.map((c, uid) => ({
    submissionId: c.name,
    hotkey: c.name,
    uid,
    digest: "",
    passed: c.gate.passed && c.status === "ok",
    score: c.score,
  }));
  const inc = incumbent === null ? undefined : entries.find((e) => e.submissionId === incumbent);
  if (incumbent !== null && !inc) throw new Error(`the incumbent ${incumbent} is not a candidate`);
  const king: King | null = inc ? { ...inc, crownedAtMs: nowMs } : null;
  const t = settleSession(
    king,
    {
      king: inc ? { submissionId: inc.submissionId, passed: inc.passed, score: inc.score } : null,
      challengers: entries.filter((e) => e !== inc),
    },
    nowMs,
    arena.king,
  );
  const events = t.events.map(describeKingEvent);
  if (!inc && !t.king) events.push("no candidate passed with a score above 0: no king");
  return {
    incumbent,
    king: t.king?.submissionId ?? null,
    margin: inc ? margin(nowMs, nowMs, arena.king) : 0,
    events,
  };
}
