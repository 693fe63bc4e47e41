// One eval session (DESIGN §2.2): the baseline first — its answers are the reference for every
// request — then each candidate in turn on exactly the same requests. Every request of every slot
// is greedy with logprobs and checked against the reference; a failed request or a failing answer
// ends that candidate at once (score 0, with the reason), which also saves GPU time. A request that
// forked from the reference awaits the teacher: after the last candidate the baseline spec scores
// every such request (teacher.ts), and only then are verdicts, scores and the king final. Servers
// run one at a time, as on one pod: each is started (server.ts), runs its pass and is stopped.
import type { Arena } from "../arena/index.js";
import { normalizeSeed, type PromptPool } from "../arena/pool.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import type { GateOutput, RequestVerdict, TeacherInput } from "../gate/index.js";
import { PERCENTILE_METHOD } from "../harness/phase-stats.js";
import type { Prompt } from "../harness/prompts.js";
import { round3 } from "../harness/stats.js";
import type { Runtime } from "../runtime/runtime.js";
import type { ServerSpec } from "../runtime/spec.js";
import { score } from "../score/score.js";
import { type Answer, candidateJudge, gateSection, teacherVerdicts } from "./judge.js";
import { measure } from "./measure.js";
import type { StoredOutput } from "./outputs.js";
import { loadOutput } from "./outputs.js";
import { type PlannedSlot, planSession, requestKey } from "./plan.js";
import {
  type CandidateRun,
  EVAL_REPORT_SCHEMA,
  type EvalReport,
  type ServerFailure,
  type ServerRun,
} from "./report.js";
import { msSince, type ServerRole, type StartProgress, startServer } from "./server.js";
import { type Against, runSlots, type SlotProgress, type SlotsRun } from "./slots.js";
import { runTeacherPass, type TeacherJob, type TeacherProgress, teacherShare } from "./teacher.js";
import { decideVerdict } from "./verdict.js";

export interface NamedServer {
  name: string;
  spec: ServerSpec;
}

export type EvalProgress =
  | StartProgress
  | SlotProgress
  | TeacherProgress
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

/** Starts one server, runs the plan's slots on it, stops it, and measures what it ran. */
async function runServer(
  opts: EvalOptions,
  named: NamedServer,
  role: ServerRole,
  plan: readonly PlannedSlot[],
  against: Against | null,
): Promise<ServerOutcome> {
  const t0 = performance.now();
  const started = await startServer(opts, named.name, named.spec, role);
  let ran: SlotsRun | null = null;
  try {
    if (started.server && !started.failure)
      ran = await runSlots(opts, named.name, started.server.origin, plan, against);
  } finally {
    await started.server?.stop().catch(() => {});
  }
  let failure = started.failure ?? ran?.failure ?? null;
  const phases = ran?.phases ?? [];
  const measured = failure ? null : measure(opts.arena, phases);
  if (!failure && !measured)
    failure = {
      stage: "measure",
      kind: "no_measurement",
      message: `no TTFT or throughput could be measured (phases ${opts.arena.workload.ttftPhase}, ${opts.arena.workload.tpsPhase})`,
    };
  const { startMs, healthWaitMs, pullMs } = started.timing;
  const timing: ServerRun["timing"] = {
    startMs,
    healthWaitMs,
    requestsMs: ran?.requestsMs ?? 0,
    wallMs: msSince(t0),
  };
  if (pullMs !== undefined) timing.pullMs = pullMs;
  opts.onProgress?.({
    type: "server-end",
    server: named.name,
    failure,
    measuredMs: timing.requestsMs,
  });
  return {
    run: {
      name: named.name,
      spec: named.spec,
      status: failure ? "failed" : "ok",
      failure,
      timing,
      slots: ran?.slots ?? [],
      phases,
      measured,
      requests: ran?.records ?? [],
      outputs: ran?.outputs ?? {},
      logs: started.server?.logs() ?? "",
    },
    answers: ran?.answers ?? new Map(),
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
    gate: gateSection([], arena, failure, false),
  };
}

/** A candidate after its slots: its run and its verdicts before the teacher. */
interface Judged {
  run: ServerRun;
  verdicts: RequestVerdict[];
}

/** The forked requests of candidates that ran every slot: what the teacher must score. */
function teacherJobs(judged: readonly Judged[], reference: ReadonlyMap<string, Answer>) {
  const jobs: TeacherJob[] = [];
  for (const { run, verdicts } of judged) {
    if (run.failure) continue;
    for (const v of verdicts) {
      if (v.status !== "forked") continue;
      const ref = reference.get(v.id) as GateOutput;
      jobs.push({ verdict: v, output: loadOutput(run.outputs[v.id] as StoredOutput, ref) });
    }
  }
  return jobs;
}

export async function runEvalSession(opts: EvalOptions): Promise<EvalReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const seed = `0x${normalizeSeed(opts.seed)}`;
  const plan = planSession(opts.arena, opts.pool, seed);
  const base = await runServer(opts, opts.baseline, "baseline", plan, null);
  const baseMeasured = base.run.measured;
  const judged: (Judged | CandidateRun)[] = [];
  for (const named of opts.candidates) {
    if (!baseMeasured || opts.signal?.aborted) {
      judged.push(
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
    judged.push({ run, verdicts });
  }

  const prompts = new Map<string, Prompt>();
  for (const slot of plan)
    for (const [i, p] of slot.prompts.entries()) prompts.set(requestKey(slot.key, i), p);
  const ran = judged.filter((j): j is Judged => "verdicts" in j);
  const jobs = opts.signal?.aborted ? [] : teacherJobs(ran, base.answers);
  const teacher = await runTeacherPass(
    opts,
    opts.baseline.spec,
    prompts,
    base.answers as ReadonlyMap<string, GateOutput>,
    jobs,
  );
  const inputs = new Map<RequestVerdict, TeacherInput>();
  for (const [i, input] of teacher.inputs.entries())
    inputs.set((jobs[i] as TeacherJob).verdict, input);
  const teacherFailed = teacher.pass.status === "failed";

  const candidates = judged.map((j): CandidateRun => {
    if (!("verdicts" in j)) return j;
    const { run } = j;
    const own = new Map<string, TeacherInput>();
    for (const v of j.verdicts) {
      const input = inputs.get(v);
      if (input) own.set(v.id, input);
    }
    const verdicts = teacherVerdicts(opts.arena, j.verdicts, own);
    if (!run.failure && teacherFailed && verdicts.some((v) => v.status === "forked")) {
      run.status = "failed";
      run.failure = {
        stage: "teacher",
        kind: "teacher",
        message: `no final verdict: ${teacher.pass.failure?.message ?? "the teacher pass failed"}`,
      };
    }
    const gate = gateSection(verdicts, opts.arena, run.failure, !run.failure);
    if (!run.failure && !gate.passed) {
      run.status = "failed";
      run.failure = { stage: "gate", kind: "gate", message: gate.reasons.join("; ") };
    }
    const s = run.measured && baseMeasured ? score(baseMeasured, run.measured, gate.passed) : null;
    return {
      ...run,
      score: s?.score ?? 0,
      ttftImprovement: s?.ttftImprovement ?? 0,
      tpsImprovement: s?.tpsImprovement ?? 0,
      gate,
    };
  });
  const servers = [base.run, ...candidates];
  const sum = (f: (r: ServerRun) => number) => round3(servers.reduce((n, r) => n + f(r), 0));
  const wallMs = msSince(t0);
  const startMs = sum((r) => r.timing.startMs);
  const healthWaitMs = sum((r) => r.timing.healthWaitMs);
  const requestsMs = sum((r) => r.timing.requestsMs);
  const teacherMs = teacher.pass.timing.wallMs;
  const overheadMs = round3(Math.max(0, wallMs - startMs - healthWaitMs - requestsMs - teacherMs));
  return {
    schema: EVAL_REPORT_SCHEMA,
    status: opts.signal?.aborted
      ? "cancelled"
      : !baseMeasured
        ? "baseline_failed"
        : teacherFailed
          ? "teacher_failed"
          : "ok",
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
      teacherMs,
      teacherShare: teacherShare(teacher.pass, wallMs),
      overheadMs,
      overheadShare: wallMs > 0 ? round3(overheadMs / wallMs) : 0,
    },
    baseline: base.run,
    candidates,
    teacher: teacher.pass,
    verdict: decideVerdict(opts.arena, candidates, opts.incumbent ?? null, Date.now()),
  };
}
