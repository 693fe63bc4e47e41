// One eval session (DESIGN §2.2): the baseline first — its answers are the reference for every
// request — then each candidate in turn on exactly the same requests. Every request of every slot
// is greedy with logprobs and checked against the reference; a failed request or a failing answer
// ends that candidate at once (score 0, with the reason), which also saves GPU time. Servers run one
// at a time, as on one pod.
import { Pool } from "undici";
import type { Arena } from "../arena/index.js";
import { normalizeSeed, type PromptPool } from "../arena/pool.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import { PERCENTILE_METHOD } from "../harness/phase-stats.js";
import type { PhaseStats, RequestRecord } from "../harness/report.js";
import { type PhaseRunContext, runPhaseTrial } from "../harness/run.js";
import { phaseConnections } from "../harness/workload.js";
import { HealthTimeout, waitForHealth } from "../runtime/health.js";
import { ImageRefused, type RunningServer, type Runtime } from "../runtime/runtime.js";
import type { ServerSpec } from "../runtime/spec.js";
import { score } from "../score/score.js";
import { type Answer, candidateJudge, gateSection, type Judge } from "./judge.js";
import { measure } from "./measure.js";
import { gateOutputOf, type StoredOutput, storeOutput } from "./outputs.js";
import { type PlannedSlot, planSession, requestKey } from "./plan.js";
import {
  type CandidateRun,
  EVAL_REPORT_SCHEMA,
  type EvalReport,
  type ServerFailure,
  type ServerRun,
  type SlotRun,
} from "./report.js";
import { decideVerdict } from "./verdict.js";

export interface NamedServer {
  name: string;
  spec: ServerSpec;
}

export type EvalProgress =
  | { type: "server-start"; server: string; role: "baseline" | "candidate"; spec: ServerSpec }
  | { type: "status"; server: string; line: string }
  | { type: "healthy"; server: string; waitedMs: number }
  | { type: "slot-start"; server: string; slot: string; requests: number }
  | {
      type: "requests";
      server: string;
      slot: string;
      done: number;
      failed: number;
      requests: number;
    }
  | { type: "slot-end"; server: string; slot: string; ok: number; failed: number; wallMs: number }
  | { type: "server-end"; server: string; failure: ServerFailure | null; measuredMs: number };

export interface EvalOptions {
  arena: Arena;
  /** Hex seed (normally a recent block hash): it picks the prompts. */
  seed: string;
  baseline: NamedServer;
  candidates: NamedServer[];
  runtime: Runtime;
  vocab: Vocabulary;
  pool: PromptPool;
  /** The candidate that is the current king, if any (for the verdict). */
  incumbent?: string;
  onProgress?: (e: EvalProgress) => void;
  signal?: AbortSignal;
}

interface ServerOutcome {
  run: ServerRun;
  answers: Map<string, Answer>;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const since = (t: number) => round3(performance.now() - t);

function firstFailure(slot: PlannedSlot, records: readonly RequestRecord[]): ServerFailure | null {
  const failed = records.filter((r) => r.status !== "ok");
  const first = failed[0];
  if (!first) return null;
  return {
    stage: slot.key,
    kind: "request_failed",
    message: `${failed.length} of ${records.length} requests failed in ${slot.key}; first: ${requestKey(slot.key, first.index)}: ${first.failure?.kind}: ${first.failure?.message}`,
  };
}

async function runServer(
  opts: EvalOptions,
  named: NamedServer,
  role: "baseline" | "candidate",
  plan: readonly PlannedSlot[],
  /** For a candidate: the reference's answers, its judge, and its answers are stored against them. */
  against: { reference: ReadonlyMap<string, Answer>; judge: Judge } | null,
): Promise<ServerOutcome> {
  const judge = against?.judge;
  const emit = (e: EvalProgress) => opts.onProgress?.(e);
  const t0 = performance.now();
  const records: RequestRecord[] = [];
  const phases: PhaseStats[] = [];
  const slots: SlotRun[] = [];
  const outputs: Record<string, StoredOutput> = {};
  const answers = new Map<string, Answer>();
  const timing: ServerRun["timing"] = { startMs: 0, healthWaitMs: 0, requestsMs: 0, wallMs: 0 };
  let failure: ServerFailure | null = null;
  let server: RunningServer | null = null;
  emit({ type: "server-start", server: named.name, role, spec: named.spec });
  try {
    try {
      server = await opts.runtime.start(named.spec, {
        arena: opts.arena,
        signal: opts.signal,
        onStatus: (line) => emit({ type: "status", server: named.name, line }),
      });
    } catch (err) {
      failure =
        err instanceof ImageRefused
          ? { stage: "image", kind: "image", message: err.message }
          : { stage: "start", kind: "start", message: (err as Error).message };
    }
    timing.startMs = since(t0);
    if (server?.pullMs !== undefined) timing.pullMs = server.pullMs;
    if (server) {
      const t1 = performance.now();
      try {
        timing.healthWaitMs = await waitForHealth(
          server,
          opts.arena.startupTimeoutMs,
          opts.signal,
          opts.arena.limits.maxInfoBodyBytes,
        );
        emit({ type: "healthy", server: named.name, waitedMs: timing.healthWaitMs });
      } catch (err) {
        if (!(err instanceof HealthTimeout)) throw err;
        timing.healthWaitMs = since(t1);
        failure = opts.signal?.aborted
          ? { stage: "health", kind: "cancelled", message: "the session was cancelled" }
          : { stage: "health", kind: "health", message: err.message };
      }
    }
    if (server && !failure) {
      const connections = phaseConnections(plan.map((s) => s.phase));
      const dispatcher = new Pool(server.origin, { connections, keepAliveTimeout: 30_000 });
      const ctx: PhaseRunContext = {
        dispatcher,
        origin: server.origin,
        model: opts.arena.model.servedModelName,
        vocab: opts.vocab,
        tolerance: opts.arena.workload.tokenTolerance,
        runStartNs: process.hrtime.bigint(),
        limits: opts.arena.limits,
        signal: opts.signal,
      };
      try {
        for (const slot of plan) {
          if (opts.signal?.aborted) {
            failure = { stage: slot.key, kind: "cancelled", message: "the session was cancelled" };
            break;
          }
          emit({
            type: "slot-start",
            server: named.name,
            slot: slot.key,
            requests: slot.prompts.length,
          });
          const run = await runPhaseTrial(ctx, slot.phase, slot.trial, slot.prompts, {
            seed: slot.seed,
            onResult: (done, failed) =>
              emit({
                type: "requests",
                server: named.name,
                slot: slot.key,
                done,
                failed,
                requests: slot.prompts.length,
              }),
          });
          records.push(...run.records);
          if (slot.kind === "measured") phases.push(run.stats);
          slots.push({
            key: slot.key,
            kind: slot.kind,
            trial: slot.trial,
            seed: slot.seed,
            wallMs: run.stats.wallMs,
            hitTimeLimit: run.stats.hitTimeLimit,
            ok: run.stats.ok,
            failed: run.stats.failed,
          });
          timing.requestsMs = round3(timing.requestsMs + run.stats.wallMs);
          emit({
            type: "slot-end",
            server: named.name,
            slot: slot.key,
            ok: run.stats.ok,
            failed: run.stats.failed,
            wallMs: run.stats.wallMs,
          });
          run.attempts.forEach((a, i) => {
            const key = requestKey(slot.key, a.index);
            const rec = run.records[i] as RequestRecord;
            if (rec.status === "ok" && a.result) {
              const out = gateOutputOf(a.result);
              answers.set(key, out);
              const ref = against?.reference.get(key);
              outputs[key] = storeOutput(out, ref && !("failure" in ref) ? ref : undefined);
            } else {
              answers.set(key, {
                failure: `${rec.failure?.kind}: ${rec.failure?.message ?? "failed"}`,
              });
            }
          });
          failure = opts.signal?.aborted
            ? { stage: slot.key, kind: "cancelled", message: "the session was cancelled" }
            : (firstFailure(slot, run.records) ?? judge?.(slot, answers) ?? null);
          // Only the reference's answers are needed later; a judged candidate's are in `outputs`.
          if (judge) answers.clear();
          if (failure) break;
        }
      } finally {
        await dispatcher.destroy().catch(() => {});
      }
    }
  } finally {
    await server?.stop().catch(() => {});
  }
  const measured = failure ? null : measure(opts.arena, phases);
  if (!failure && !measured)
    failure = {
      stage: "measure",
      kind: "no_measurement",
      message: `no TTFT or throughput could be measured (phases ${opts.arena.workload.ttftPhase}, ${opts.arena.workload.tpsPhase})`,
    };
  timing.wallMs = since(t0);
  emit({ type: "server-end", server: named.name, failure, measuredMs: timing.requestsMs });
  return {
    run: {
      name: named.name,
      spec: named.spec,
      status: failure ? "failed" : "ok",
      failure,
      timing,
      slots,
      phases,
      measured,
      requests: records,
      outputs,
      logs: server?.logs() ?? "",
    },
    answers,
  };
}

function notRun(arena: Arena, named: NamedServer, why: string): CandidateRun {
  const failure: ServerFailure = { stage: "session", kind: "not_run", message: why };
  return {
    name: named.name,
    spec: named.spec,
    status: "failed",
    failure,
    timing: { startMs: 0, healthWaitMs: 0, requestsMs: 0, wallMs: 0 },
    slots: [],
    phases: [],
    measured: null,
    requests: [],
    outputs: {},
    logs: "",
    score: 0,
    ttftImprovement: 0,
    tpsImprovement: 0,
    gate: gateSection([], arena, failure),
  };
}

export async function runEvalSession(opts: EvalOptions): Promise<EvalReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const seed = `0x${normalizeSeed(opts.seed)}`;
  const plan = planSession(opts.arena, opts.pool, seed);
  const base = await runServer(opts, opts.baseline, "baseline", plan, null);
  const candidates: CandidateRun[] = [];
  const baseMeasured = base.run.measured;
  for (const named of opts.candidates) {
    if (!baseMeasured || opts.signal?.aborted) {
      candidates.push(
        notRun(
          opts.arena,
          named,
          opts.signal?.aborted
            ? "not run: the session was cancelled"
            : `not run: the baseline failed (${base.run.failure?.message})`,
        ),
      );
      continue;
    }
    const { verdicts, judge } = candidateJudge(opts.arena, base.answers);
    const { run } = await runServer(opts, named, "candidate", plan, {
      reference: base.answers,
      judge,
    });
    const gate = gateSection(verdicts, opts.arena, run.failure);
    if (!run.failure && !gate.passed) {
      run.status = "failed";
      run.failure = { stage: "gate", kind: "gate", message: gate.reasons.join("; ") };
    }
    const s = run.measured ? score(baseMeasured, run.measured, gate.passed) : null;
    candidates.push({
      ...run,
      score: s?.score ?? 0,
      ttftImprovement: s?.ttftImprovement ?? 0,
      tpsImprovement: s?.tpsImprovement ?? 0,
      gate,
    });
  }
  const servers = [base.run, ...candidates];
  const sum = (f: (r: ServerRun) => number) => round3(servers.reduce((n, r) => n + f(r), 0));
  const wallMs = since(t0);
  const startMs = sum((r) => r.timing.startMs);
  const healthWaitMs = sum((r) => r.timing.healthWaitMs);
  const requestsMs = sum((r) => r.timing.requestsMs);
  const overheadMs = round3(Math.max(0, wallMs - startMs - healthWaitMs - requestsMs));
  return {
    schema: EVAL_REPORT_SCHEMA,
    status: opts.signal?.aborted ? "cancelled" : baseMeasured ? "ok" : "baseline_failed",
    arena: opts.arena,
    seed,
    startedAt,
    finishedAt: new Date().toISOString(),
    tokenizer: opts.vocab.source,
    percentiles: PERCENTILE_METHOD,
    timing: {
      wallMs,
      startMs,
      healthWaitMs,
      requestsMs,
      overheadMs,
      overheadShare: wallMs > 0 ? round3(overheadMs / wallMs) : 0,
    },
    baseline: base.run,
    candidates,
    verdict: decideVerdict(opts.arena, candidates, opts.incumbent ?? null, Date.now()),
  };
}
