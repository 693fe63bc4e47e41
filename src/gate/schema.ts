// zod schemas of the gate's results, for reading an EvalReport back (replays, the web API). They
// mirror types.ts; the assignments at the end fail to compile if the two drift apart.
import { z } from "zod";
import { DEFAULT_GATE_THRESHOLDS } from "./thresholds.js";
import {
  GATE_FAIL_REASONS,
  type GateMargins,
  type GateResult,
  type GateThresholds,
  type RequestVerdict,
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
  kind: z.enum(["chosen", "top", "missing_in_candidate", "missing_in_reference"]),
  referenceLogprob: z.number(),
  candidateLogprob: z.number(),
  error: z.number().min(0),
});

export const GateFailReasonSchema = z.enum(GATE_FAIL_REASONS);

const count = z.number().int().min(0);

export const RequestVerdictSchema = z.object({
  id: z.string(),
  status: z.enum(["match", "tolerated", "fail"]),
  reason: GateFailReasonSchema.optional(),
  message: z.string().optional(),
  failedAt: count.optional(),
  referenceTokens: count,
  comparedTokens: count,
  matchedTokens: count,
  toleratedAt: count.optional(),
  divergence: DivergenceSchema.optional(),
  maxLogprobError: z.number().min(0),
  sumLogprobError: z.number().min(0),
  worstLogprobError: LogprobErrorDetailSchema.optional(),
});

/** The thresholds as an arena config gives them, each defaulting to DEFAULT_GATE_THRESHOLDS. */
export const GateThresholdsSchema = z.strictObject({
  /** A divergence is a tie when the candidate's token is within this logprob gap of the top-1. */
  tieGap: z.number().positive().max(10).default(DEFAULT_GATE_THRESHOLDS.tieGap),
  /** Largest |logprob difference| allowed on any one matched token. */
  maxTokenLogprobError: z
    .number()
    .positive()
    .max(100)
    .default(DEFAULT_GATE_THRESHOLDS.maxTokenLogprobError),
  /** Largest mean |logprob difference| over all matched tokens. */
  maxMeanLogprobError: z
    .number()
    .positive()
    .max(100)
    .default(DEFAULT_GATE_THRESHOLDS.maxMeanLogprobError),
  /** Matched tokens needed, as a fraction of the reference's tokens. */
  minMatchedFraction: z.number().gt(0).max(1).default(DEFAULT_GATE_THRESHOLDS.minMatchedFraction),
});

export const GateResultSchema = z.object({
  passed: z.boolean(),
  reasons: z.array(z.string()),
  counts: z.object({
    requests: count,
    matched: count,
    tolerated: count,
    failed: count,
    referenceTokens: count,
    comparedTokens: count,
    matchedTokens: count,
  }),
  failures: z.partialRecord(GateFailReasonSchema, count),
  matchedFraction: z.number().min(0).max(1),
  toleratedDivergences: count,
  maxLogprobError: z.number().min(0),
  maxLogprobErrorAt: z.string().nullable(),
  meanLogprobError: z.number().min(0),
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
  matchedFraction: GateMarginSchema,
  toleratedTieGap: GateMarginSchema,
  rejectedTieGap: GateMarginSchema,
});

// Both directions: a parsed value is the type, and the type is what the schema accepts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameVerdict: Same<z.infer<typeof RequestVerdictSchema>, RequestVerdict> = true;
const sameResult: Same<z.infer<typeof GateResultSchema>, GateResult> = true;
const sameThresholds: Same<z.infer<typeof GateThresholdsSchema>, GateThresholds> = true;
const sameMargins: Same<z.infer<typeof GateMarginsSchema>, GateMargins> = true;
void [sameVerdict, sameResult, sameThresholds, sameMargins];
