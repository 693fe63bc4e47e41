// settleReport: a pod's EvalReport into the store's settlement by the king's rules, decided by the
// report alone (settling it again decides the same), and cautious when the king changed meanwhile.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ARENA_PRESETS, parseArena } from "../../src/arena/index.js";
import {
  type CandidateRun,
  EVAL_REPORT_SCHEMA,
  type EvalReport,
  EvalReportSchema,
  type ServerFailure,
  type ServerRun,
} from "../../src/eval/report.js";
import { skippedTeacherPass } from "../../src/eval/teacher.js";
import { DEFAULT_GATE_THRESHOLDS } from "../../src/gate/thresholds.js";
import type { RequestVerdict } from "../../src/gate/types.js";
import { gateVerdict } from "../../src/gate/verdict.js";
import type { King } from "../../src/score/king.js";
import { margin, V1_KING_RULES } from "../../src/score/margin.js";
import {
  type CandidateResult,
  candidateName,
  type Job,
  type Submission,
} from "../../src/store/store.js";
import { type SettleInput, settleReport } from "../../src/validator/settle.js";

const R = V1_KING_RULES;
const DAY = 24 * 60 * 60 * 1000;
const FINISHED = "2026-05-01T12:00:00.000Z";
const AT = Date.parse(FINISHED);
const arena = parseArena(ARENA_PRESETS.local, "local");

const image = (id: number) => `localhost/m${id}/engine@sha256:${id.toString(16).padStart(64, "0")}`;

function submission(id: number): Submission {
  return {
    id,
    hotkey: `5Miner${id}`,
    uid: id + 10,
    commitment: image(id),
    image: image(id),
    digest: `sha256:${id.toString(16).padStart(64, "0")}`,
    block: id,
    seenBlock: id,
    seenAtMs: 0,
    status: "evaluating",
    reason: null,
    score: null,
    passed: null,
    jobId: 1,
  };
}

/** The king as the store holds it: submission `id`, crowned `ago` ms before the report ended. */
function king(id: number, score: number, ago = 0): King {
  const s = submission(id);
  return {
    submissionId: String(id),
    hotkey: s.hotkey,
    uid: s.uid as number,
    digest: s.digest as string,
    score,
    crownedAtMs: AT - ago,
  };
}

function job(challengers: number[], kingId: number | null): Job {
  const candidate = (id: number, role: "king" | "challenger") => ({
    submissionId: id,
    name: candidateName(id),
    role,
    image: image(id),
  });
  return {
    id: 7,
    status: "submitted",
    pod: "pod-1",
    podJob: "20260501T110000Z-abcdef",
    seed: "0x01",
    seedBlock: 100,
    kingSubmission: kingId,
    attempts: 1,
    createdAtMs: AT - DAY,
    updatedAtMs: AT - DAY,
    reason: null,
    reportKey: null,
    candidates: [
      ...(kingId === null ? [] : [candidate(kingId, "king")]),
      ...challengers.map((id) => candidate(id, "challenger")),
    ],
  };
}

const verdict = (ok: boolean): RequestVerdict => ({
  id: "gate:0",
  status: ok ? "match" : "fail",
  ...(ok ? {} : { reason: "divergence" as const, failedAt: 3 }),
  referenceTokens: 8,
  comparedTokens: ok ? 8 : 4,
  matchedTokens: ok ? 8 : 3,
  maxLogprobError: 0,
  sumLogprobError: 0,
  offLogprobTokens: 0,
});

function server(name: string, failure: ServerFailure | null): ServerRun {
  return {
    name,
    spec: { kind: "image", image: image(Number(name.slice(1)) || 0), args: [] },
    status: failure ? "failed" : "ok",
    failure,
    timing: { startMs: 1, healthWaitMs: 1, requestsMs: 1, wallMs: 3 },
    slots: [],
    phases: [],
    measured: failure ? null : { ttftMs: 80, tokensPerSec: 120 },
    requests: [],
    outputs: {},
    logs: "",
  };
}

/** A candidate's run: passed with `score`, or failed at `failure` (a gate failure fails the gate). */
function run(id: number, outcome: number | ServerFailure): CandidateRun {
  const failure = typeof outcome === "number" ? null : outcome;
  const gate = gateVerdict([verdict(failure?.kind !== "gate")], DEFAULT_GATE_THRESHOLDS);
  const score = failure ? 0 : (outcome as number);
  return {
    ...server(candidateName(id), failure),
    score,
    ttftImprovement: score,
    tpsImprovement: score,
    gate,
  };
}

const GATE: ServerFailure = { stage: "gate", kind: "gate", message: "1 of 1 requests diverged" };
const HEALTH: ServerFailure = { stage: "health", kind: "health", message: "never healthy" };

function report(candidates: CandidateRun[]): EvalReport {
  return {
    schema: EVAL_REPORT_SCHEMA,
    status: "ok",
    arena,
    seed: "0x01",
    startedAt: "2026-05-01T11:00:00.000Z",
    finishedAt: FINISHED,
    tokenizer: null,
    percentiles: "nearest-rank",
    timing: {
      wallMs: 10,
      startMs: 4,
      healthWaitMs: 4,
      requestsMs: 1,
      teacherMs: 0,
      teacherShare: 0,
      overheadMs: 1,
      overheadShare: 0.1,
    },
    baseline: server("baseline", null),
    candidates,
    teacher: skippedTeacherPass(),
    verdict: { incumbent: null, king: null, margin: 0, events: [] },
  };
}

function input(
  j: Job,
  runs: CandidateRun[],
  kingNow: King | null,
  more: Partial<SettleInput> = {},
): SettleInput {
  return {
    job: j,
    report: report(runs),
    king: kingNow,
    submissions: new Map(j.candidates.map((c) => [c.submissionId, submission(c.submissionId)])),
    rules: R,
    reportKey: "reports/7/report.json",
    logsKeys: new Map(j.candidates.map((c) => [c.name, `reports/7/${c.name}.log`])),
    ...more,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the fixture", () => {
  it("is a valid EvalReport whose gates pass and fail as meant", () => {
    const r = report([run(1, 0.3), run(2, GATE), run(3, HEALTH)]);
    expect(EvalReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(r.candidates.map((c) => c.gate.passed)).toEqual([true, false, true]);
  });
});

describe("settleReport", () => {
  it("crowns a passing challenger above the king's fresh score plus the margin", () => {
    const k = king(1, 0.2);
    const s = settleReport(input(job([2, 3], 1), [run(1, 0.2), run(2, 0.205), run(3, 0.25)], k));
    const threshold = 0.2 + margin(AT, k.crownedAtMs, R);
    expect(threshold).toBeCloseTo(0.21);
    const crowned = { ...king(3, 0.25), crownedAtMs: AT };
    expect(s).toEqual({
      jobId: 7,
      reportKey: "reports/7/report.json",
      reportStatus: "ok",
      atMs: AT,
      results: [1, 2, 3].map((id) => ({
        submissionId: id,
        passed: true,
        score: [0.2, 0.205, 0.25][id - 1],
        ttftMs: 80,
        tokensPerSec: 120,
        failureStage: null,
        failure: null,
        logsKey: `reports/7/s${id}.log`,
      })),
      king: crowned,
      kingEvents: [
        { type: "dethroned", reason: "beaten", king: k, freshScore: 0.2, by: "3" },
        { type: "crowned", king: crowned, threshold },
      ],
      requeue: [],
    });
  });

  it("lets the king defend against challengers within the margin, keeping its crowning time", () => {
    const k = king(1, 0.3, 2 * DAY);
    const s = settleReport(input(job([2, 3], 1), [run(1, 0.22), run(2, 0.225), run(3, GATE)], k));
    const defended = { ...k, score: 0.22 };
    expect(s.king).toEqual(defended);
    expect(s.kingEvents).toEqual([
      {
        type: "defended",
        king: defended,
        previousScore: 0.3,
        margin: margin(AT, k.crownedAtMs, R),
      },
    ]);
    expect(s.results[2]).toEqual({
      submissionId: 3,
      passed: false,
      score: 0,
      ttftMs: null,
      tokensPerSec: null,
      failureStage: "gate",
      failure: "gate: 1 of 1 requests diverged",
      logsKey: "reports/7/s3.log",
    });
    expect(s.requeue).toEqual([]);
  });

  it("dethrones a king that fails its fresh run; the best passing challenger takes the crown", () => {
    const k = king(1, 0.3);
    const s = settleReport(
      input(job([2, 3, 4], 1), [run(1, HEALTH), run(2, 0.1), run(3, 0.1), run(4, GATE)], k),
    );
    expect(s.results[0]).toMatchObject({
      passed: false,
      score: 0,
      failureStage: "health",
      failure: "health: never healthy",
    });
    // Equal scores: the earlier in commit order is crowned.
    const crowned = { ...king(2, 0.1), crownedAtMs: AT };
    expect(s.kingEvents).toEqual([
      { type: "dethroned", reason: "failed", king: k },
      { type: "crowned", king: crowned, threshold: 0 },
    ]);
    expect(s.king).toEqual(crowned);
    // Nobody passing: no king.
    const none = settleReport(input(job([4], 1), [run(1, GATE), run(4, GATE)], k));
    expect(none.king).toBeNull();
    expect(none.kingEvents).toEqual([{ type: "dethroned", reason: "failed", king: k }]);
  });

  it("fails a candidate missing from the report at stage report, the king included", () => {
    const k = king(1, 0.3);
    const s = settleReport(input(job([2, 3], 1), [run(3, 0.05)], k, { logsKeys: new Map() }));
    const missing = (id: number) => ({
      submissionId: id,
      passed: false,
      score: 0,
      ttftMs: null,
      tokensPerSec: null,
      failureStage: "report",
      failure: `s${id} is missing from the pod's report`,
      logsKey: null,
    });
    expect(s.results.slice(0, 2)).toEqual([missing(1), missing(2)]);
    expect(s.results[2]).toMatchObject({ submissionId: 3, passed: true, score: 0.05 });
    expect(s.kingEvents.map((e) => e.type)).toEqual(["dethroned", "crowned"]);
    expect(s.king?.submissionId).toBe("3");
  });

  it("settles at the report's end, not the clock's: settling again decides the same", () => {
    // Crowned as the report ended: the margin is the whole m0, so 0.205 does not beat 0.2 + 0.01
    // (ten days later the margin would be 0 and it would).
    const k = king(1, 0.2);
    const i = input(job([2], 1), [run(1, 0.2), run(2, 0.205)], k);
    vi.useFakeTimers();
    vi.setSystemTime(AT + 10 * DAY);
    const first = settleReport(i);
    vi.setSystemTime(AT + 30 * DAY);
    expect(settleReport(i)).toEqual(first);
    expect(first.atMs).toBe(AT);
    expect(first.kingEvents).toEqual([
      { type: "defended", king: { ...k, score: 0.2 }, previousScore: 0.2, margin: R.marginM0 },
    ]);
  });

  it("with another king than the one measured: no king events, failures final, passes requeued", () => {
    const now = king(9, 0.5);
    const runs = [run(1, 0.3), run(2, 0.6), run(3, GATE), run(4, 0.01)];
    for (const [j, kingNow] of [
      [job([2, 3, 4], 1), now],
      [job([2, 3, 4], 1), null],
      [job([2, 3, 4], null), now],
    ] as const) {
      const s = settleReport(input(j, j.kingSubmission === null ? runs.slice(1) : runs, kingNow));
      expect(s.king).toEqual(kingNow);
      expect(s.kingEvents).toEqual([]);
      expect(s.requeue).toEqual([2, 4]);
      expect(s.results.find((r) => r.submissionId === 3)).toMatchObject({
        passed: false,
        failure: "gate: 1 of 1 requests diverged",
      });
      expect(s.atMs).toBe(AT);
    }
    // The measured king's own run is recorded, but it changes nothing.
    const s = settleReport(input(job([2], 1), [run(1, HEALTH), run(2, 0.6)], now));
    expect(s.results[0]).toMatchObject({ submissionId: 1, passed: false });
    expect(s.king).toEqual(now);
  });

  it("refuses a job whose challenger it does not know", () => {
    const j = job([2], null);
    expect(() => settleReport(input(j, [run(2, 0.1)], null, { submissions: new Map() }))).toThrow(
      "job 7: submission 2 is unknown",
    );
  });

  it("keeps the king or crowns a passing challenger, and requeues only when the king changed (property)", () => {
    const outcome = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(GATE, HEALTH, "missing" as const),
    );
    fc.assert(
      fc.property(
        fc.array(outcome, { minLength: 1, maxLength: 5 }),
        outcome,
        fc.constantFrom("same", "other", "none"),
        fc.integer({ min: 0, max: 10 * DAY }),
        (challengers, kingRun, kingNow, ago) => {
          const ids = challengers.map((_, i) => i + 2);
          const outcomes = [kingRun, ...challengers];
          const runs = outcomes
            .map((o, i) => (o === "missing" ? null : run(i + 1, o)))
            .filter((r): r is CandidateRun => r !== null);
          const measured = king(1, 0.3, ago);
          const now = kingNow === "same" ? measured : kingNow === "other" ? king(99, 0.4) : null;
          const s = settleReport(input(job(ids, 1), runs, now));
          expect(s.results.map((r) => r.submissionId)).toEqual([1, ...ids]);
          s.results.forEach((r, i) => {
            const o = outcomes[i];
            expect(r.passed).toBe(typeof o === "number");
            expect(r.score).toBe(typeof o === "number" ? o : 0);
            expect(r.failureStage).toBe(
              typeof o === "object" ? o.stage : o === "missing" ? "report" : null,
            );
          });
          const passing = s.results.filter((r) => r.passed && r.submissionId !== 1);
          if (kingNow !== "same") {
            expect(s.king).toEqual(now);
            expect(s.kingEvents).toEqual([]);
            expect(s.requeue).toEqual(passing.map((r) => r.submissionId));
            return;
          }
          expect(s.requeue).toEqual([]);
          const after = s.king;
          const fresh = s.results[0] as CandidateResult;
          const threshold = fresh.passed ? fresh.score + margin(AT, measured.crownedAtMs, R) : 0;
          const beating = passing.filter((r) => r.score > threshold);
          if (after === null) {
            expect(fresh.passed).toBe(false);
            expect(beating).toEqual([]);
          } else if (after.submissionId === "1") {
            expect(s.kingEvents.map((e) => e.type)).toEqual(["defended"]);
            expect(after.score).toBe(fresh.score);
            expect(beating).toEqual([]);
          } else {
            expect(beating).not.toEqual([]);
            const best = Math.max(...passing.map((r) => r.score));
            expect(passing.find((r) => String(r.submissionId) === after.submissionId)?.score).toBe(
              best,
            );
            expect(after.crownedAtMs).toBe(AT);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
