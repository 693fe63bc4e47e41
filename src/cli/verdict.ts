// The verdict of an eval session as a table and a few lines a person reads: each candidate's
// numbers against the baseline, its gate result and score, who would be king, and why each failure
// happened.
import type { EvalReport } from "../eval/report.js";
import { formatTable } from "../table.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number | null | undefined) => (x == null ? "-" : x.toFixed(1));
const tps = (x: number | null | undefined) => (x == null ? "-" : x.toFixed(0));

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
  if (report.status === "cancelled") out.push("The session was cancelled: this is no verdict.");
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
