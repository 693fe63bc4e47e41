// The bench report: per-phase statistics and one record per request, as `cacheon bench --out`
// writes it. The schema is the documentation of every field and lets a consumer (or a test) parse a
// report back; times are ns relative to the run start (`runStartNs`, a process.hrtime.bigint()
// value kept as a decimal string) and durations are ms.
import { z } from "zod";
import { RECORD_FAILURE_KINDS } from "./failures.js";
import { WorkloadSchema } from "./workload.js";

export const REPORT_SCHEMA = "cacheon.bench.v1";

const NsOrNull = z.number().int().nullable();

export const RequestRecordSchema = z.object({
  /** Phase name, or "warmup". */
  phase: z.string(),
  /** 1-based trial; 0 for warmup. */
  trial: z.number().int().min(0),
  /** Index of the request within its phase and trial. */
  index: z.number().int().min(0),
  promptId: z.string(),
  status: z.enum(["ok", "failed"]),
  failure: z.object({ kind: z.enum(RECORD_FAILURE_KINDS), message: z.string() }).nullable(),
  httpStatus: z.number().int().nullable(),
  /** When the scheduler meant to start it (Poisson: its arrival time). */
  scheduledNs: NsOrNull,
  /** Handed to the HTTP client. */
  startNs: NsOrNull,
  /** Its last byte written to the socket: the TTFT anchor. */
  sentNs: NsOrNull,
  headersNs: NsOrNull,
  /** The read that completed the first event with a non-empty generated token. */
  firstTokenNs: NsOrNull,
  endNs: NsOrNull,
  /** firstTokenNs − sentNs. */
  ttftMs: z.number().nullable(),
  /** endNs − sentNs (− startNs if it was never sent). */
  e2eMs: z.number().nullable(),
  /**
   * Inter-token latencies after the first token: the gap between two reads carrying tokens, divided
   * evenly among the tokens the later read carried.
   */
  itlMs: z.array(z.number()),
  /** Validator-counted output tokens (DESIGN §2.3); null when not counted or not valid. */
  outputTokens: z.number().int().nullable(),
  /** The validator's own tokenization of the text. */
  tokenizerTokens: z.number().int().nullable(),
  /** The server's `usage.completion_tokens`: recorded for information, never used. */
  usageCompletionTokens: z.number().int().nullable(),
  finishReason: z.string().nullable(),
  completionId: z.string().nullable(),
  outputChars: z.number().int(),
  bytes: z.number().int(),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

export const SummarySchema = z.object({
  n: z.number().int(),
  mean: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p99: z.number().nullable(),
});

export const MedianCiSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  level: z.number(),
  resamples: z.number().int(),
  seed: z.number().int(),
});

const SchedulingOut = z.looseObject({ kind: z.string() });

export const PhaseStatsSchema = z.object({
  phase: z.string(),
  trial: z.number().int(),
  scheduling: SchedulingOut,
  /** Requests planned. */
  requests: z.number().int(),
  ok: z.number().int(),
  failed: z.number().int(),
  /** Failed requests by failure kind. */
  failures: z.record(z.string(), z.number().int()),
  hitTimeLimit: z.boolean(),
  /** From the phase start to the end of its last request. */
  wallMs: z.number(),
  /** Validator-counted output tokens of the successful requests. */
  outputTokens: z.number().int(),
  /** outputTokens / wall time. */
  tokensPerSec: z.number(),
  /** Over successful requests; medianCi is the bootstrap CI of the median. */
  ttftMs: SummarySchema.extend({ medianCi: MedianCiSchema.nullable() }),
  /** Pooled over every inter-token gap of the successful requests. */
  itlMs: SummarySchema,
  e2eMs: SummarySchema,
});
export type PhaseStats = z.infer<typeof PhaseStatsSchema>;

export const PhaseSummarySchema = z.object({
  phase: z.string(),
  trials: z.number().int(),
  ok: z.number().int(),
  failed: z.number().int(),
  /** Median over trials of each trial's TTFT p50 (DESIGN §2.3: the median trial counts). */
  ttftP50Ms: z.number().nullable(),
  /** Median over trials of each trial's throughput. */
  tokensPerSec: z.number().nullable(),
  /** Pooled over every successful request of every trial. */
  ttftMs: SummarySchema.extend({ medianCi: MedianCiSchema.nullable() }),
  itlMs: SummarySchema,
});
export type PhaseSummary = z.infer<typeof PhaseSummarySchema>;

export const BenchReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  endpoint: z.string(),
  model: z.string(),
  startedAt: z.string(),
  /** process.hrtime.bigint() at the run start, decimal; every *Ns field is relative to it. */
  runStartNs: z.string().regex(/^\d+$/),
  durationMs: z.number(),
  /** Where the validator's vocabulary came from. */
  tokenizer: z.string().nullable(),
  percentiles: z.string(),
  workload: WorkloadSchema,
  cancelled: z.boolean(),
  warmup: z.object({ requests: z.number().int(), ok: z.number().int(), failed: z.number().int() }),
  /** One entry per phase and trial, in run order. */
  phases: z.array(PhaseStatsSchema),
  /** One entry per phase, over its trials. */
  summary: z.array(PhaseSummarySchema),
  requests: z.array(RequestRecordSchema),
});
export type BenchReport = z.infer<typeof BenchReportSchema>;
