// Inputs for every dashboard page, with each string a miner (or a broken pod, or a tampered report)
// could put there taken from `t(field, ordinary)`: the ordinary value for byte-for-byte checks, a
// hostile one for the escaping checks. Timestamps are the server's own ISO strings and stay
// ordinary (they are sliced and parsed, not shown as given); enums are strings on the wire and get
// hostile values too. Every branch that shows a string is taken: a king, a failed weight attempt,
// passing and failing submissions, both kinds of history event, a report with a failed baseline
// run, a passed and a failed candidate, a divergence with missing tokens on either side, the
// teacher's evidence after a fork (passed, and failed at a token with the candidate's stop).

import type { TokenVerdict } from "../../src/gate/types.js";
import type { HistoryEntryView, StateView, SubmissionView } from "../../src/web/api.js";
import type {
  CandidateView,
  EvalView,
  PromptVerdictView,
  ServerView,
} from "../../src/web/eval-view.js";

export type Text = (field: string, ordinary: string) => string;

export const ordinary: Text = (_field, value) => value;

export interface PageInputs {
  arena: string;
  state: StateView;
  subs: { total: number; submissions: SubmissionView[] };
  history: HistoryEntryView[];
  evals: { id: number; status: string }[];
  evalView: EvalView;
  /** The same eval before its report: the problem is shown instead. */
  pendingEval: EvalView;
  errorMessage: string;
}

const T0 = Date.UTC(2025, 4, 1, 12);
const iso = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();
const HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
const IMAGE = `ghcr.io/alice/fast@sha256:${"ab".repeat(32)}`;

export function pageInputs(t: Text): PageInputs {
  const arena = t("arena", "v1");
  const state: StateView = {
    arena,
    now: iso(48),
    king: {
      submissionId: 3,
      hotkey: t("king.hotkey", HOTKEY),
      uid: 7,
      digest: t("king.digest", `sha256:${"ab".repeat(32)}`),
      image: t("king.image", IMAGE),
      score: 0.3125,
      crownedAt: iso(2),
      marginNow: 0.0412,
      marginZeroAt: iso(24 * 8),
    },
    rules: { marginM0: 0.05, decayMs: 7 * 86_400_000, burnUid: 0 },
    queue: {
      depth: 2,
      next: [
        { id: 5, hotkey: t("queue.hotkey", HOTKEY), uid: 9, block: 120 },
        { id: 6, hotkey: t("queue.hotkey2", "5Short"), uid: null, block: 121 },
      ],
    },
    evaluating: [{ evalId: 4, status: t("evaluating.status", "submitted"), candidates: [5, 3] }],
    weights: {
      lastSet: {
        slot: 11,
        block: 110,
        uids: [7, 0],
        weights: [0.9, 0.1],
        committed: { block: 101, revealRound: 25_000_000 },
      },
      lastAttempt: {
        slot: 12,
        status: t("weights.status", "failed"),
        attempts: 3,
        error: t("weights.error", "extrinsic rejected: Priority is too low"),
      },
      lastCommit: {
        slot: 12,
        status: "expired",
        commitBlock: 121,
        revealRound: 25_000_300,
        revealEpoch: 7,
        firstRevealBlock: 140,
        revealBlock: null,
      },
    },
    lastScanBlock: 130,
    pods: [
      {
        name: t("pod.name", "cacheon-5GrwvaEF-1"),
        state: t("pod.state", "ready"),
        provider: t("pod.provider", "shadeform"),
        instanceType: t("pod.instanceType", "H200x4"),
        hourlyPriceUsd: 15.96,
        spentTodayUsd: 7.98,
        idleSeconds: 125,
        rentedAt: iso(47.5),
      },
    ],
  };
  const submission = (
    id: number,
    o: Partial<SubmissionView> & Pick<SubmissionView, "status">,
  ): SubmissionView => ({
    id,
    hotkey: t(`sub${id}.hotkey`, HOTKEY),
    uid: 7,
    // An image given in `o` (null) is not asked for: the field would be recorded but never shown.
    image: "image" in o ? null : t(`sub${id}.image`, IMAGE),
    digest: t(`sub${id}.digest`, `sha256:${"cd".repeat(32)}`),
    block: 100 + id,
    seenAt: iso(id),
    reason: null,
    king: false,
    result: null,
    ...o,
  });
  const subs = {
    total: 4,
    submissions: [
      submission(3, {
        status: t("sub3.status", "evaluated") as SubmissionView["status"],
        king: true,
        result: {
          evalId: 2,
          passed: true,
          score: 0.3125,
          ttftMs: 41.25,
          tokensPerSec: 1234.5,
          failure: null,
        },
      }),
      submission(2, {
        status: t("sub2.status", "evaluated") as SubmissionView["status"],
        reason: t("sub2.reason", "ignored"),
        result: {
          evalId: 1,
          passed: false,
          score: 0,
          ttftMs: null,
          tokensPerSec: null,
          failure: t("sub2.failure", "gate: divergence at token 12 of gate:3"),
        },
      }),
      submission(1, {
        status: t("sub1.status", "invalid") as SubmissionView["status"],
        uid: null,
        image: null,
        reason: t("sub1.reason", "commitment is not an image reference: 'hello <world>'"),
      }),
    ],
  };
  const history: HistoryEntryView[] = [
    {
      at: iso(1),
      type: t("history.crowned", "crowned"),
      submissionId: 1,
      hotkey: t("history.hotkey1", HOTKEY),
      uid: 4,
      score: 0.2,
      evalId: null,
    },
    {
      at: iso(2),
      type: t("history.dethroned", "dethroned"),
      submissionId: 1,
      hotkey: t("history.hotkey2", HOTKEY),
      uid: 4,
      score: 0.2,
      evalId: 2,
    },
    {
      at: iso(2),
      type: t("history.crowned2", "crowned"),
      submissionId: 3,
      hotkey: t("history.hotkey3", HOTKEY),
      uid: 7,
      score: 0.3125,
      evalId: 2,
    },
  ];
  const evals = [
    { id: 4, status: t("evals.status4", "submitted") },
    { id: 2, status: t("evals.status2", "settled") },
  ];

  const server = (name: string, role: ServerView["role"], image: string | null): ServerView => ({
    name: t(`${name}.name`, name),
    role: t(`${name}.role`, role) as ServerView["role"],
    submissionId: role === "baseline" ? null : 3,
    image: image === null ? null : t(`${name}.image`, image),
    status: t(`${name}.status`, "ok") as ServerView["status"],
    failure: null,
    ttftMs: 52.5,
    tokensPerSec: 1000,
    ttftSamplesMs: [50, 51, 52.5, 55, 60],
    throughputTrials: [990, 1000, 1010],
    wallMs: 60_000,
  });
  const baseline: ServerView = {
    ...server("baseline", "baseline", "vllm/vllm-openai:v0.9.1"),
    failure: {
      stage: t("baseline.failure.stage", "latency.2"),
      kind: t("baseline.failure.kind", "request_failed"),
      message: t("baseline.failure.message", "HTTP 502 from http://[redacted]/v1/completions"),
    },
  };
  /** The teacher's evidence of prompt `id` after a fork at token 12: tokens 12–16, the request
   *  failing at `failedAt` (null: passed), stopped after token 16 when `stopped`. */
  const teacher = (
    id: string,
    failedAt: number | null,
    stopped: boolean,
  ): NonNullable<PromptVerdictView["teacher"]> => ({
    fork: {
      position: 12,
      judgedBy: t(`teacher.${id}.judgedBy`, "teacher") as "teacher",
      candidateTokens: 17,
      stopped,
      ignoreEos: false,
    },
    scored: 5,
    failedAt,
    tokens: [" a", " bright", "\n", " day", "."].map((token, i) => ({
      position: 12 + i,
      token: t(`prompt.${id}.teacher.token${i}`, token),
      logprob: -0.25 - i,
      rank: failedAt === 12 + i ? 11 : 1,
      top1: -0.2,
      claimed: -0.251 - i,
      verdict: t(
        `prompt.${id}.teacher.verdict${i}`,
        failedAt === 12 + i ? "rank" : "fine",
      ) as TokenVerdict,
    })),
    stop: stopped
      ? {
          id: 151645,
          token: t(`teacher.${id}.stop`, "<|im_end|>"),
          logprob: -0.5,
          rank: 2,
          top1: -0.4,
          eos: -0.5,
        }
      : null,
  });
  const prompt = (
    id: string,
    status: PromptVerdictView["status"],
    divergence: PromptVerdictView["divergence"] = null,
    teacherEvidence: PromptVerdictView["teacher"] = null,
  ): PromptVerdictView => ({
    id: t(`prompt.${id}.id`, id),
    status: t(`prompt.${id}.status`, status) as PromptVerdictView["status"],
    reason: status === "match" ? null : t(`prompt.${id}.reason`, "divergence"),
    message: status === "fail" ? t(`prompt.${id}.message`, "token 12: ' the' vs ' a'") : null,
    referenceTokens: 32,
    comparedTokens: 13,
    matchedTokens: status === "match" ? 32 : 12,
    maxLogprobError: 0.0123,
    divergence,
    teacher: teacherEvidence,
  });
  const tok = (field: string, token: string) => t(`token.${field}`, token);
  const divergence: NonNullable<PromptVerdictView["divergence"]> = {
    position: 12,
    reference: { token: tok("reference", " the"), logprob: -0.105 },
    candidate: { token: tok("candidate", " a"), logprob: -2.5 },
    referenceTop: [
      { token: tok("top1", " the"), logprob: -0.105 },
      { token: tok("top2", "\n"), logprob: -2.3 },
    ],
    gap: 2.395,
    tieGap: 0.5,
    context: t("divergence.context", "Once upon a time"),
    tokens: [
      { position: 10, reference: tok("r10", "Once"), candidate: tok("c10", "Once") },
      { position: 11, reference: tok("r11", " upon"), candidate: tok("c11", " upon") },
      { position: 12, reference: tok("r12", " the"), candidate: tok("c12", " a") },
      { position: 13, reference: tok("r13", "\t"), candidate: null },
      { position: 14, reference: null, candidate: tok("c14", '"') },
    ],
  };
  const candidate = (
    name: string,
    role: CandidateView["role"],
    passed: boolean,
    prompts: PromptVerdictView[],
  ): CandidateView => ({
    ...server(name, role, IMAGE),
    failure: passed
      ? null
      : {
          stage: t(`${name}.failure.stage`, "gate"),
          kind: t(`${name}.failure.kind`, "gate"),
          message: t(`${name}.failure.message`, "the gate failed"),
        },
    score: passed ? 0.3125 : 0,
    ttftImprovement: 0.21,
    tpsImprovement: 0.415,
    gate: {
      passed,
      reasons: passed ? [] : [t(`${name}.reason1`, "divergence"), t(`${name}.reason2`, "x")],
      matchedFraction: 0.97,
      meanLogprobError: 0.004,
      maxLogprobError: 0.0123,
      toleratedDivergences: 1,
      teacher: {
        candidate: { tokens: 240, notFine: 2, notFineShare: 2 / 240, nllExcess: 0.0123 },
        control: { tokens: 250, notFine: 3, notFineShare: 3 / 250, nllExcess: 0.0101 },
        judged: true,
      },
      prompts,
    },
  });
  const report: NonNullable<EvalView["report"]> = {
    status: t("report.status", "ok") as NonNullable<EvalView["report"]>["status"],
    arena: t("report.arena", "v1"),
    seed: t("report.seed", `0x${"12".repeat(32)}`),
    startedAt: iso(1),
    finishedAt: iso(2),
    ttftPhase: t("report.ttftPhase", "latency"),
    tpsPhase: t("report.tpsPhase", "throughput"),
    baseline,
    candidates: [
      candidate("cand-1", "king", true, [
        prompt("gate:0", "match"),
        prompt("gate:1", "tolerated", divergence, teacher("gate:1", null, false)),
      ]),
      candidate("cand-2", "challenger", false, [
        prompt("gate:2", "match"),
        prompt(
          "gate:3",
          "fail",
          { ...divergence, reference: null, gap: null },
          teacher("gate:3", 14, true),
        ),
        prompt("gate:4", "fail", { ...divergence, candidate: null, referenceTop: [] }),
      ]),
    ],
    verdict: {
      incumbent: t("verdict.incumbent", "cand-1"),
      king: t("verdict.king", "cand-1"),
      margin: 0.05,
      events: [t("verdict.event1", "cand-1 keeps the crown"), t("verdict.event2", "cand-2: FAIL")],
    },
  };
  const evalView: EvalView = {
    id: 2,
    status: t("eval.status", "settled") as EvalView["status"],
    seed: t("eval.seed", `0x${"12".repeat(32)}`),
    seedBlock: 99,
    attempts: 1,
    createdAtMs: T0,
    updatedAtMs: T0 + 3_600_000,
    reason: t("eval.reason", "pod ran out of memory"),
    candidates: [
      {
        submissionId: 3,
        name: t("eval.cand1.name", "cand-1"),
        role: t("eval.cand1.role", "king") as "king",
        image: t("eval.cand1.image", IMAGE),
      },
      {
        submissionId: 5,
        name: t("eval.cand2.name", "cand-2"),
        role: t("eval.cand2.role", "challenger") as "challenger",
        image: t("eval.cand2.image", IMAGE),
      },
    ],
    reportUrl: t("eval.reportUrl", "/api/evals/2/report"),
    report,
    reportProblem: null,
  };
  const pendingEval: EvalView = {
    ...evalView,
    report: null,
    reportUrl: null,
    reportProblem: t("eval.reportProblem", "the report could not be read: unexpected end of JSON"),
  };
  return {
    arena,
    state,
    subs,
    history,
    evals,
    evalView,
    pendingEval,
    errorMessage: t("error.message", "no eval 99"),
  };
}
