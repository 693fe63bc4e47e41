// The renting configuration an operator writes (`cacheon validator run --rent FILE`): which provider,
// Cacheon's image by digest, and the policy's limits. The provider's API key comes from the
// environment, never the file, so the file can be shared and kept in version control.
import { z } from "zod";
import { ARENA_PRESETS, type ArenaPresetName } from "../arena/presets.js";
import { formatZodIssues, readJsonFile } from "../contract/json-file.js";
import { CommandProvider, CommandProviderConfigSchema } from "../pod/providers/command.js";
import type { PolicyConfig } from "../pod/providers/policy.js";
import { ShadeformProvider } from "../pod/providers/shadeform.js";
import type { RentalProvider } from "../pod/providers/types.js";
import { IMAGE_BY_DIGEST, type LaunchSpec } from "./rented-pods.js";

export const SHADEFORM_KEY_ENV = "SHADEFORM_API_KEY";

const seconds = (max: number) => z.number().positive().max(max);

export const RentConfigSchema = z.strictObject({
  provider: z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("shadeform"),
      /** The environment variable holding the API key. */
      apiKeyEnv: z.string().min(1).default(SHADEFORM_KEY_ENV),
      /** Another endpoint than Shadeform's own (a test double, a proxy). */
      baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      timeoutMs: z.number().int().positive().max(600_000).optional(),
      retries: z.number().int().min(0).max(10).optional(),
      backoffMs: z.number().int().positive().max(60_000).optional(),
    }),
    CommandProviderConfigSchema.extend({ kind: z.literal("command") }),
  ]),
  /** Cacheon's image that rented machines run, pinned by digest. */
  image: z
    .string()
    .regex(IMAGE_BY_DIGEST, "Cacheon's image pinned by digest: REPO@sha256:<64 hex digits>"),
  /** The weights' directory on a rented machine. */
  modelsDir: z.string().startsWith("/").default("/models"),
  /** The arena preset whose pinned weights a rented pod gets and verifies (sha256) before any job. */
  weightsArena: z.enum(Object.keys(ARENA_PRESETS) as [ArenaPresetName]).default("v1"),
  /** The provider's volume at modelsDir already holds the weights: verify only, never download. */
  weightsOnVolume: z.boolean().default(false),
  podPort: z.number().int().min(1).max(65535).default(8750),
  maxPods: z.number().int().min(1).max(64).default(1),
  /** Give a pod back after it has been idle this long. */
  idleSeconds: seconds(86_400).default(300),
  /** Give back a pod not answering this long after it was rented. */
  bootTimeoutSeconds: seconds(86_400).default(1_800),
  /** No pod is rented once today's spend (UTC) reaches this. Required: money is at stake. */
  dailySpendCapUsd: z.number().positive().max(100_000),
  /** The provider's own auto-delete for each instance, should the validator be gone. */
  maxRentalHours: z.number().positive().max(168).default(12),
  /** After no capacity or a refused create, the next try waits this long. */
  retrySeconds: seconds(3_600).default(60),
});
export type RentConfig = z.output<typeof RentConfigSchema>;

export class RentConfigError extends Error {}

export function readRentConfig(path: string): RentConfig {
  const fail = (m: string) => new RentConfigError(m);
  const r = RentConfigSchema.safeParse(readJsonFile(path, "the rent config", fail));
  if (!r.success) throw fail(`the rent config ${path}: ${formatZodIssues(r.error)}`);
  return r.data;
}

/** The provider the config names; its API key from `env`. */
export function rentalProvider(
  c: RentConfig,
  env: Record<string, string | undefined>,
): RentalProvider {
  const p = c.provider;
  if (p.kind === "command") {
    const { kind: _kind, ...commands } = p;
    return new CommandProvider(commands);
  }
  const apiKey = env[p.apiKeyEnv];
  if (!apiKey)
    throw new RentConfigError(
      `$${p.apiKeyEnv} is not set: renting from Shadeform needs its API key`,
    );
  return new ShadeformProvider({
    apiKey,
    podPort: c.podPort,
    ...(p.baseUrl === undefined ? {} : { baseUrl: p.baseUrl }),
    ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
    ...(p.retries === undefined ? {} : { retries: p.retries }),
    ...(p.backoffMs === undefined ? {} : { backoffMs: p.backoffMs }),
  });
}

export function rentPolicy(c: RentConfig): PolicyConfig {
  return {
    maxPods: c.maxPods,
    idleMs: c.idleSeconds * 1000,
    dailySpendCapCents: Math.round(c.dailySpendCapUsd * 100),
    bootTimeoutMs: c.bootTimeoutSeconds * 1000,
  };
}

export function rentLaunch(c: RentConfig): LaunchSpec {
  return {
    image: c.image,
    podPort: c.podPort,
    modelsDir: c.modelsDir,
    weightsArena: c.weightsArena,
    weightsOnVolume: c.weightsOnVolume,
  };
}
