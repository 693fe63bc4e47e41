// Engine variants travel from a command line or a catalogue to the reference server a runtime
// starts: the `reference:PROFILE:VARIANT@SEED` server spec, catalogue digests and the engine image's
// env carry the variant seed.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseServerSpec } from "../../src/cli/options.js";
import { catalogueDigest } from "../../src/runtime/catalogue.js";
import {
  ReferenceEngineEnvSchema,
  referenceEngineEnv,
} from "../../src/runtime/docker/reference-engine.js";
import { describeSpec } from "../../src/runtime/spec.js";

describe("reference variants in server specs", () => {
  it("parses reference:PROFILE:VARIANT@SEED, and refuses an unknown variant", () => {
    const spec = parseServerSpec("reference:fast:fork@7", "--candidate");
    expect(spec).toEqual({ kind: "reference", profile: "fast", variant: "fork", variantSeed: 7 });
    expect(describeSpec(spec)).toBe("reference server, profile fast, variant fork (seed 7)");
    expect(parseServerSpec("reference:instant:eos-skip", "x")).toEqual({
      kind: "reference",
      profile: "instant",
      variant: "eos-skip",
    });
    expect(() => parseServerSpec("reference:fast:bogus", "--candidate")).toThrow(
      /reference:PROFILE\[:VARIANT\[@SEED\]\]/,
    );
    expect(() => parseServerSpec("reference:fast:fork@x", "--candidate")).toThrow();
  });

  it("keeps the catalogue digests of entries without a seed, and tells seeds apart", () => {
    const old = (name: string, profile: string, variant: string) =>
      `sha256:${createHash("sha256").update(JSON.stringify({ name, profile, variant })).digest("hex")}`;
    expect(catalogueDigest("m1", { kind: "reference", profile: "fast", variant: "ties" })).toBe(
      old("m1", "fast", "ties"),
    );
    const seeded = (variantSeed: number) =>
      catalogueDigest("m1", { kind: "reference", profile: "fast", variant: "fork", variantSeed });
    expect(seeded(1)).not.toBe(seeded(2));
  });

  it("bakes the variant seed into an engine image's env", () => {
    const env = referenceEngineEnv({
      kind: "reference",
      profile: "slow",
      variant: "flip",
      variantSeed: 3,
    });
    expect(env).toEqual({
      REFERENCE_PROFILE: "slow",
      REFERENCE_VARIANT: "flip",
      REFERENCE_VARIANT_SEED: "3",
    });
    const parsed = ReferenceEngineEnvSchema.parse({ ...env, MODEL_PATH: "/models" });
    expect(parsed.REFERENCE_VARIANT_SEED).toBe(3);
  });
});
