// The pod's HTTP API bodies and answers (docs/validators/pod.md). The server parses every request
// body with these, the client every answer, so both sides agree on one definition.
import { z } from "zod";
import { type Arena, ArenaSchema } from "../arena/index.js";
import { expandExtends } from "../arena/load.js";
import { normalizeSeed } from "../arena/pool.js";
import { ARENA_PRESETS, type ArenaPresetName } from "../arena/presets.js";
import { ServerFailureSchema } from "../eval/report.js";
import { RESERVED_SERVER_NAMES } from "../eval/server.js";
import type { EvalProgress, NamedServer } from "../eval/session.js";
import { PROFILE_NAMES } from "../reference/profile.js";
import { type ServerSpec, ServerSpecSchema } from "../runtime/spec.js";
import { WeightsStatusSchema } from "./weights/status.js";

/** A server's name in a job and a report: also a file name in the job store. */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
export const MAX_CANDIDATES = 16;

const PRESETS = Object.keys(ARENA_PRESETS) as [ArenaPresetName, ...ArenaPresetName[]];

/** A server the pod starts itself: never a URL (the pod would measure someone else's machine). */
const PodServerSpecSchema = ServerSpecSchema.superRefine((spec, ctx) => {
  if (spec.kind === "url")
    ctx.addIssue({
      code: "custom",
      message: "a pod runs its servers itself: url servers are refused",
    });
  // A profile file would be a path on the pod's disk: only the named profiles travel.
  if (spec.kind === "reference" && !(PROFILE_NAMES as readonly string[]).includes(spec.profile))
    ctx.addIssue({
      code: "custom",
      path: ["profile"],
      message: `a pod takes the named profiles only (${PROFILE_NAMES.join(", ")})`,
    });
});

const ArenaValueSchema = z.union([z.enum(PRESETS), z.record(z.string(), z.unknown())]);
type ArenaValue = z.infer<typeof ArenaValueSchema>;
type Issue = { path: PropertyKey[]; message: string };

/**
 * The arena a job names, as `loadArena` reads one: a preset, or an object that is a whole arena or,
 * with `"extends": "<preset>"`, a partial override of that preset.
 */
function parseArenaValue(value: ArenaValue): { arena: Arena } | { issues: Issue[] } {
  let input: unknown = typeof value === "string" ? ARENA_PRESETS[value] : undefined;
  if (typeof value !== "string") {
    const expanded = expandExtends(value);
    if ("error" in expanded) return { issues: [{ path: ["extends"], message: expanded.error }] };
    input = expanded.input;
  }
  const r = ArenaSchema.safeParse(input);
  return r.success ? { arena: r.data } : { issues: r.error.issues };
}

export const JobRequestSchema = z
  .strictObject({
    arena: ArenaValueSchema,
    /** Hex (normally a recent block hash): it picks the prompts. */
    seed: z.string().refine((s) => /^(0x)?[0-9a-fA-F]{1,64}$/.test(s.trim()), {
      message: "must be 1-64 hex digits, optionally after 0x (a block hash)",
    }),
    /** Default: the arena's pinned baseline image with its pinned arguments. */
    baseline: PodServerSpecSchema.optional(),
    candidates: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(SERVER_NAME, "must be 1-40 letters, digits, . _ -")
            .refine(
              (n) => !RESERVED_SERVER_NAMES.includes(n),
              `must not be ${RESERVED_SERVER_NAMES.map((n) => `"${n}"`).join(" or ")}`,
            ),
          spec: PodServerSpecSchema,
        }),
      )
      .min(1)
      .max(MAX_CANDIDATES),
    /** The candidate that is king now. */
    king: z.string().optional(),
    /** The caller's own id for the job, so a caller that restarts finds its job in the list again. */
    ref: z.string().max(128).optional(),
  })
  .superRefine((req, ctx) => {
    const arena = parseArenaValue(req.arena);
    if ("issues" in arena)
      for (const issue of arena.issues)
        ctx.addIssue({ code: "custom", path: ["arena", ...issue.path], message: issue.message });
    const seen = new Set<string>();
    req.candidates.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: "custom",
          path: ["candidates", i, "name"],
          message: `${c.name} is given twice`,
        });
      seen.add(c.name);
    });
    if (req.king !== undefined && !seen.has(req.king))
      ctx.addIssue({ code: "custom", path: ["king"], message: "is not one of the candidates" });
  });
export type JobRequest = z.infer<typeof JobRequestSchema>;
export type JobRequestInput = z.input<typeof JobRequestSchema>;

export interface JobSession {
  arena: Arena;
  seed: string;
  baseline: NamedServer;
  candidates: NamedServer[];
  incumbent?: string;
}

/** What `runEvalSession` needs from a parsed request. */
export function jobSession(req: JobRequest): JobSession {
  const parsed = parseArenaValue(req.arena);
  if ("issues" in parsed) throw new Error("jobSession: the request was not parsed with its schema");
  const { arena } = parsed;
  const baseline: ServerSpec = req.baseline ?? {
    kind: "image",
    image: arena.baseline.image,
    args: arena.baseline.args,
  };
  return {
    arena,
    seed: `0x${normalizeSeed(req.seed)}`,
    baseline: { name: "baseline", spec: baseline },
    candidates: req.candidates,
    incumbent: req.king,
  };
}

// `satisfies` and the worker's use of it keep this in step with the session's own type.
export const EvalProgressSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("server-start"),
    server: z.string(),
    role: z.enum(["baseline", "candidate", "teacher"]),
    spec: ServerSpecSchema,
  }),
  z.strictObject({ type: z.literal("status"), server: z.string(), line: z.string() }),
  z.strictObject({ type: z.literal("healthy"), server: z.string(), waitedMs: z.number() }),
  z.strictObject({
    type: z.literal("slot-start"),
    server: z.string(),
    slot: z.string(),
    requests: z.number(),
  }),
  z.strictObject({
    type: z.literal("requests"),
    server: z.string(),
    slot: z.string(),
    done: z.number(),
    failed: z.number(),
    requests: z.number(),
  }),
  z.strictObject({
    type: z.literal("slot-end"),
    server: z.string(),
    slot: z.string(),
    ok: z.number(),
    failed: z.number(),
    wallMs: z.number(),
  }),
  z.strictObject({
    type: z.literal("server-end"),
    server: z.string(),
    failure: ServerFailureSchema.nullable(),
    measuredMs: z.number(),
  }),
  z.strictObject({ type: z.literal("teacher-start"), requests: z.number() }),
  z.strictObject({
    type: z.literal("teacher-end"),
    failure: ServerFailureSchema.nullable(),
    requests: z.number(),
    wallMs: z.number(),
  }),
]) satisfies z.ZodType<EvalProgress>;
export const JOB_STATUSES = ["running", "done", "failed", "cancelled", "interrupted"] as const;

/** The job's own events around the session's: its start, and its end (the stream's last line). */
export const JobEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("job-start"), job: z.string(), at: z.string() }),
  z.strictObject({
    type: z.literal("job-end"),
    job: z.string(),
    at: z.string(),
    status: z.enum(JOB_STATUSES),
    error: z.string().optional(),
  }),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;

export const PodEventSchema = z.union([EvalProgressSchema, JobEventSchema]);
export type PodEvent = z.infer<typeof PodEventSchema>;

/** done: ran to its end without a failure of its own (its gate verdict is in the report). */
export const SERVER_STATES = ["pending", "running", "done", "failed", "interrupted"] as const;

export const JobServerSchema = z.strictObject({
  name: z.string(),
  state: z.enum(SERVER_STATES),
  failure: ServerFailureSchema.optional(),
});
export type JobServer = z.infer<typeof JobServerSchema>;

export const JobStatusSchema = z.strictObject({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  request: JobRequestSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  servers: z.array(JobServerSchema),
  error: z.string().optional(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobListSchema = z.strictObject({ jobs: z.array(JobStatusSchema) });
/** `weights`: where the weights a pod started with `--weights` stand; jobs wait for "ready". */
export const HealthSchema = z.strictObject({
  ok: z.literal(true),
  busy: z.boolean(),
  weights: WeightsStatusSchema.optional(),
});
export const SubmittedSchema = z.strictObject({ id: z.string() });
export const ErrorBodySchema = z.object({ error: z.string(), running: z.string().optional() });
