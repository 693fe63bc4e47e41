// The arena's score (DESIGN §2.3): half the relative TTFT improvement plus half the relative
// throughput improvement over the baseline measured in the same session; only gains count.

export interface Measured {
  /** Median TTFT of the latency phase, ms. */
  ttftMs: number;
  /** Validator-counted output tokens per second of the throughput phase. */
  tokensPerSec: number;
}

export interface Score {
  ttftImprovement: number;
  tpsImprovement: number;
  score: number;
}

export function score(baseline: Measured, candidate: Measured, gatePassed = true): Score {
  const ttftImprovement = Math.max(0, (baseline.ttftMs - candidate.ttftMs) / baseline.ttftMs);
  const tpsImprovement = Math.max(
    0,
    (candidate.tokensPerSec - baseline.tokensPerSec) / baseline.tokensPerSec,
  );
  return {
    ttftImprovement,
    tpsImprovement,
    score: gatePassed ? 0.5 * ttftImprovement + 0.5 * tpsImprovement : 0,
  };
}
