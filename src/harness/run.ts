// One benchmark run: warmup, then for each trial every phase in order, on one connection pool sized
// to the workload's largest concurrency. After each phase (off the hot path) every response becomes
// a record (record.ts) and the phase gets its statistics (phase-stats.ts).
import { Pool } from "undici";
import type { ResponseLimits } from "../contract/limits.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import { type Attempt, type PlannedRequest, runPhaseLoad } from "./load.js";
import { PERCENTILE_METHOD, phaseStats, summarizePhases } from "./phase-stats.js";
import { warmupPhase, workloadLimits } from "./phases.js";
import { builtinPrompts, type Prompt } from "./prompts.js";
import { msBetween, toRecord } from "./record.js";
import { type BenchReport, type PhaseStats, REPORT_SCHEMA, type RequestRecord } from "./report.js";
import type { TokenTolerance } from "./tokens.js";
import { buildRequest, maxConnections, type Phase, type Workload } from "./workload.js";

export type ProgressEvent =
  | { type: "warmup-start"; requests: number }
  | { type: "warmup-end"; ok: number; failed: number; wallMs: number }
  | {
      type: "phase-start";
      phase: string;
      trial: number;
      trials: number;
      requests: number;
    }
  | {
      /** At most one every few seconds, while a long phase runs. */
      type: "phase-progress";
      phase: string;
      trial: number;
      done: number;
      failed: number;
      requests: number;
    }
  | { type: "phase-end"; stats: PhaseStats };

export interface RunOptions {
  /** Server origin, e.g. http://127.0.0.1:8000 */
  origin: string;
  model: string;
  workload: Workload;
  /** The validator's vocabulary, to count output tokens. */
  vocab: Vocabulary;
  onProgress?: (e: ProgressEvent) => void;
  /** Minimum gap between two phase-progress events. */
  progressEveryMs?: number;
  /** Caps on each response; default: DEFAULT_RESPONSE_LIMITS, raised to fit the workload's phases. */
  limits?: ResponseLimits;
  signal?: AbortSignal;
}

/** A per-phase, per-trial seed derived from the workload seed. */
function derivedSeed(seed: number, phaseIndex: number, trial: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [phaseIndex + 1, trial + 1]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** Options shared by every phase run on one server. */
export interface PhaseRunContext {
  dispatcher: Pool;
  origin: string;
  model: string;
  /** The validator's vocabulary, to count output tokens; null skips counting. */
  vocab: Vocabulary | null;
  tolerance: TokenTolerance;
  /** hrtime ns that record times are relative to. */
  runStartNs: bigint;
  /** Caps on each response (default: DEFAULT_RESPONSE_LIMITS). */
  limits?: ResponseLimits;
  signal?: AbortSignal;
}

export interface PhaseRun {
  /** One record per planned request, in plan order. */
  records: RequestRecord[];
  /** The attempts behind the records (null result: never sent), for callers that need outputs. */
  attempts: Attempt[];
  stats: PhaseStats;
}

/**
 * Runs one trial of one phase with the given prompts (one request each), then counts tokens and
 * builds the records and statistics off the hot path.
 */
export async function runPhaseTrial(
  ctx: PhaseRunContext,
  phase: Phase,
  trial: number,
  prompts: readonly Prompt[],
  opts: {
    seed: number;
    progressEveryMs?: number;
    onProgress?: (e: ProgressEvent) => void;
    /** Called as each request ends, with the running totals. */
    onResult?: (done: number, failed: number) => void;
  },
): Promise<PhaseRun> {
  const plan: PlannedRequest[] = prompts.map((p, index) => ({
    index,
    promptId: p.id,
    body: buildRequest(ctx.model, p, phase),
  }));
  let lastProgress = Date.now();
  const progressEveryMs = opts.progressEveryMs ?? 5000;
  const res = await runPhaseLoad({
    dispatcher: ctx.dispatcher,
    origin: ctx.origin,
    scheduling: phase.scheduling,
    requests: plan,
    deadlineMs: phase.requestDeadlineMs,
    idleTimeoutMs: phase.idleTimeoutMs,
    headersTimeoutMs: phase.headersTimeoutMs,
    timeLimitMs: phase.timeLimitMs,
    seed: opts.seed,
    limits: ctx.limits,
    signal: ctx.signal,
    onResult: (_a, done, failed) => {
      opts.onResult?.(done, failed);
      const now = Date.now();
      if (opts.onProgress && now - lastProgress >= progressEveryMs && done < plan.length) {
        lastProgress = now;
        opts.onProgress({
          type: "phase-progress",
          phase: phase.name,
          trial,
          done,
          failed,
          requests: plan.length,
        });
      }
    },
  });
  const records = res.attempts.map((a) =>
    toRecord(a, phase.name, trial, ctx.runStartNs, ctx.vocab, ctx.tolerance),
  );
  const stats = phaseStats(
    phase,
    trial,
    records,
    Number(res.endNs - res.startNs) / 1e6,
    res.hitTimeLimit,
    opts.seed,
  );
  return { records, attempts: res.attempts, stats };
}

export async function runBench(opts: RunOptions): Promise<BenchReport> {
  const w = opts.workload;
  const startedAt = new Date().toISOString();
  const runStartNs = process.hrtime.bigint();
  const pool = new Pool(opts.origin, {
    connections: maxConnections(w),
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const ctx: PhaseRunContext = {
    dispatcher: pool,
    origin: opts.origin,
    model: opts.model,
    vocab: opts.vocab,
    tolerance: w.tokenTolerance,
    runStartNs,
    limits: opts.limits ?? workloadLimits(w),
    signal: opts.signal,
  };
  const records: RequestRecord[] = [];
  const stats: PhaseStats[] = [];
  const emit = (e: ProgressEvent) => opts.onProgress?.(e);
  const warmup = { requests: w.warmup.requests, ok: 0, failed: 0 };
  try {
    if (w.warmup.requests > 0) {
      emit({ type: "warmup-start", requests: w.warmup.requests });
      const prompts = builtinPrompts(w.warmup.requests, { seed: w.seed, tag: "w" });
      const run = await runPhaseTrial(ctx, warmupPhase(w.warmup), 0, prompts, { seed: w.seed });
      records.push(...run.records);
      warmup.ok = run.stats.ok;
      warmup.failed = run.stats.failed;
      emit({ type: "warmup-end", ok: warmup.ok, failed: warmup.failed, wallMs: run.stats.wallMs });
    }

    for (let trial = 1; trial <= w.trials && !opts.signal?.aborted; trial++) {
      for (const [pi, phase] of w.phases.entries()) {
        if (opts.signal?.aborted) break;
        const seed = derivedSeed(w.seed, pi, trial);
        const prompts = builtinPrompts(phase.requests, {
          seed,
          tag: `${pi + 1}.${trial}`,
          lengths: phase.prompts.lengths,
        });
        emit({
          type: "phase-start",
          phase: phase.name,
          trial,
          trials: w.trials,
          requests: prompts.length,
        });
        const run = await runPhaseTrial(ctx, phase, trial, prompts, {
          seed,
          progressEveryMs: opts.progressEveryMs,
          onProgress: emit,
        });
        records.push(...run.records);
        stats.push(run.stats);
        emit({ type: "phase-end", stats: run.stats });
      }
    }
  } finally {
    await pool.destroy().catch(() => {});
  }
  return {
    schema: REPORT_SCHEMA,
    endpoint: opts.origin,
    model: opts.model,
    startedAt,
    runStartNs: runStartNs.toString(),
    durationMs: msBetween(runStartNs, process.hrtime.bigint()),
    tokenizer: opts.vocab.source,
    percentiles: PERCENTILE_METHOD,
    workload: w,
    cancelled: opts.signal?.aborted ?? false,
    warmup,
    phases: stats,
    summary: summarizePhases(w.phases, stats, records),
    requests: records,
  };
}
