// Speed profiles of the reference server: how long prefill and decode steps take and how many
// sequences decode at once. They make the synthetic model behave like an inference engine under
// load (queueing, batch-size-dependent step time, static vs continuous batching) so the harness,
// the demo and the tests see realistic, distinguishable TTFT and throughput without a GPU.
import { existsSync } from "node:fs";
import { z } from "zod";
import { readJsonFile } from "../contract/json-file.js";

export const SpeedProfileSchema = z.strictObject({
  /** Fixed cost of a step that admits (prefills) new sequences, ms. */
  prefillBaseMs: z.number().min(0).max(60_000),
  /** Prefill cost per prompt token of the admitted sequences, ms. */
  prefillMsPerToken: z.number().min(0).max(1_000),
  /** Duration of one decode step (one token for every active sequence), ms. */
  decodeStepMs: z.number().min(0).max(60_000),
  /** Extra step duration per active sequence, ms. */
  decodePerSeqMs: z.number().min(0).max(1_000),
  /** Most sequences decoding at once; further requests queue. */
  maxBatch: z.number().int().min(1).max(1_000_000),
  /** true: queued requests join the running batch at the next step; false (static batching): they
   * wait until the whole running batch has finished. */
  continuousBatching: z.boolean(),
});
export type SpeedProfile = z.infer<typeof SpeedProfileSchema>;

export const PROFILE_NAMES = ["baseline", "fast", "slow", "instant"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * The named profiles. `baseline` is a plausible engine scaled to laptop tests (a 64-token answer
 * takes about 1 s alone); `fast` has about half its TTFT and 1.5–1.8× its tokens/s at 16–64
 * streams; `slow` is worse at everything and batches statically; `instant` has no delays at all
 * (it measures the harness, not the server).
 */
export const PROFILES: Readonly<Record<ProfileName, SpeedProfile>> = {
  baseline: {
    prefillBaseMs: 12,
    prefillMsPerToken: 0.05,
    decodeStepMs: 15,
    decodePerSeqMs: 0.15,
    maxBatch: 128,
    continuousBatching: true,
  },
  fast: {
    prefillBaseMs: 6,
    prefillMsPerToken: 0.025,
    decodeStepMs: 9,
    decodePerSeqMs: 0.08,
    maxBatch: 256,
    continuousBatching: true,
  },
  slow: {
    prefillBaseMs: 25,
    prefillMsPerToken: 0.1,
    decodeStepMs: 25,
    decodePerSeqMs: 0.3,
    maxBatch: 32,
    continuousBatching: false,
  },
  instant: {
    prefillBaseMs: 0,
    prefillMsPerToken: 0,
    decodeStepMs: 0,
    decodePerSeqMs: 0,
    maxBatch: 100_000,
    continuousBatching: true,
  },
};

export class ProfileError extends Error {}

function isProfileName(s: string): s is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(s);
}

/** A named profile, or a JSON file holding one. Throws ProfileError with a one-line message. */
export function resolveProfile(spec: string): SpeedProfile {
  if (isProfileName(spec)) return PROFILES[spec];
  // A typo of a name is likelier than a missing file: say both.
  if (!existsSync(spec))
    throw new ProfileError(
      `profile ${JSON.stringify(spec)} is neither a named profile (${PROFILE_NAMES.join(", ")}) nor a readable file`,
    );
  const json = readJsonFile(spec, "profile file", (m) => new ProfileError(m));
  return parseProfile(json, `profile file ${spec}`);
}

/** Validates a profile object; `where` names it in the error. */
export function parseProfile(value: unknown, where = "profile"): SpeedProfile {
  const parsed = SpeedProfileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new ProfileError(`${where} is invalid`);
  if (issue.code === "unrecognized_keys") {
    throw new ProfileError(
      `${where}: unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (fields: ${Object.keys(SpeedProfileSchema.shape).join(", ")})`,
    );
  }
  const path = issue.path.join(".");
  return fail(`${where}: ${path ? `field ${path}: ` : ""}${issue.message}`);
}

function fail(message: string): never {
  throw new ProfileError(message);
}
