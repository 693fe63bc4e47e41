// The weight vector a validator sets (DESIGN §2.5): winner takes all.

import type { King } from "./king.js";
import type { KingRules } from "./margin.js";

/** Float weights summing to 1: the king's uid gets everything; no king → the burn uid. */
export function weightVector(
  king: King | null,
  rules: KingRules,
): { uids: number[]; weights: number[] } {
  return { uids: [king ? king.uid : rules.burnUid], weights: [1] };
}
