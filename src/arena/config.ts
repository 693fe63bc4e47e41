// The arena config (DESIGN §2): the model, the hardware, the pinned baseline, the image limit, the
// workload every server gets in a session, the correctness gate's thresholds and the king-of-the-hill
// rules. The schema's defaults are the V1 values for everything DESIGN §2 fixes; the workload has no
// default and comes from a preset (presets.ts) or a file (load.ts).
import { z } from "zod";
import { isPinnedImage } from "../contract/image-ref.js";
import { honestResponseBytes, ResponseLimitsSchema } from "../contract/limits.js";
import { GateThresholdsSchema } from "../gate/schema.js";
import type { PromptLength } from "../harness/prompts.js";
import { PhaseSchema, WarmupSchema, WorkloadSchema } from "../harness/workload.js";

export class ArenaError extends Error {}

/** The port a server listens on inside its container (DESIGN §2.1, `PORT=8000`). */
export const SERVER_PORT = 8000;
const Ms = z.number().int().positive().max(3_600_000);

const V1_MODEL = "Qwen/Qwen2.5-72B-Instruct";

// vLLM v0.14.0's OpenAI server image (`vllm/vllm-openai:v0.14.0`), pinned by its multi-platform
// manifest digest. The digest is the one several public Dockerfiles and notes pin for that tag; it
// was not checked against Docker Hub from here (no network), so confirm it with
// `docker buildx imagetools inspect vllm/vllm-openai:v0.14.0` before the arena goes live.
const V1_BASELINE_IMAGE =
  "vllm/vllm-openai@sha256:1d6866b87630d94f5e0cdae55ab5abb4ce0b03fcb84d9d10612f9d518d19d4fd";

/** A path inside the weights folder: relative, `/`-separated, no `.` or `..` segment. */
const WEIGHTS_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** One file of the weights at the pinned revision. */
export const WeightsFileSchema = z.strictObject({
  path: z.string().max(300).regex(WEIGHTS_PATH, "must be a relative path without . or .. segments"),
  /** Its size in bytes; a file of another size is refused before it is hashed. */
  size: z.number().int().min(0).optional(),
  /** The sha256 the hub publishes for it at the revision (an LFS file's object id, a small file's
   *  own sha256), lowercase hex. Absent: the pod computes it, records it and calls it unconfirmed. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")
    .optional(),
});

/** The weights every pod must hold at model.mountPath, pinned (pod/weights fetches and verifies). */
export const WeightsPinSchema = z
  .strictObject({
    /** The hub repository they are fetched from (`https://<hub>/<repo>/resolve/<revision>/<path>`). */
    repo: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9._-]+$/, "must be <owner>/<name>"),
    /** A commit id (40 hex digits) pins the bytes; a branch name does not, and is unconfirmed. */
    revision: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "must be a commit id or a ref"),
    files: z.array(WeightsFileSchema).min(1).max(2000),
    /** True only once a person has checked repo, revision, sizes and sha256 against the hub. */
    confirmed: z.boolean().default(false),
  })
  .superRefine((w, ctx) => {
    const seen = new Set<string>();
    w.files.forEach((f, i) => {
      if (seen.has(f.path))
        ctx.addIssue({
          code: "custom",
          path: ["files", i, "path"],
          message: `${f.path} is listed twice`,
        });
      seen.add(f.path);
    });
    if (!w.confirmed) return;
    if (!/^[0-9a-f]{40}$/.test(w.revision))
      ctx.addIssue({
        code: "custom",
        path: ["revision"],
        message: "confirmed weights need a commit id (40 hex digits)",
      });
    w.files.forEach((f, i) => {
      if (f.size === undefined || f.sha256 === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["files", i],
          message: `confirmed weights need the size and sha256 of ${f.path}`,
        });
    });
  });
export type WeightsPin = z.infer<typeof WeightsPinSchema>;

// The v1 weights: the file layout Qwen2.5-72B-Instruct is published with (37 safetensors shards and
// the config and tokenizer files vLLM reads). UNCONFIRMED: the revision is the branch "main", not a
// commit, and no size or sha256 is pinned, because neither could be read from the hub here (no
// network). A pod computes and records each file's sha256 and reports the weights unconfirmed. Before
// the arena goes live, pin them on a host that has the files (`cacheon pod weights pin --models DIR
// --revision <commit>`), check each sha256 against the hub's listing for that commit
// (https://huggingface.co/api/models/Qwen/Qwen2.5-72B-Instruct/tree/<commit>: `lfs.oid`), paste the
// block here and set confirmed: true.
const V1_WEIGHTS: z.input<typeof WeightsPinSchema> = {
  repo: V1_MODEL,
  revision: "main",
  confirmed: false,
  files: [
    "config.json",
    "generation_config.json",
    "merges.txt",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    ...Array.from(
      { length: 37 },
      (_, i) => `model-${String(i + 1).padStart(5, "0")}-of-00037.safetensors`,
    ),
  ].map((path) => ({ path })),
};

export const ModelSchema = z.strictObject({
  /** The Hugging Face id of the weights every server must serve. */
  name: z.string().min(1).default(V1_MODEL),
  /** The name `/v1/models` lists and requests ask for (env `SERVED_MODEL_NAME`). */
  servedModelName: z.string().min(1).max(200).default(V1_MODEL),
  /** Where the weights are mounted read-only inside the container (env `MODEL_PATH`). */
  mountPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path")
    .default("/models"),
  /** The weights at mountPath, pinned by revision and per-file sha256 (pod/weights). */
  weights: WeightsPinSchema.prefault(V1_WEIGHTS),
});

export const HardwareSchema = z.strictObject({
  gpus: z.number().int().min(1).max(16).default(4),
  gpuModel: z.string().min(1).default("H200"),
  /** How a rented pod's GPUs must be linked (pod/providers): V1 wants SXM (NVLink). */
  interconnect: z.enum(["sxm", "any"]).default("sxm"),
  /** GPU models a rented pod may have instead of gpuModel, same count: none in V1. */
  equivalents: z.array(z.string().min(1)).max(8).default([]),
});

export const ImageLimitsSchema = z.strictObject({
  /** Unpacked image size limit in bytes, decimal: 20e9 is 20 GB (not GiB), as the engine reports. */
  maxBytes: z.number().int().positive().default(20e9),
});

/** Where a miner's image reference may send the pod's registry client (runtime/docker/registry.ts). */
export const RegistryPolicySchema = z.strictObject({
  /**
   * Registries and token realms (a 401's `WWW-Authenticate: Bearer realm=…`) on loopback, private
   * or link-local hosts, and realms over plain http where the registry client speaks http to the
   * host. Off in production: either lets a miner aim the pod at its own network and read which
   * ports answer. On for registries on loopback (the `local` arena, tests).
   */
  allowPrivateHosts: z.boolean().default(false),
});

export const BaselineSchema = z.strictObject({
  image: z
    .string()
    .refine(isPinnedImage, "must be pinned by digest: <repository>@sha256:<64 hex digits>")
    .default(V1_BASELINE_IMAGE),
  /** The server's arguments; checked against the model, the GPU count and the port below. */
  args: z
    .array(z.string())
    .default([
      "--model",
      "/models",
      "--served-model-name",
      V1_MODEL,
      "--tensor-parallel-size",
      "4",
      "--port",
      String(SERVER_PORT),
    ]),
});

/** The gate's pass over its own prompts, before any measured phase (DESIGN §2.2 step 3). */
export const GatePassSchema = z.strictObject({
  requests: z.number().int().min(1).max(10_000),
  concurrency: z.number().int().min(1).max(4096),
  maxTokens: z.number().int().min(1).max(32_768),
  /** At least 1: the gate's tie rule needs the reference's alternatives. */
  topLogprobs: z.number().int().min(1).max(20).default(5),
  requestDeadlineMs: Ms,
  timeLimitMs: Ms,
});

/** Phase names the session uses for its own passes. */
const RESERVED_PHASE_NAMES = new Set(["warmup", "gate"]);

export const ArenaWorkloadSchema = z
  .strictObject({
    warmup: WarmupSchema,
    gate: GatePassSchema,
    /** Timed phases ask for what token identity needs (`logprobs: true`, one entry per token)
     *  and no top lists unless set: a list is work the server does while timed, and the gate's
     *  rules get theirs in the gate pass or from the teacher (issue 16). */
    phases: z
      .array(PhaseSchema.extend({ topLogprobs: PhaseSchema.shape.topLogprobs.unwrap().default(0) }))
      .min(2)
      .max(32),
    trials: WorkloadSchema.shape.trials,
    /** The low-concurrency latency phase: its median TTFT is the score's TTFT. */
    ttftPhase: z.string(),
    /** The high-concurrency fixed-length phase: its token rate is the score's throughput. */
    tpsPhase: z.string(),
    tokenTolerance: WorkloadSchema.shape.tokenTolerance,
  })
  .superRefine((w, ctx) => {
    const seen = new Set<string>();
    w.phases.forEach((p, i) => {
      if (seen.has(p.name) || RESERVED_PHASE_NAMES.has(p.name))
        ctx.addIssue({
          code: "custom",
          path: ["phases", i, "name"],
          message: `phase name "${p.name}" is ${seen.has(p.name) ? "used twice" : "reserved"}`,
        });
      seen.add(p.name);
    });
    const names = w.phases.map((p) => p.name).join(", ");
    for (const key of ["ttftPhase", "tpsPhase"] as const)
      if (!seen.has(w[key]))
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `no phase named "${w[key]}" (phases: ${names})`,
        });
    if (w.ttftPhase === w.tpsPhase)
      ctx.addIssue({
        code: "custom",
        path: ["tpsPhase"],
        message: "must name a different phase than ttftPhase",
      });
    const tps = w.phases.find((p) => p.name === w.tpsPhase);
    if (tps && !tps.fixedLength)
      ctx.addIssue({
        code: "custom",
        path: ["tpsPhase"],
        message: `phase "${tps.name}" must have fixed-length outputs (fixedLength: true)`,
      });
  });

export const KingSchema = z.strictObject({
  /** The margin at the moment of crowning, in score units (DESIGN §2.5). */
  marginM0: z.number().min(0).max(1).default(0.01),
  /** The margin decays linearly to 0 over this long after crowning. */
  decayMs: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3_600_000),
  /** Who gets the weight while there is no king. */
  burnUid: z.number().int().min(0).max(65_535).default(0),
});

export const ArenaSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, "use 1-40 letters, digits, . _ -"),
    model: ModelSchema.prefault({}),
    hardware: HardwareSchema.prefault({}),
    image: ImageLimitsSchema.prefault({}),
    registry: RegistryPolicySchema.prefault({}),
    baseline: BaselineSchema.prefault({}),
    // 20 min from container start to healthy. vLLM needs 5-10 min for a 72B model on 4 GPUs (about
    // 145 GB of bf16 weights read from a cold page cache, 4 tensor-parallel workers, torch.compile
    // and CUDA-graph capture); the rest is room for a slower disk and for a miner's engine that
    // builds its own kernels at start, while still bounding the GPU time a server that never comes
    // up can waste.
    startupTimeoutMs: Ms.default(20 * 60_000),
    /** Caps on what a server may send: a response, an SSE line or event, a /health body. */
    limits: ResponseLimitsSchema.prefault({}),
    workload: ArenaWorkloadSchema,
    gate: GateThresholdsSchema.prefault({}),
    king: KingSchema.prefault({}),
  })
  .superRefine((a, ctx) => {
    const flags = parseFlags(a.baseline.args);
    const want: [string, string, string][] = [
      ["--model", a.model.mountPath, "model.mountPath"],
      ["--served-model-name", a.model.servedModelName, "model.servedModelName"],
      ["--tensor-parallel-size", String(a.hardware.gpus), "hardware.gpus"],
      ["--port", String(SERVER_PORT), "the container port"],
    ];
    for (const [flag, value, what] of want) {
      const got = flags.get(flag);
      if (got !== value)
        ctx.addIssue({
          code: "custom",
          path: ["baseline", "args"],
          message: `${flag} must be "${value}" (${what}), got ${got === undefined ? "nothing" : `"${got}"`}`,
        });
    }
    // A response cap an honest server could exceed would fail it: every slot must fit.
    const w = a.workload;
    const slots: [string, number, number][] = [
      ["warmup", w.warmup.maxTokens, 5],
      ["gate", w.gate.maxTokens, w.gate.topLogprobs],
      ...w.phases.map((p): [string, number, number] => [p.name, p.maxTokens, p.topLogprobs]),
    ];
    for (const [name, maxTokens, top] of slots) {
      const need = honestResponseBytes(maxTokens, top);
      if (need > a.limits.maxResponseBytes)
        ctx.addIssue({
          code: "custom",
          path: ["limits", "maxResponseBytes"],
          message: `must be at least ${need} for ${name} (${maxTokens} tokens at top_logprobs ${top}), got ${a.limits.maxResponseBytes}`,
        });
    }
  });
export type Arena = z.infer<typeof ArenaSchema>;
export type ArenaInput = z.input<typeof ArenaSchema>;

/** `--flag value` and `--flag=value` pairs of an argument list; the last one of a flag wins. */
function parseFlags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq > 0) out.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith("--"))
      out.set(arg, args[++i] as string);
  }
  return out;
}

/** One group of prompts a server gets in a session, drawn from the pool with `allocatePrompts`. */
export interface PromptSlot {
  key: string;
  count: number;
  lengths?: readonly PromptLength[];
}

/**
 * The prompt slots of one server's session, in the order they are sent: warmup, gate, then each
 * trial's phases (`<phase>.<trial>`, trials from 1). Every server of a session gets the same ones.
 */
export function sessionSlots(arena: Arena): PromptSlot[] {
  const w = arena.workload;
  const slots: PromptSlot[] = [
    { key: "warmup", count: w.warmup.requests },
    { key: "gate", count: w.gate.requests },
  ];
  for (let trial = 1; trial <= w.trials; trial++)
    for (const p of w.phases)
      slots.push({ key: `${p.name}.${trial}`, count: p.requests, lengths: p.prompts.lengths });
  return slots;
}

/** Distinct prompts one server needs in a session: warmup + gate + trials × Σ phase requests. */
export function promptsPerServer(arena: Arena): number {
  return sessionSlots(arena).reduce((n, s) => n + s.count, 0);
}
