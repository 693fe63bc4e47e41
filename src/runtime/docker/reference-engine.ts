// The reference server as a miner's container runs it: the contract's env (PORT, MODEL_PATH,
// SERVED_MODEL_NAME, set by the pod) plus the engine the image was built as (REFERENCE_PROFILE,
// REFERENCE_VARIANT, baked in by reference-image.ts). reference-engine-main.ts is the entry.
import { z } from "zod";
import { formatZodIssues } from "../../contract/json-file.js";
import { type ReferenceServer, startReferenceServer } from "../../reference/server.js";
import { ReferenceSpecSchema } from "../spec.js";

export const ReferenceEngineEnvSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(8000),
  MODEL_PATH: z.string().min(1),
  SERVED_MODEL_NAME: z.string().min(1).optional(),
  REFERENCE_PROFILE: ReferenceSpecSchema.shape.profile.default("baseline"),
  REFERENCE_VARIANT: ReferenceSpecSchema.shape.variant,
  REFERENCE_VARIANT_SEED: z.coerce.number().int().min(0).max(0xffffffff).optional(),
});

/** The env an image bakes in to run `spec`. */
export function referenceEngineEnv(
  spec: z.input<typeof ReferenceSpecSchema>,
): Record<string, string> {
  return {
    REFERENCE_PROFILE: spec.profile,
    REFERENCE_VARIANT: spec.variant ?? "none",
    ...(spec.variantSeed ? { REFERENCE_VARIANT_SEED: String(spec.variantSeed) } : {}),
  };
}

/** Starts the server `env` describes, on every interface; one line saying what is wrong otherwise. */
export async function startReferenceEngine(env: NodeJS.ProcessEnv): Promise<ReferenceServer> {
  const parsed = ReferenceEngineEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`bad engine env: ${formatZodIssues(parsed.error)}`);
  const e = parsed.data;
  return startReferenceServer({
    host: "0.0.0.0",
    port: e.PORT,
    profile: e.REFERENCE_PROFILE,
    variant: e.REFERENCE_VARIANT,
    variantSeed: e.REFERENCE_VARIANT_SEED,
    modelDir: e.MODEL_PATH,
    servedModelName: e.SERVED_MODEL_NAME,
  });
}
