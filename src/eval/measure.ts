// The two numbers a server is scored on (DESIGN §2.3), from its measured phases: the median over
// trials of the TTFT phase's per-trial median TTFT, and the median over trials of the TPS phase's
// validator-counted token rate. The session and `report rescore` both call this, so a score
// recomputed from a report is the score the session gave.
import type { Arena } from "../arena/index.js";
import type { PhaseStats } from "../harness/report.js";
import { median } from "../harness/stats.js";
import type { Measured } from "../score/score.js";

export function measure(arena: Arena, stats: readonly PhaseStats[]): Measured | null {
  const { ttftPhase, tpsPhase } = arena.workload;
  const ttft = median(
    stats.flatMap((s) => (s.phase === ttftPhase && s.ttftMs.p50 !== null ? [s.ttftMs.p50] : [])),
  );
  const tps = median(stats.flatMap((s) => (s.phase === tpsPhase ? [s.tokensPerSec] : [])));
  if (ttft === null || tps === null || ttft <= 0 || tps <= 0) return null;
  return { ttftMs: ttft, tokensPerSec: tps };
}
