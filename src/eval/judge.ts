// Judging a candidate against the reference with the gate (src/gate): request by request as the
// session runs (so a wrong answer ends the candidate early; a forked request awaits the teacher),
// the teacher's final verdicts, and the gate's overall verdict.
import type { Arena } from "../arena/index.js";
import {
  compareRequest,
  type GateOutput,
  type GateResult,
  gateVerdict,
  type RequestVerdict,
  type TeacherInput,
} from "../gate/index.js";
import { judge } from "../gate/teacher.js";
import type { Phase } from "../harness/workload.js";
import { type PlannedSlot, requestKey } from "./plan.js";
import type { CandidateRun, ServerFailure } from "./report.js";

/** A server's answer to one request, or why there is none. */
export type Answer = GateOutput | { failure: string };
/** Called after each slot; returns why the server fails, or null to go on. */
export type Judge = (slot: PlannedSlot, answers: Map<string, Answer>) => ServerFailure | null;

/** The gate's comparison of one request, under the phase it was sent in (before the teacher). */
export function verdictFor(
  arena: Arena,
  phase: Phase,
  id: string,
  reference: GateOutput,
  candidate: Answer,
): RequestVerdict {
  return compareRequest(
    { id, maxTokens: phase.maxTokens, fixedLength: phase.fixedLength, reference, candidate },
    arena.gate,
  );
}

/** Compares a candidate's answers with the reference, slot by slot, as they come. */
export function candidateJudge(arena: Arena, reference: ReadonlyMap<string, Answer>) {
  const verdicts: RequestVerdict[] = [];
  const judge: Judge = (slot, answers) => {
    const slotVerdicts = slot.prompts.map((_, i) => {
      const id = requestKey(slot.key, i);
      const ref = reference.get(id);
      if (!ref || "failure" in ref) throw new Error(`no reference answer for ${id}`);
      return verdictFor(arena, slot.phase, id, ref, answers.get(id) ?? { failure: "no answer" });
    });
    verdicts.push(...slotVerdicts);
    const bad = slotVerdicts.find((v) => v.status === "fail");
    if (bad)
      return {
        stage: slot.key,
        kind: "gate",
        message: `${bad.id} does not match the reference (${bad.reason}): ${bad.message ?? "see the gate details"}`,
      };
    if (slot.kind === "gate") {
      const g = gateVerdict(slotVerdicts, arena.gate);
      if (!g.passed) return { stage: slot.key, kind: "gate", message: g.reasons.join("; ") };
    }
    return null;
  };
  return { verdicts, judge };
}

/** The final verdicts: each forked request judged with the teacher's input for it (by id); one
 *  without input stays forked. */
export function teacherVerdicts(
  arena: Arena,
  verdicts: readonly RequestVerdict[],
  inputs: ReadonlyMap<string, TeacherInput>,
): RequestVerdict[] {
  return verdicts.map((v) => judge(v, inputs.get(v.id), arena.gate));
}

/**
 * The gate section of a candidate's report: the verdict, forced to fail when the run failed.
 * `final`: the teacher has judged every forked request it was going to, so one still forked fails
 * (nothing goes unchecked); false for a run that failed or a teacher pass that did.
 */
export function gateSection(
  verdicts: readonly RequestVerdict[],
  arena: Arena,
  failure: ServerFailure | null,
  final: boolean,
): CandidateRun["gate"] {
  const g: GateResult = gateVerdict(verdicts, arena.gate, { final });
  if (!failure) return { ...g };
  // A gate failure's message already is the decisive reason (the gate pass, or one request); the
  // verdict over everything run so far would repeat it with other numbers.
  const more = failure.kind === "gate" || g.passed ? [] : g.reasons;
  return { ...g, passed: false, reasons: [failure.message, ...more] };
}
