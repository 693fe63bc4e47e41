// From a pod's EvalReport to the store's settlement (pure): each candidate's result, and the king
// after the session by score/king's rules. The time of the session is the report's own end, so
// settling the same report again after a crash decides exactly the same.
import type { EvalReport } from "../eval/report.js";
import type { King } from "../score/king.js";
import { settleSession } from "../score/king.js";
import type { KingRules } from "../score/margin.js";
import type { CandidateResult, Job, Settlement, Submission } from "../store/store.js";

export interface SettleInput {
  job: Job;
  report: EvalReport;
  /** The king now (it may have changed since the job was dispatched, on another pod). */
  king: King | null;
  submissions: ReadonlyMap<number, Submission>;
  rules: KingRules;
  reportKey: string;
  logsKeys: ReadonlyMap<string, string>;
}

export function settleReport(i: SettleInput): Settlement {
  const atMs = Date.parse(i.report.finishedAt);
  const results: CandidateResult[] = i.job.candidates.map((c) => {
    const run = i.report.candidates.find((r) => r.name === c.name);
    if (!run)
      return {
        submissionId: c.submissionId,
        passed: false,
        score: 0,
        ttftMs: null,
        tokensPerSec: null,
        failureStage: "report",
        failure: `${c.name} is missing from the pod's report`,
        logsKey: null,
      };
    const passed = run.status === "ok" && run.gate.passed;
    return {
      submissionId: c.submissionId,
      passed,
      score: passed ? run.score : 0,
      ttftMs: run.measured?.ttftMs ?? null,
      tokensPerSec: run.measured?.tokensPerSec ?? null,
      failureStage: run.failure?.stage ?? null,
      failure: run.failure ? `${run.failure.stage}: ${run.failure.message}` : null,
      logsKey: i.logsKeys.get(c.name) ?? null,
    };
  });
  const resultOf = (id: number) => results.find((r) => r.submissionId === id) as CandidateResult;
  const challengers = i.job.candidates
    .filter((c) => c.role === "challenger")
    .map((c) => {
      const s = i.submissions.get(c.submissionId);
      if (!s?.digest) throw new Error(`job ${i.job.id}: submission ${c.submissionId} is unknown`);
      const r = resultOf(c.submissionId);
      return {
        submissionId: String(c.submissionId),
        hotkey: s.hotkey,
        uid: s.uid ?? 0,
        digest: s.digest,
        passed: r.passed,
        score: r.score,
      };
    });
  const base = {
    jobId: i.job.id,
    reportKey: i.reportKey,
    reportStatus: i.report.status,
    results,
    atMs,
  };
  const measuredKing = i.job.kingSubmission;
  const kingNow = i.king === null ? null : Number(i.king.submissionId);
  if (measuredKing !== kingNow) {
    // The session compared the challengers with a king that is not king any more: a failure is
    // final, a pass must be compared with the king of now, in a session of its own.
    return {
      ...base,
      king: i.king,
      kingEvents: [],
      requeue: challengers.filter((c) => c.passed).map((c) => Number(c.submissionId)),
    };
  }
  const fresh = measuredKing === null ? null : resultOf(measuredKing);
  const t = settleSession(
    i.king,
    {
      king: fresh && {
        submissionId: String(measuredKing),
        passed: fresh.passed,
        score: fresh.score,
      },
      challengers,
    },
    atMs,
    i.rules,
  );
  return { ...base, king: t.king, kingEvents: t.events, requeue: [] };
}
