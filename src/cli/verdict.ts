// The verdict of an eval session as a table and a few lines a person reads: each candidate's
// numbers against the baseline, its gate result and score, what the teacher judged, who would be
// king, and why each failure happened.
import type { EvalReport } from "../eval/report.js";
import { formatTable } from "../table.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number | null | undefined) => (x == null ? "-" : x.toFixed(1));
const tps = (x: number | null | undefined) => (x == null ? "-" : x.toFixed(0));

/** What the teacher pass did, and its share of the session's time. */
function teacherLine(report: EvalReport): string {
  const t = report.teacher;
  if (t.status === "skipped")
    return "Teacher: no request forked from the reference, so none was started.";
  const time = `${(t.timing.wallMs / 1000).toFixed(1)} s, ${pct(report.timing.teacherShare)} of the session`;
  return t.status === "ok"
    ? `Teacher: ${t.requests} forked requests and their stock controls scored (${t.scoredTokens} tokens in ${t.sequences} sequences; ${time}).`
    : `Teacher: FAILED (${time}): ${t.failure?.message ?? "no reason"}`;
}

export function formatVerdict(report: EvalReport): string {
  const b = report.baseline;
  const rows: string[][] = [
    ["server", "TTFT p50 ms", "tok/s", "TTFT gain", "tok/s gain", "gate", "score"],
    [
      b.name === "baseline" ? b.name : `${b.name} (baseline)`,
      ms(b.measured?.ttftMs),
      tps(b.measured?.tokensPerSec),
      "",
      "",
      "",
      "",
    ],
  ];
  for (const c of report.candidates) {
    const notRun = c.failure?.kind === "not_run";
    rows.push([
      c.name + (c.name === report.verdict.incumbent ? " (king)" : ""),
      ms(c.measured?.ttftMs),
      tps(c.measured?.tokensPerSec),
      c.measured ? pct(c.ttftImprovement) : "-",
      c.measured ? pct(c.tpsImprovement) : "-",
      notRun ? "not run" : c.gate.passed ? "pass" : "FAIL",
      c.score.toFixed(4),
    ]);
  }
  const out: string[] = [
    `TTFT: median over trials of phase ${report.arena.workload.ttftPhase}; tok/s: phase ${report.arena.workload.tpsPhase}; seed ${report.seed}`,
    formatTable(rows, 1),
    "",
    "score = 0.5*max(0,(b_ttft-m_ttft)/b_ttft) + 0.5*max(0,(m_tps-b_tps)/b_tps), 0 if the gate fails",
  ];
  out.push(teacherLine(report));
  for (const c of report.candidates) {
    const t = c.gate.teacher;
    const forked = c.gate.toleratedDivergences;
    if (forked > 0)
      out.push(
        `${c.name}: ${forked} requests forked from the reference; the teacher passed ${c.gate.counts.tolerated}` +
          (t.candidate.tokens > 0
            ? `; ${pct(t.candidate.notFineShare)} of its ${t.candidate.tokens} scored tokens outside the tie gap (stock control: ${pct(t.control.notFineShare)} of ${t.control.tokens})`
            : ""),
      );
  }
  if (report.status === "cancelled") out.push("The session was cancelled: this is no verdict.");
  else if (report.status === "teacher_failed")
    out.push(
      "The teacher pass failed, so forked requests have no verdict: this is no verdict (not a candidate's fault; run the session again).",
    );
  else if (b.failure) out.push(`The baseline failed at ${b.failure.stage}: ${b.failure.message}`);
  for (const c of report.candidates)
    if (c.failure && c.failure.kind !== "not_run")
      out.push(`${c.name} failed at ${c.failure.stage}: ${c.failure.message}`);
  out.push(...report.verdict.events);
  out.push(
    report.verdict.king
      ? `King after this session: ${report.verdict.king}`
      : "King after this session: none",
  );
  return out.join("\n");
}
