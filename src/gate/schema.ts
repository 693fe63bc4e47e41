// zod schemas of the gate's thresholds (the arena config's `gate` block) and results (read back
// from an EvalReport: replays, rescore, the web API). They mirror types.ts; the assignments at the
// end fail to compile if the two drift apart.
import { z } from "zod";
import { DEFAULT_GATE_THRESHOLDS as D } from "./thresholds.js";
import {
  GATE_FAIL_REASONS,
  type GateMargins,
  type GateResult,
  type GateThresholds,
  type RequestVerdict,
  type TeacherEvidence,
  type TeacherInput,
  TOKEN_VERDICTS,
} from "./types.js";

const ShownTokenSchema = z.object({ token: z.string(), logprob: z.number() });

const DivergenceSchema = z.object({
  position: z.number().int().min(0),
  reference: ShownTokenSchema.nullable(),
  candidate: ShownTokenSchema.nullable(),
  referenceTop: z.array(ShownTokenSchema),
  gap: z.number().nullable(),
  tieGap: z.number(),
  context: z.string(),
});

const LogprobErrorDetailSchema = z.object({
  position: z.number().int().min(0),
  token: z.string(),
  kind: z.enum(["chosen", "top", "missing_in_candidate", "missing_in_reference", "teacher"]),
  referenceLogprob: z.number(),
  candidateLogprob: z.number(),
  error: z.number().min(0),
});

export const GateFailReasonSchema = z.enum(GATE_FAIL_REASONS);

const count = z.number().int().min(0);

const ForkSchema = z.object({
  position: count,
  judgedBy: z.enum(["reference", "teacher"]),
  candidateTokens: count,
  stopped: z.boolean(),
  ignoreEos: z.boolean(),
});

/** One teacher score; logprobs as vLLM prints them (it clamps −inf to −9999). */
export const TeacherScoreSchema = z.object({
  id: count,
  token: z.string(),
  logprob: z.number(),
  rank: z.number().int().min(1),
  top1: z.number(),
  eos: z.number().nullable(),
});

const ScoredInputSchema = TeacherScoreSchema.extend({ claimed: z.number() });

/** What the teacher pass hands `judge` for one request. */
export const TeacherInputSchema = z.object({
  tokens: z.array(ScoredInputSchema),
  stop: TeacherScoreSchema.nullable(),
  control: z.array(TeacherScoreSchema),
});

export const TeacherEvidenceSchema = TeacherInputSchema.extend({
  tokens: z.array(ScoredInputSchema.extend({ verdict: z.enum(TOKEN_VERDICTS) })),
});

export const RequestVerdictSchema = z.object({
  id: z.string(),
  status: z.enum(["match", "forked", "tolerated", "fail"]),
  reason: GateFailReasonSchema.optional(),
  message: z.string().optional(),
  failedAt: count.optional(),
  referenceTokens: count,
  comparedTokens: count,
  matchedTokens: count,
  divergence: DivergenceSchema.optional(),
  fork: ForkSchema.optional(),
  teacher: TeacherEvidenceSchema.optional(),
  maxLogprobError: z.number().min(0),
  sumLogprobError: z.number().min(0),
  offLogprobTokens: count,
  worstLogprobError: LogprobErrorDetailSchema.optional(),
});

/**
 * The arena config's `gate` block. Every value defaults to DEFAULT_GATE_THRESHOLDS (thresholds.ts
 * says where each comes from), so `"gate": {}` is V1's gate and a file sets only what it changes:
 *
 *   "gate": {
 *     "tieGap": 0.1,
 *     "logprobs": { "tolerance": 0.2, "maxOffShare": 0.05, "maxError": 1, "maxMean": 0.1 },
 *     "teacher": { "maxRank": 10, "hardFloor": -13, "softFloor": -8, "softCount": 5, "eosRatio": 10 },
 *     "control": { "notFineShare": 0.01, "nllExcess": 0.01, "minTokens": 200 }
 *   }
 */
export const GateThresholdsSchema = z
  .strictObject({
    /** A token is fine within this logprob gap of the top-1 (the reference's or the teacher's). */
    tieGap: z.number().positive().max(10).default(D.tieGap),
    /** The miner's own logprob values against the reference's, or the teacher's after a fork. */
    logprobs: z
      .strictObject({
        /** |Δ logprob| above which a token counts as off. */
        tolerance: z.number().positive().max(100).default(D.logprobs.tolerance),
        /** Share of a session's checked tokens that may be off. */
        maxOffShare: z.number().min(0).max(1).default(D.logprobs.maxOffShare),
        /** Largest |Δ logprob| allowed on any one token or top_logprobs entry. */
        maxError: z.number().positive().max(100).default(D.logprobs.maxError),
        /** Largest mean |Δ logprob| of the chosen tokens over a session. */
        maxMean: z.number().positive().max(100).default(D.logprobs.maxMean),
      })
      .prefault({}),
    /** Per-request rules over the teacher's scores of the candidate's tokens after a fork. */
    teacher: z
      .strictObject({
        /** Teacher rank (1 = top-1) above which a token fails its request. */
        maxRank: z.number().int().min(1).max(20).default(D.teacher.maxRank),
        /** One token at or below this teacher logprob fails its request. */
        hardFloor: z.number().max(0).default(D.teacher.hardFloor),
        /** softCount tokens at or below this teacher logprob fail their request. */
        softFloor: z.number().max(0).default(D.teacher.softFloor),
        softCount: z.number().int().min(1).default(D.teacher.softCount),
        /** Going on where end of sequence is more than this many times as likely fails. */
        eosRatio: z.number().gt(1).default(D.teacher.eosRatio),
      })
      .prefault({}),
    /** A session's teacher aggregates against the stock control's. */
    control: z
      .strictObject({
        /** Allowed excess share of tokens outside the tie gap of the teacher's top-1. */
        notFineShare: z.number().min(0).max(1).default(D.control.notFineShare),
        /** Allowed excess mean NLL (teacher top-1 − token logprob), in nats. */
        nllExcess: z.number().min(0).max(100).default(D.control.nllExcess),
        /** Teacher-scored candidate tokens needed before the aggregates are compared. */
        minTokens: z.number().int().min(0).default(D.control.minTokens),
      })
      .prefault({}),
  })
  .superRefine((g, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    if (g.teacher.softFloor < g.teacher.hardFloor)
      issue(["teacher", "softFloor"], `must be at least hardFloor (${g.teacher.hardFloor})`);
    if (Math.log(g.teacher.eosRatio) <= g.tieGap)
      issue(
        ["teacher", "eosRatio"],
        `must exceed e^tieGap (${Math.exp(g.tieGap).toFixed(4)}): a near-tie with the end of sequence would fail`,
      );
    if (g.logprobs.tolerance > g.logprobs.maxError)
      issue(["logprobs", "tolerance"], `must be at most maxError (${g.logprobs.maxError})`);
  });

export const GateResultSchema = z.object({
  passed: z.boolean(),
  reasons: z.array(z.string()),
  counts: z.object({
    requests: count,
    matched: count,
    forked: count,
    tolerated: count,
    failed: count,
    referenceTokens: count,
    comparedTokens: count,
    matchedTokens: count,
    logprobTokens: count,
  }),
  failures: z.partialRecord(GateFailReasonSchema, count),
  matchedFraction: z.number().min(0).max(1),
  toleratedDivergences: count,
  maxLogprobError: z.number().min(0),
  maxLogprobErrorAt: z.string().nullable(),
  meanLogprobError: z.number().min(0),
  offLogprobShare: z.number().min(0).max(1),
  teacher: z.object({
    candidate: z.object({
      tokens: count,
      notFine: count,
      notFineShare: z.number().min(0).max(1),
      nllExcess: z.number().min(0),
    }),
    control: z.object({
      tokens: count,
      notFine: count,
      notFineShare: z.number().min(0).max(1),
      nllExcess: z.number().min(0),
    }),
    judged: z.boolean(),
  }),
  largestToleratedGap: z.number().nullable(),
  smallestRejectedGap: z.number().nullable(),
  verdicts: z.array(RequestVerdictSchema),
});

const GateMarginSchema = z.object({
  threshold: z.number(),
  observed: z.number().nullable(),
  headroom: z.number().nullable(),
  at: z.string().optional(),
});

export const GateMarginsSchema = z.object({
  tokenLogprobError: GateMarginSchema,
  meanLogprobError: GateMarginSchema,
  offLogprobShare: GateMarginSchema,
  toleratedTieGap: GateMarginSchema,
  rejectedTieGap: GateMarginSchema,
  teacherRank: GateMarginSchema,
  hardFloor: GateMarginSchema,
  softFloorCount: GateMarginSchema,
  stopGap: GateMarginSchema,
  eosPreference: GateMarginSchema,
  notFineShare: GateMarginSchema,
  nllExcess: GateMarginSchema,
});

// Both directions: a parsed value is the type, and the type is what the schema accepts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameVerdict: Same<z.infer<typeof RequestVerdictSchema>, RequestVerdict> = true;
const sameResult: Same<z.infer<typeof GateResultSchema>, GateResult> = true;
const sameThresholds: Same<z.infer<typeof GateThresholdsSchema>, GateThresholds> = true;
const sameMargins: Same<z.infer<typeof GateMarginsSchema>, GateMargins> = true;
const sameInput: Same<z.infer<typeof TeacherInputSchema>, TeacherInput> = true;
const sameEvidence: Same<z.infer<typeof TeacherEvidenceSchema>, TeacherEvidence> = true;
void [sameVerdict, sameResult, sameThresholds, sameMargins, sameInput, sameEvidence];
