// The benchmark workload: warmup, phases (scheduling, request count, prompts, output length, time
// limits) and trials. Loadable from a JSON file; every field is checked by zod and an invalid file
// is reported field by field. Every request is greedy (temperature 0) and carries logprobs, so a
// server gains nothing by behaving differently when it is being timed (DESIGN §2.2).
import { z } from "zod";
import { formatZodIssues, readJsonFile } from "../contract/json-file.js";
import type { ChatCompletionRequest } from "../contract/schemas.js";
import type { Prompt } from "./prompts.js";

export class WorkloadError extends Error {}

export const SchedulingSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    /** Closed loop: `streams` requests in flight; each one that ends starts the next. */
    kind: z.literal("concurrency"),
    streams: z.number().int().min(1).max(4096),
  }),
  z.strictObject({
    /** Open loop: requests start at Poisson arrival times (seeded), whatever is in flight. */
    kind: z.literal("poisson"),
    ratePerSec: z.number().positive().max(100_000),
    /** Connections the client may open; arrivals beyond it wait for one (counted in e2e). */
    maxInFlight: z.number().int().min(1).max(4096).default(256),
  }),
]);
export type Scheduling = z.infer<typeof SchedulingSchema>;

export const PromptSourceSchema = z.strictObject({
  source: z.literal("builtin"),
  /** Restrict the built-in set to these prompt lengths; all by default. */
  lengths: z
    .array(z.enum(["short", "medium", "long"]))
    .min(1)
    .optional(),
});

const Ms = z.number().int().positive().max(3_600_000);

export const PhaseSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, "use 1-40 letters, digits, '-' or '_'"),
  scheduling: SchedulingSchema,
  /** Requests per trial. */
  requests: z.number().int().min(1).max(100_000),
  prompts: PromptSourceSchema.prefault({ source: "builtin" }),
  maxTokens: z.number().int().min(1).max(32_768),
  /** Fixed-length outputs: `ignore_eos` and `min_tokens = max_tokens`. */
  fixedLength: z.boolean().default(false),
  /** Every request asks for logprobs; this is `top_logprobs`. */
  topLogprobs: z.number().int().min(0).max(20).default(5),
  /** Hard limit for one request, from dispatch to the end of its stream. */
  requestDeadlineMs: Ms.default(60_000),
  /** Limit for the response headers to arrive once the request is sent. */
  headersTimeoutMs: Ms.default(30_000),
  /** Limit on silence between two reads of a stream (a stall). */
  idleTimeoutMs: Ms.default(30_000),
  /** Hard limit for the phase: requests in flight then are aborted, unsent ones are not sent. */
  timeLimitMs: Ms.default(120_000),
});
export type Phase = z.infer<typeof PhaseSchema>;

export const WarmupSchema = z.strictObject({
  requests: z.number().int().min(0).max(10_000).default(4),
  concurrency: z.number().int().min(1).max(4096).default(4),
  maxTokens: z.number().int().min(1).max(32_768).default(16),
  requestDeadlineMs: Ms.default(60_000),
  timeLimitMs: Ms.default(120_000),
});
export type Warmup = z.infer<typeof WarmupSchema>;

export const WorkloadSchema = z
  .strictObject({
    name: z.string().min(1).max(80).default("custom"),
    /** Seeds prompt choice and Poisson arrivals: the same seed gives the same requests. */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    trials: z.number().int().min(1).max(100).default(1),
    warmup: WarmupSchema.prefault({}),
    phases: z.array(PhaseSchema).min(1).max(32),
    tokenTolerance: z
      .strictObject({
        relative: z.number().min(0).max(1).default(0.05),
        absolute: z.number().int().min(0).max(1000).default(3),
      })
      .prefault({}),
  })
  .superRefine((w, ctx) => {
    const seen = new Set<string>();
    w.phases.forEach((p, i) => {
      if (seen.has(p.name) || p.name === "warmup")
        ctx.addIssue({
          code: "custom",
          path: ["phases", i, "name"],
          message: `phase name "${p.name}" is ${p.name === "warmup" ? "reserved" : "used twice"}`,
        });
      seen.add(p.name);
    });
  });
export type Workload = z.infer<typeof WorkloadSchema>;
export type WorkloadInput = z.input<typeof WorkloadSchema>;

/**
 * The default workload: a warmup, a latency phase at low concurrency and a throughput phase at high
 * concurrency with fixed output lengths, three trials. About 12 s of requests against the
 * reference server's `baseline` profile (about 14 s for the whole `cacheon bench`).
 */
export const DEFAULT_WORKLOAD_INPUT: WorkloadInput = {
  name: "default",
  seed: 0,
  trials: 3,
  warmup: { requests: 4, concurrency: 4, maxTokens: 16 },
  phases: [
    {
      name: "latency",
      scheduling: { kind: "concurrency", streams: 4 },
      requests: 8,
      maxTokens: 32,
      timeLimitMs: 30_000,
    },
    {
      name: "throughput",
      scheduling: { kind: "concurrency", streams: 64 },
      requests: 128,
      maxTokens: 32,
      fixedLength: true,
      timeLimitMs: 60_000,
    },
  ],
};

export function defaultWorkload(): Workload {
  return WorkloadSchema.parse(DEFAULT_WORKLOAD_INPUT);
}

/** Validates a parsed JSON value as a workload; throws WorkloadError naming each bad field. */
export function parseWorkload(value: unknown, source = "workload"): Workload {
  const r = WorkloadSchema.safeParse(value);
  if (!r.success) throw new WorkloadError(`${source} is invalid: ${formatZodIssues(r.error)}`);
  return r.data;
}

/** Reads and validates a workload JSON file; throws WorkloadError with a one-line message. */
export function loadWorkload(path: string): Workload {
  const json = readJsonFile(path, "workload file", (m) => new WorkloadError(m));
  return parseWorkload(json, `workload file ${path}`);
}

/** The largest number of connections any part of the workload can use at once. */
export function maxConnections(w: Workload): number {
  return Math.max(w.warmup.concurrency, phaseConnections(w.phases));
}

/** The most connections any of these phases can use at once. */
export function phaseConnections(phases: readonly Phase[]): number {
  let n = 1;
  for (const p of phases)
    n = Math.max(
      n,
      p.scheduling.kind === "concurrency" ? p.scheduling.streams : p.scheduling.maxInFlight,
    );
  return n;
}

/** The chat request for one prompt of a phase: greedy, streamed, with logprobs. */
export function buildRequest(
  model: string,
  prompt: Prompt,
  opts: { maxTokens: number; fixedLength: boolean; topLogprobs: number },
): ChatCompletionRequest {
  const body: ChatCompletionRequest = {
    model,
    messages: prompt.messages,
    max_tokens: opts.maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    logprobs: true,
    top_logprobs: opts.topLogprobs,
  };
  if (opts.fixedLength) {
    body.ignore_eos = true;
    body.min_tokens = opts.maxTokens;
  }
  return body;
}
