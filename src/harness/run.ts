// One benchmark run: warmup, then for each trial every phase in order, on one connection pool sized
// to the workload's largest concurrency. After each phase (off the hot path) every response's
// output tokens are counted and validated (DESIGN §2.3), each request becomes a record, and the
// phase gets its statistics.
import { Pool } from "undici";
import {
  DEFAULT_RESPONSE_LIMITS,
  honestResponseBytes,
  type ResponseLimits,
} from "../contract/limits.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import type { StreamResult } from "./client.js";
import { type Attempt, type PlannedRequest, runPhaseLoad } from "./load.js";
import { builtinPrompts, type Prompt } from "./prompts.js";
import {
  type BenchReport,
  type PhaseStats,
  type PhaseSummary,
  REPORT_SCHEMA,
  type RecordFailureKind,
  type RequestRecord,
} from "./report.js";
import { bootstrapMedianCi, median, summarize } from "./stats.js";
import { countOutputTokens, type TokenTolerance } from "./tokens.js";
import {
  buildRequest,
  maxConnections,
  type Phase,
  type Warmup,
  type Workload,
} from "./workload.js";

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

export const PERCENTILE_METHOD =
  "type-7 linear interpolation between closest ranks (numpy/R default); median CI: percentile bootstrap, 2000 resamples, seeded";

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const msBetween = (a: bigint, b: bigint) => round3(Number(b - a) / 1e6);

/** A per-phase, per-trial seed derived from the workload seed. */
function derivedSeed(seed: number, phaseIndex: number, trial: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [phaseIndex + 1, trial + 1]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** Inter-token latencies after the first token (see RequestRecord.itlMs). */
export function interTokenLatencies(r: StreamResult): number[] {
  const out: number[] = [];
  if (r.firstTokenNs === null) return out;
  const first = Number(r.firstTokenNs - r.startNs);
  const { offsetNs, tokens, chars } = r.arrivals;
  let prev: number | null = null;
  for (let i = 0; i < offsetNs.length; i++) {
    const ns = offsetNs[i] as number;
    if (ns < first) continue;
    if (prev === null) {
      prev = ns;
      continue;
    }
    const k = Math.max(tokens[i] as number, (chars[i] as number) > 0 ? 1 : 0);
    if (k === 0) continue;
    const gap = (ns - prev) / 1e6 / k;
    for (let j = 0; j < k; j++) out.push(round3(gap));
    prev = ns;
  }
  return out;
}

/** Turns one attempt into its record, counting and validating its output tokens. */
export function toRecord(
  attempt: Attempt,
  phase: string,
  trial: number,
  runStartNs: bigint,
  vocab: Vocabulary | null,
  tolerance: TokenTolerance,
): RequestRecord {
  const rel = (ns: bigint | null) => (ns === null ? null : Number(ns - runStartNs));
  const r = attempt.result;
  if (r === null) {
    return {
      phase,
      trial,
      index: attempt.index,
      promptId: attempt.promptId,
      status: "failed",
      failure: { kind: "not_sent", message: "not sent: the phase ended first" },
      httpStatus: null,
      scheduledNs: attempt.scheduledNs === 0n ? null : rel(attempt.scheduledNs),
      startNs: null,
      sentNs: null,
      headersNs: null,
      firstTokenNs: null,
      endNs: null,
      ttftMs: null,
      e2eMs: null,
      itlMs: [],
      outputTokens: null,
      tokenizerTokens: null,
      usageCompletionTokens: null,
      finishReason: null,
      completionId: null,
      outputChars: 0,
      bytes: 0,
    };
  }
  let failure: RequestRecord["failure"] = r.failure
    ? { kind: r.failure.kind as RecordFailureKind, message: r.failure.message }
    : null;
  let outputTokens: number | null = null;
  let tokenizerTokens: number | null = null;
  if (r.ok && vocab) {
    const c = countOutputTokens(r.text, r.logprobs, vocab, tolerance);
    tokenizerTokens = c.tokenizerCount;
    if (c.valid) outputTokens = c.count;
    else failure = { kind: "token_count", message: c.reason ?? "token count is not valid" };
  }
  return {
    phase,
    trial,
    index: attempt.index,
    promptId: attempt.promptId,
    status: failure ? "failed" : "ok",
    failure,
    httpStatus: r.status,
    scheduledNs: rel(attempt.scheduledNs),
    startNs: rel(r.startNs),
    sentNs: rel(r.sentNs),
    headersNs: rel(r.headersNs),
    firstTokenNs: rel(r.firstTokenNs),
    endNs: rel(r.endNs),
    ttftMs:
      r.sentNs !== null && r.firstTokenNs !== null ? msBetween(r.sentNs, r.firstTokenNs) : null,
    e2eMs: msBetween(r.sentNs ?? r.startNs, r.endNs),
    itlMs: interTokenLatencies(r),
    outputTokens,
    tokenizerTokens,
    usageCompletionTokens: r.usage?.completion_tokens ?? null,
    finishReason: r.finishReason,
    completionId: r.completionId,
    outputChars: r.text.length,
    bytes: r.bytes,
  };
}

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

/** A closed loop of free-length requests (the warmup, the gate pass) as a phase. */
export function closedLoopPhase(
  name: string,
  c: {
    requests: number;
    concurrency: number;
    maxTokens: number;
    topLogprobs: number;
    requestDeadlineMs: number;
    timeLimitMs: number;
  },
): Phase {
  return {
    name,
    scheduling: { kind: "concurrency", streams: c.concurrency },
    requests: c.requests,
    prompts: { source: "builtin" },
    maxTokens: c.maxTokens,
    fixedLength: false,
    topLogprobs: c.topLogprobs,
    requestDeadlineMs: c.requestDeadlineMs,
    headersTimeoutMs: c.requestDeadlineMs,
    idleTimeoutMs: c.requestDeadlineMs,
    timeLimitMs: c.timeLimitMs,
  };
}

/** The warmup as a phase: short requests with the default top_logprobs. */
export const warmupPhase = (w: Warmup): Phase =>
  closedLoopPhase("warmup", { ...w, topLogprobs: 5 });

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

/**
 * The default caps, with the response cap raised where a phase of this workload (a bench workload
 * file may ask for up to 32k tokens at top_logprobs 20) could need more from an honest server.
 */
export function workloadLimits(w: Workload): ResponseLimits {
  let need = 0;
  for (const p of w.phases) need = Math.max(need, honestResponseBytes(p.maxTokens, p.topLogprobs));
  need = Math.max(need, honestResponseBytes(w.warmup.maxTokens, 5));
  const d = DEFAULT_RESPONSE_LIMITS;
  return need <= d.maxResponseBytes ? d : { ...d, maxResponseBytes: need };
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
