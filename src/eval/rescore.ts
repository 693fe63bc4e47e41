// Recomputes every verdict and score of an EvalReport from its raw material alone — the arena, the
// request records, the slots' wall times, the stored answers and the teacher's stored scores of
// each forked request — with the same functions the session used, and says where a stored value
// differs. Facts about a server that are not numbers (it did not start, never became healthy, the
// session was cancelled, the teacher pass failed) are taken as recorded.
import type { Arena } from "../arena/index.js";
import type { RequestVerdict, TeacherInput } from "../gate/index.js";
import { judge } from "../gate/teacher.js";
import { phaseStats } from "../harness/phase-stats.js";
import type { PhaseStats, RequestRecord } from "../harness/report.js";
import type { Phase } from "../harness/workload.js";
import { score } from "../score/score.js";
import { type Answer, gateSection, verdictFor } from "./judge.js";
import { measure } from "./measure.js";
import { loadOutput, StoredOutputError } from "./outputs.js";
import { requestKey, sessionLayout, slotKeyOf } from "./plan.js";
import type { EvalReport, ServerFailure, ServerRun } from "./report.js";

export interface Rescored {
  name: string;
  stored: { score: number; passed: boolean };
  recomputed: {
    score: number;
    passed: boolean;
    ttftMs: number | null;
    tokensPerSec: number | null;
  };
  /** One line per stored value that the recomputation does not reproduce. */
  differences: string[];
}

export interface RescoreResult {
  baseline: { ttftMs: number | null; tokensPerSec: number | null; differences: string[] };
  candidates: Rescored[];
  /** True when every stored score, gate result and measurement was reproduced exactly. */
  reproduced: boolean;
}

function phaseOf(arena: Arena): Map<string, Phase> {
  return new Map(sessionLayout(arena).map((s) => [s.key, s.phase]));
}

/** Measured-phase statistics recomputed from the records and the recorded wall times. */
function recomputeStats(arena: Arena, run: ServerRun): PhaseStats[] {
  const phases = phaseOf(arena);
  const bySlot = new Map<string, RequestRecord[]>();
  for (const r of run.requests) {
    const key = slotKeyOf(r);
    bySlot.set(key, [...(bySlot.get(key) ?? []), r]);
  }
  return run.slots
    .filter((s) => s.kind === "measured")
    .map((s) => {
      const phase = phases.get(s.key);
      if (!phase) throw new Error(`slot ${s.key} is not in the report's arena`);
      return phaseStats(phase, s.trial, bySlot.get(s.key) ?? [], s.wallMs, s.hitTimeLimit, s.seed);
    });
}

function compareMeasured(
  what: string,
  stored: ServerRun["measured"],
  got: ServerRun["measured"],
): string[] {
  if (stored?.ttftMs === got?.ttftMs && stored?.tokensPerSec === got?.tokensPerSec) return [];
  return [
    `${what}: stored TTFT ${stored?.ttftMs ?? "none"} ms / ${stored?.tokensPerSec ?? "none"} tok/s, recomputed ${got?.ttftMs ?? "none"} ms / ${got?.tokensPerSec ?? "none"} tok/s`,
  ];
}

/** Failures that rescoring takes as recorded: they are not derived from numbers. */
const RECORDED: ReadonlySet<ServerFailure["kind"]> = new Set([
  "start",
  "health",
  "cancelled",
  "not_run",
  "teacher",
]);

/** Verdict differences listed one by one before they are summed up. */
const SHOWN_VERDICT_DIFFERENCES = 5;

/**
 * The teacher's input for a forked request as the session built it: the teacher's scores from the
 * stored evidence, the claimed logprobs from the candidate's stored answer (the evidence's copy of
 * them is not trusted), the stop and the control as stored.
 */
function storedInput(
  pre: RequestVerdict,
  stored: RequestVerdict | undefined,
  answer: Answer,
): TeacherInput | undefined {
  const e = stored?.teacher;
  if (pre.status !== "forked" || !pre.fork || !e || "failure" in answer) return undefined;
  const at = pre.fork.position;
  return {
    tokens: e.tokens.map(({ verdict: _, ...s }, i) => ({
      ...s,
      claimed: answer.tokens?.[at + i]?.logprob ?? Number.NaN,
    })),
    stop: e.stop,
    control: e.control,
  };
}

function verdictLine(v: RequestVerdict): string {
  return `${v.status}${v.reason ? ` (${v.reason}${v.failedAt !== undefined ? ` at token ${v.failedAt}` : ""})` : ""}`;
}

/** One line per request whose recomputed verdict is not the stored one. */
function compareVerdicts(stored: readonly RequestVerdict[], got: readonly RequestVerdict[]) {
  const byId = new Map(stored.map((v) => [v.id, v]));
  const out: string[] = [];
  let n = 0;
  for (const v of got) {
    const s = byId.get(v.id);
    const a = s ? verdictLine(s) : "none";
    const b = verdictLine(v);
    if (a === b) continue;
    if (++n <= SHOWN_VERDICT_DIFFERENCES) out.push(`verdict ${v.id}: stored ${a}, recomputed ${b}`);
  }
  if (n > SHOWN_VERDICT_DIFFERENCES)
    out.push(`… and ${n - SHOWN_VERDICT_DIFFERENCES} more requests with another verdict`);
  if (stored.length !== got.length)
    out.push(`verdicts: ${stored.length} stored, ${got.length} recomputed`);
  return out;
}

export function rescore(report: EvalReport): RescoreResult {
  const arena = report.arena;
  const phases = phaseOf(arena);
  const baseMeasured = report.baseline.failure
    ? null
    : measure(arena, recomputeStats(arena, report.baseline));
  const reference = new Map(
    Object.entries(report.baseline.outputs).map(([k, v]) => [k, loadOutput(v)]),
  );
  const candidates = report.candidates.map((c): Rescored => {
    const differences: string[] = [];
    const recorded = c.failure && RECORDED.has(c.failure.kind) ? c.failure : null;
    const failedRecord = c.requests.find((r) => r.status !== "ok");
    const storedVerdicts = new Map(c.gate.verdicts.map((v) => [v.id, v]));
    const verdicts = c.requests.map((r) => {
      const slot = slotKeyOf(r);
      const id = requestKey(slot, r.index);
      const ref = reference.get(id);
      const phase = phases.get(slot);
      if (!ref || !phase)
        throw new StoredOutputError(`${c.name}: the report has no reference answer for ${id}`);
      const stored = c.outputs[id];
      const answer: Answer =
        r.status === "ok" && stored
          ? loadOutput(stored, ref)
          : { failure: `${r.failure?.kind}: ${r.failure?.message ?? "failed"}` };
      const pre = verdictFor(arena, phase, id, ref, answer);
      return judge(pre, storedInput(pre, storedVerdicts.get(id), answer), arena.gate);
    });
    const failure: ServerFailure | null =
      recorded ??
      (failedRecord
        ? { stage: slotKeyOf(failedRecord), kind: "request_failed", message: "a request failed" }
        : null);
    const gate = gateSection(verdicts, arena, failure, failure === null);
    differences.push(...compareVerdicts(c.gate.verdicts, verdicts));
    const measured = failure || !gate.passed ? null : measure(arena, recomputeStats(arena, c));
    const s = measured && baseMeasured ? score(baseMeasured, measured, gate.passed) : null;
    const recomputed = {
      score: s?.score ?? 0,
      passed: gate.passed && s !== null,
      ttftMs: measured?.ttftMs ?? null,
      tokensPerSec: measured?.tokensPerSec ?? null,
    };
    const passedStored = c.gate.passed && c.status === "ok";
    if (recomputed.score !== c.score)
      differences.push(`score: stored ${c.score}, recomputed ${recomputed.score}`);
    if (recomputed.passed !== passedStored)
      differences.push(`passed: stored ${passedStored}, recomputed ${recomputed.passed}`);
    if (measured) differences.push(...compareMeasured("measurement", c.measured, measured));
    return {
      name: c.name,
      stored: { score: c.score, passed: passedStored },
      recomputed,
      differences,
    };
  });
  const baseDiffs = report.baseline.failure
    ? []
    : compareMeasured("baseline", report.baseline.measured, baseMeasured);
  return {
    baseline: {
      ttftMs: baseMeasured?.ttftMs ?? null,
      tokensPerSec: baseMeasured?.tokensPerSec ?? null,
      differences: baseDiffs,
    },
    candidates,
    reproduced: baseDiffs.length === 0 && candidates.every((c) => c.differences.length === 0),
  };
}
