// King of the hill (DESIGN §2.5) as a pure state machine: the validator feeds it each session's
// results and each metagraph sync, stores the returned king and records the returned events.
//
// A session re-measures the king beside the challengers, against the same baseline, so the king
// is compared on its fresh score, never on a stale one from another pod or day:
// - king passed: a challenger is crowned iff it passed and score > king's fresh score + margin(now);
//   otherwise the king is "defended" and its stored score becomes the fresh one.
// - king failed its fresh run (gate or runtime): "dethroned" (failed), then the no-king rule.
// - no king: the best passing challenger with score > 0 is crowned.
// Several qualify → the highest score wins; equal scores → the earliest in commit order, so a later
// copy of an equally fast engine never takes the crown from the first.
// A crowning resets crownedAtMs to now (margin back to m0); defending keeps it, so the margin
// keeps decaying for as long as the same king reigns.

import { type KingRules, margin } from "./margin.js";

export interface King {
  hotkey: string;
  uid: number;
  submissionId: string;
  digest: string;
  /** The king's latest score: from its crowning session, then from each session it defends. */
  score: number;
  crownedAtMs: number;
}

export interface SessionCandidate {
  submissionId: string;
  hotkey: string;
  uid: number;
  digest: string;
  passed: boolean;
  score: number;
}

export interface SessionOutcome {
  /** The king's fresh result from this session (null when there was no king). */
  king: { submissionId: string; passed: boolean; score: number } | null;
  /** Challengers in commit order (earliest first). */
  challengers: SessionCandidate[];
}

export type KingEvent =
  /** `threshold`: the score it had to exceed (king's fresh score + margin, or 0 with no king). */
  | { type: "crowned"; king: King; threshold: number }
  /** `king` carries the fresh score; `margin` is what the challengers had to beat it by. */
  | { type: "defended"; king: King; previousScore: number; margin: number }
  /** `by`: the submission that beat it; `freshScore`: the king's score in this session. */
  | { type: "dethroned"; reason: "beaten"; king: King; freshScore: number; by: string }
  | { type: "dethroned"; reason: "failed" | "deregistered"; king: King }
  /** The king's hotkey now sits on another uid; the crown (and the weight) follows it. */
  | { type: "uid_changed"; king: King; previousUid: number };

export interface KingTransition {
  king: King | null;
  events: KingEvent[];
}

function checkScore(what: string, score: number): void {
  if (!(Number.isFinite(score) && score >= 0)) {
    throw new RangeError(`${what} has score ${score}; scores are finite and never negative`);
  }
}

/** The passing challenger with the highest score above `threshold`, earliest on ties; or null. */
function bestAbove(
  challengers: readonly SessionCandidate[],
  threshold: number,
): SessionCandidate | null {
  let best: SessionCandidate | null = null;
  for (const c of challengers) {
    if (c.passed && c.score > threshold && (best === null || c.score > best.score)) best = c;
  }
  return best;
}

function crown(
  c: SessionCandidate,
  threshold: number,
  nowMs: number,
  events: KingEvent[],
): KingTransition {
  const king: King = {
    hotkey: c.hotkey,
    uid: c.uid,
    submissionId: c.submissionId,
    digest: c.digest,
    score: c.score,
    crownedAtMs: nowMs,
  };
  return { king, events: [...events, { type: "crowned", king, threshold }] };
}

/** Settles one eval session: who is king afterwards, and what happened (events in order). */
export function settleSession(
  king: King | null,
  outcome: SessionOutcome,
  nowMs: number,
  rules: KingRules,
): KingTransition {
  for (const c of outcome.challengers) checkScore(`challenger ${c.submissionId}`, c.score);
  const events: KingEvent[] = [];
  if (king !== null) {
    const fresh = outcome.king;
    // The validator always re-measures the king: without a fresh score there is nothing to compare.
    if (fresh === null)
      throw new Error(`session has no fresh result for king ${king.submissionId}`);
    if (fresh.submissionId !== king.submissionId) {
      throw new Error(
        `session re-measured ${fresh.submissionId}, but the king is ${king.submissionId}`,
      );
    }
    checkScore(`king ${king.submissionId}`, fresh.score);
    if (fresh.passed) {
      const m = margin(nowMs, king.crownedAtMs, rules);
      const threshold = fresh.score + m;
      const best = bestAbove(outcome.challengers, threshold);
      if (best === null) {
        const defended: King = { ...king, score: fresh.score };
        return {
          king: defended,
          events: [{ type: "defended", king: defended, previousScore: king.score, margin: m }],
        };
      }
      events.push({
        type: "dethroned",
        reason: "beaten",
        king,
        freshScore: fresh.score,
        by: best.submissionId,
      });
      return crown(best, threshold, nowMs, events);
    }
    events.push({ type: "dethroned", reason: "failed", king });
  } else if (outcome.king !== null) {
    throw new Error(
      `session has a king result for ${outcome.king.submissionId}, but there is no king`,
    );
  }
  const best = bestAbove(outcome.challengers, 0);
  return best === null ? { king: null, events } : crown(best, 0, nowMs, events);
}

/** The king's hotkey left the subnet → dethroned; if its uid changed, follow it. */
export function applyMetagraph(
  king: King | null,
  uidOfHotkey: ReadonlyMap<string, number>,
): KingTransition {
  if (king === null) return { king: null, events: [] };
  const uid = uidOfHotkey.get(king.hotkey);
  if (uid === undefined) {
    return { king: null, events: [{ type: "dethroned", reason: "deregistered", king }] };
  }
  if (uid === king.uid) return { king, events: [] };
  const moved: King = { ...king, uid };
  return { king: moved, events: [{ type: "uid_changed", king: moved, previousUid: king.uid }] };
}
