// The EvalReport: everything one session measured and decided, schema-versioned. It carries the
// arena, the seed, every request record and every answer of every server, so `cacheon report
// rescore` can recompute each gate verdict and score offline and check them against the stored ones.
// v2 (issue 16): forked requests carry the teacher's evidence in their gate verdicts, the gate
// result the candidate's teacher aggregates against the stock control's, and the session the
// teacher pass (its outcome and timing).
import { z } from "zod";
import { ArenaSchema } from "../arena/index.js";
import { GateResultSchema } from "../gate/schema.js";
import { PhaseStatsSchema, RequestRecordSchema } from "../harness/report.js";
import { ServerSpecSchema } from "../runtime/spec.js";
import { StoredOutputSchema } from "./outputs.js";

export const EVAL_REPORT_SCHEMA = "cacheon.eval.v2";
/** The schema before the teacher: its verdicts follow rules that no longer apply. */
export const EVAL_REPORT_SCHEMA_V1 = "cacheon.eval.v1";

export const ServerFailureSchema = z.strictObject({
  /** Where it failed: image (pull and checks), start, health, a slot key (warmup, gate, latency.2, …),
   *  gate (verdict), or teacher (the teacher pass failed, so no verdict is final). */
  stage: z.string(),
  kind: z.enum([
    "image",
    "start",
    "health",
    "request_failed",
    "gate",
    "no_measurement",
    "cancelled",
    "not_run",
    "teacher",
  ]),
  message: z.string(),
});
export type ServerFailure = z.infer<typeof ServerFailureSchema>;

export const SlotRunSchema = z.strictObject({
  key: z.string(),
  kind: z.enum(["warmup", "gate", "measured"]),
  trial: z.number().int().min(0),
  seed: z.number().int(),
  wallMs: z.number(),
  hitTimeLimit: z.boolean(),
  ok: z.number().int(),
  failed: z.number().int(),
});
export type SlotRun = z.infer<typeof SlotRunSchema>;

export const MeasuredSchema = z.strictObject({ ttftMs: z.number(), tokensPerSec: z.number() });

export const ServerTimingSchema = z.strictObject({
  /** Pulling and checking the server's image (container runtimes only; part of startMs). */
  pullMs: z.number().optional(),
  /** Runtime start (process spawn, container create) until it returned. */
  startMs: z.number(),
  /** From then until GET /health answered 200. */
  healthWaitMs: z.number(),
  /** Sum of the slots' wall times: the time the server was being sent requests. */
  requestsMs: z.number(),
  /** Everything for this server, stop included. */
  wallMs: z.number(),
});

export const ServerRunSchema = z.strictObject({
  name: z.string(),
  spec: ServerSpecSchema,
  status: z.enum(["ok", "failed"]),
  failure: ServerFailureSchema.nullable(),
  timing: ServerTimingSchema,
  slots: z.array(SlotRunSchema),
  /** Statistics of every measured slot, in run order. */
  phases: z.array(PhaseStatsSchema),
  /** TTFT and throughput as scored (null when the measured phases did not finish). */
  measured: MeasuredSchema.nullable(),
  requests: z.array(RequestRecordSchema),
  /** Every successful answer by request key (`<slot>:<index>`). */
  outputs: z.record(z.string(), StoredOutputSchema),
  /** The server's own output, size-capped. */
  logs: z.string(),
});
export type ServerRun = z.infer<typeof ServerRunSchema>;

export const CandidateRunSchema = ServerRunSchema.extend({
  score: z.number().min(0),
  ttftImprovement: z.number().min(0),
  tpsImprovement: z.number().min(0),
  /** The gate's result; for a candidate that was not run, an empty one that did not pass. */
  gate: GateResultSchema,
});
export type CandidateRun = z.infer<typeof CandidateRunSchema>;

export const TeacherPassSchema = z.strictObject({
  /** skipped: no candidate request forked, so no teacher was started. */
  status: z.enum(["skipped", "ok", "failed"]),
  failure: ServerFailureSchema.nullable(),
  /** Forked candidate requests scored (each with its stock control). */
  requests: z.number().int().min(0),
  /** Sequences sent to /v1/completions, and the output tokens scored in them. */
  sequences: z.number().int().min(0),
  scoredTokens: z.number().int().min(0),
  timing: z.strictObject({
    startMs: z.number(),
    healthWaitMs: z.number(),
    /** Tokenizing and scoring. */
    scoringMs: z.number(),
    /** Everything for the teacher, start and stop included. */
    wallMs: z.number(),
  }),
  /** The teacher server's own output, size-capped. */
  logs: z.string(),
});
export type TeacherPass = z.infer<typeof TeacherPassSchema>;

export const VerdictSchema = z.strictObject({
  /** The candidate named as the current king, if any. */
  incumbent: z.string().nullable(),
  /** Who would be king after this session. */
  king: z.string().nullable(),
  /** The margin a challenger had to beat the incumbent by (m0: the incumbent is taken as freshly crowned). */
  margin: z.number(),
  /** What happened, one line each. */
  events: z.array(z.string()),
});

export const EvalReportSchema = z.strictObject({
  schema: z.literal(EVAL_REPORT_SCHEMA),
  /** teacher_failed: forked requests could not be judged, so no verdict is final (not a
   *  candidate's fault: the session is to be run again). */
  status: z.enum(["ok", "baseline_failed", "teacher_failed", "cancelled"]),
  arena: ArenaSchema,
  /** The session seed (a block hash, hex): it chose the prompts. */
  seed: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  tokenizer: z.string().nullable(),
  percentiles: z.string(),
  timing: z.strictObject({
    wallMs: z.number(),
    startMs: z.number(),
    healthWaitMs: z.number(),
    requestsMs: z.number(),
    /** The teacher pass (its start included): untimed work every forked request costs. */
    teacherMs: z.number(),
    teacherShare: z.number(),
    /** Session time outside server start, health waits, requests and the teacher: the harness's
     *  own cost. */
    overheadMs: z.number(),
    overheadShare: z.number(),
  }),
  baseline: ServerRunSchema,
  candidates: z.array(CandidateRunSchema),
  teacher: TeacherPassSchema,
  verdict: VerdictSchema,
});
export type EvalReport = z.infer<typeof EvalReportSchema>;
