// The king's margin (DESIGN §2.5): a challenger must beat the king's fresh score by margin(t), which
// starts at m0 when the king is crowned and falls linearly to 0 over D, so a crowned king is safe
// from noise-level wins at first but cannot sit on a stale lead forever.

export interface KingRules {
  /** Margin at crowning, in score units. */
  marginM0: number;
  /** Time for the margin to decay to 0, ms; positive (the arena config enforces it). */
  decayMs: number;
  /** Uid that receives all weight while there is no king. */
  burnUid: number;
}

export const V1_KING_RULES: KingRules = {
  marginM0: 0.01,
  decayMs: 7 * 24 * 60 * 60 * 1000,
  burnUid: 0,
};

/** margin(t) = m0 · max(0, 1 − (t − crownedAt)/D); t before crownedAt counts as crownedAt. */
export function margin(nowMs: number, crownedAtMs: number, rules: KingRules): number {
  // A clock behind the crowning (clock skew, replay) must not raise the margin above m0.
  const elapsed = Math.max(0, nowMs - crownedAtMs);
  return rules.marginM0 * Math.max(0, 1 - elapsed / rules.decayMs);
}

/** The first instant at which margin() is 0. */
export function marginZeroAtMs(crownedAtMs: number, rules: KingRules): number {
  return crownedAtMs + rules.decayMs;
}
