// What the API and the dashboard show of one eval job: the store's record of it (who ran, with what
// result) and, from its EvalReport, each server's TTFT samples and throughput trials against the
// baseline's, and the gate's result per prompt with the first divergence token by token and, after
// it, the teacher's evidence token by token. Pure: the report is read by the caller.
import type { EvalReport, ServerRun } from "../eval/report.js";
import type {
  Divergence,
  Fork,
  GateStatus,
  RequestVerdict,
  StockComparison,
  TeacherScore,
  TokenVerdict,
} from "../gate/types.js";
import type { Job } from "../store/store.js";

/** Tokens shown before and after a divergence. */
const BEFORE = 8;
const AFTER = 4;

export interface TokenCell {
  position: number;
  reference: string | null;
  candidate: string | null;
}

/** The gate's divergence, with both answers around it position by position. */
export interface DivergenceView extends Divergence {
  tokens: TokenCell[];
}

/** One candidate token after the fork, as the teacher scored it. */
export interface TeacherTokenCell {
  position: number;
  /** The candidate's token. */
  token: string;
  /** The teacher's logprob of it, its rank (1: the teacher's top-1) and the top-1's logprob. */
  logprob: number;
  rank: number;
  top1: number;
  /** The candidate's own logprob for it. */
  claimed: number;
  verdict: TokenVerdict;
}

/** The teacher's evidence on a forked request: a window of its scored tokens, around the failing
 *  one when a token failed the request, else from the fork on. */
export interface TeacherEvidenceView {
  fork: Fork;
  /** Tokens the teacher scored (the window shows some of them). */
  scored: number;
  /** Where the request failed, when it did after the fork (a token, or the stop). */
  failedAt: number | null;
  tokens: TeacherTokenCell[];
  /** The end of sequence where the candidate stopped, as the teacher scored it. */
  stop: TeacherScore | null;
}

export interface PromptVerdictView {
  id: string;
  status: GateStatus;
  reason: string | null;
  message: string | null;
  referenceTokens: number;
  comparedTokens: number;
  matchedTokens: number;
  maxLogprobError: number;
  divergence: DivergenceView | null;
  teacher: TeacherEvidenceView | null;
}

export interface ServerView {
  name: string;
  role: "baseline" | "challenger" | "king";
  submissionId: number | null;
  image: string | null;
  status: "ok" | "failed";
  failure: { stage: string; kind: string; message: string } | null;
  ttftMs: number | null;
  tokensPerSec: number | null;
  /** TTFT of every successful request of the TTFT phase, all trials, in run order. */
  ttftSamplesMs: number[];
  /** Throughput of each trial of the throughput phase. */
  throughputTrials: number[];
  wallMs: number;
}

export interface CandidateView extends ServerView {
  score: number;
  ttftImprovement: number;
  tpsImprovement: number;
  gate: {
    passed: boolean;
    reasons: string[];
    matchedFraction: number;
    meanLogprobError: number;
    maxLogprobError: number;
    toleratedDivergences: number;
    /** The teacher-scored tokens' aggregates, the candidate's against the stock control's. */
    teacher: StockComparison;
    prompts: PromptVerdictView[];
  };
}

export interface ReportView {
  status: EvalReport["status"];
  arena: string;
  seed: string;
  startedAt: string;
  finishedAt: string;
  ttftPhase: string;
  tpsPhase: string;
  baseline: ServerView;
  candidates: CandidateView[];
  verdict: EvalReport["verdict"];
}

export interface EvalView {
  id: number;
  status: Job["status"];
  seed: string;
  seedBlock: number;
  attempts: number;
  createdAtMs: number;
  updatedAtMs: number;
  reason: string | null;
  candidates: { submissionId: number; name: string; role: "challenger" | "king"; image: string }[];
  /** Where the full EvalReport is served (null: none yet). */
  reportUrl: string | null;
  /** null: no report yet, or it could not be read (see `reportProblem`). */
  report: ReportView | null;
  reportProblem: string | null;
}

function serverView(
  run: ServerRun,
  role: ServerView["role"],
  job: Job,
  phases: { ttft: string; tps: string },
): ServerView {
  const c = job.candidates.find((x) => x.name === run.name);
  return {
    name: run.name,
    role,
    submissionId: c?.submissionId ?? null,
    image: c?.image ?? (run.spec.kind === "image" ? run.spec.image : null),
    status: run.status,
    failure: run.failure,
    ttftMs: run.measured?.ttftMs ?? null,
    tokensPerSec: run.measured?.tokensPerSec ?? null,
    ttftSamplesMs: run.requests.flatMap((r) =>
      r.phase === phases.ttft && r.status === "ok" && r.ttftMs !== null ? [r.ttftMs] : [],
    ),
    throughputTrials: run.phases.flatMap((p) => (p.phase === phases.tps ? [p.tokensPerSec] : [])),
    wallMs: run.timing.wallMs,
  };
}

/** Both answers around `position`: the reference's tokens and the candidate's, side by side. */
export function tokenWindow(
  reference: readonly string[] | null,
  candidate: readonly string[] | null,
  position: number,
): TokenCell[] {
  const cells: TokenCell[] = [];
  for (let i = Math.max(0, position - BEFORE); i < position + AFTER; i++) {
    const r = reference?.[i] ?? null;
    const c = candidate?.[i] ?? null;
    if (r === null && c === null) break;
    cells.push({ position: i, reference: r, candidate: c });
  }
  return cells;
}

/** The teacher's evidence of a forked request, windowed (null when the teacher did not judge it). */
export function teacherView(v: RequestVerdict): TeacherEvidenceView | null {
  const e = v.teacher;
  const fork = v.fork;
  if (!e || !fork) return null;
  const end = fork.position + e.tokens.length;
  const failedAt =
    v.status === "fail" && v.failedAt !== undefined && v.failedAt >= fork.position
      ? v.failedAt
      : null;
  const from = failedAt === null ? fork.position : Math.max(fork.position, failedAt - BEFORE);
  const to = Math.min(end, (failedAt ?? fork.position + BEFORE) + AFTER);
  const tokens: TeacherTokenCell[] = [];
  for (let p = from; p < to; p++) {
    const s = e.tokens[p - fork.position];
    if (!s) break;
    tokens.push({
      position: p,
      token: s.token,
      logprob: s.logprob,
      rank: s.rank,
      top1: s.top1,
      claimed: s.claimed,
      verdict: s.verdict,
    });
  }
  return { fork, scored: e.tokens.length, failedAt, tokens, stop: e.stop };
}

export function reportView(report: EvalReport, job: Job): ReportView {
  const phases = { ttft: report.arena.workload.ttftPhase, tps: report.arena.workload.tpsPhase };
  const reference = report.baseline.outputs;
  return {
    status: report.status,
    arena: report.arena.name,
    seed: report.seed,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    ttftPhase: phases.ttft,
    tpsPhase: phases.tps,
    baseline: serverView(report.baseline, "baseline", job, phases),
    candidates: report.candidates.map((c) => {
      const role = job.candidates.find((x) => x.name === c.name)?.role ?? "challenger";
      return {
        ...serverView(c, role, job, phases),
        score: c.score,
        ttftImprovement: c.ttftImprovement,
        tpsImprovement: c.tpsImprovement,
        gate: {
          passed: c.gate.passed,
          reasons: c.gate.reasons,
          matchedFraction: c.gate.matchedFraction,
          meanLogprobError: c.gate.meanLogprobError,
          maxLogprobError: c.gate.maxLogprobError,
          toleratedDivergences: c.gate.toleratedDivergences,
          teacher: c.gate.teacher,
          prompts: c.gate.verdicts.map((v) => ({
            id: v.id,
            status: v.status,
            reason: v.reason ?? null,
            message: v.message ?? null,
            referenceTokens: v.referenceTokens,
            comparedTokens: v.comparedTokens,
            matchedTokens: v.matchedTokens,
            maxLogprobError: v.maxLogprobError,
            divergence: v.divergence
              ? {
                  ...v.divergence,
                  tokens: tokenWindow(
                    reference[v.id]?.tokens ?? null,
                    c.outputs[v.id]?.tokens ?? null,
                    v.divergence.position,
                  ),
                }
              : null,
            teacher: teacherView(v),
          })),
        },
      };
    }),
    verdict: report.verdict,
  };
}
