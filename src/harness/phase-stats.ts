// The statistics of a phase from its request records: one PhaseStats per trial (counts, failures
// by kind, throughput, latency summaries with a bootstrap CI of the median TTFT) and one summary
// per phase over its trials. Pure functions of the records, so a stored report recomputes them.
import type { PhaseStats, PhaseSummary, RequestRecord } from "./report.js";
import { bootstrapMedianCi, median, round3, summarize } from "./stats.js";
import type { Phase } from "./workload.js";

export const PERCENTILE_METHOD =
  "type-7 linear interpolation between closest ranks (numpy/R default); median CI: percentile bootstrap, 2000 resamples, seeded";

function ttftSummary(records: readonly RequestRecord[], seed: number) {
  const ttft = records.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
  return { ...summarize(ttft), medianCi: bootstrapMedianCi(ttft, { seed }) };
}

/** Statistics of one phase trial from its records (successful requests only for latencies). */
export function phaseStats(
  phase: Phase,
  trial: number,
  records: readonly RequestRecord[],
  wallMs: number,
  hitTimeLimit: boolean,
  seed = 1,
): PhaseStats {
  const ok = records.filter((r) => r.status === "ok");
  const failures: Record<string, number> = {};
  for (const r of records)
    if (r.failure) failures[r.failure.kind] = (failures[r.failure.kind] ?? 0) + 1;
  const outputTokens = ok.reduce((s, r) => s + (r.outputTokens ?? 0), 0);
  // Throughput from the wall time as stored, so recomputing it from a report gives the same value.
  const wall = round3(wallMs);
  return {
    phase: phase.name,
    trial,
    scheduling: phase.scheduling,
    requests: records.length,
    ok: ok.length,
    failed: records.length - ok.length,
    failures,
    hitTimeLimit,
    wallMs: wall,
    outputTokens,
    tokensPerSec: wall > 0 ? round3(outputTokens / (wall / 1000)) : 0,
    ttftMs: ttftSummary(ok, seed),
    itlMs: summarize(ok.flatMap((r) => r.itlMs)),
    e2eMs: summarize(ok.flatMap((r) => (r.e2eMs === null ? [] : [r.e2eMs]))),
  };
}

/** One summary per phase over its trials: the median trial, and latencies pooled over trials. */
export function summarizePhases(
  phases: readonly Phase[],
  stats: readonly PhaseStats[],
  records: readonly RequestRecord[],
  seed = 1,
): PhaseSummary[] {
  return phases.map((p) => {
    const trials = stats.filter((s) => s.phase === p.name);
    const recs = records.filter((r) => r.phase === p.name && r.status === "ok");
    const p50s = trials.flatMap((s) => (s.ttftMs.p50 === null ? [] : [s.ttftMs.p50]));
    return {
      phase: p.name,
      trials: trials.length,
      ok: trials.reduce((s, t) => s + t.ok, 0),
      failed: trials.reduce((s, t) => s + t.failed, 0),
      ttftP50Ms: median(p50s),
      tokensPerSec: median(trials.map((s) => s.tokensPerSec)),
      ttftMs: ttftSummary(recs, seed),
      itlMs: summarize(recs.flatMap((r) => r.itlMs)),
    };
  });
}
