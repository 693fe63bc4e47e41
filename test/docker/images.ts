// The Docker suite's test images, built with the product's reference images
// (src/runtime/docker/reference-image.ts): a base that also holds a miner script (fixtures/miner.mjs,
// the reference engine with one misbehaviour chosen by MINER_BEHAVIOUR) as its command, and one
// image per behaviour on top, pushed to the loopback registry and then removed locally, so the
// runtime pulls it by digest like a miner's image.
import { join } from "node:path";
import {
  buildReferenceBaseImage,
  PACKAGE_ROOT,
  pushEnvImage,
  referenceModelsDir,
} from "../../src/runtime/docker/reference-image.js";

/** The repository root. */
export const ROOT = PACKAGE_ROOT;
export const BASE_IMAGE = "cacheon-test/base:local";

export const BEHAVIOURS = {
  good: { MINER_BEHAVIOUR: "serve", REFERENCE_PROFILE: "baseline" },
  fast: { MINER_BEHAVIOUR: "serve", REFERENCE_PROFILE: "fast" },
  "never-healthy": { MINER_BEHAVIOUR: "never-healthy" },
  crash: {
    MINER_BEHAVIOUR: "crash",
    REFERENCE_PROFILE: "instant",
    MINER_CRASH_AFTER_TOKENS: "120",
  },
  "write-models": { MINER_BEHAVIOUR: "write-models", REFERENCE_PROFILE: "instant" },
  "listen-extra": { MINER_BEHAVIOUR: "listen-extra", REFERENCE_PROFILE: "instant" },
} as const;
export type Behaviour = keyof typeof BEHAVIOURS;

/** A model directory (tokenizer.json, config.json, model.safetensors) for the containers to mount. */
export const makeModelsDir = referenceModelsDir;

/** Builds and imports the base image (node + reference server + miner script). */
export function buildBaseImage(): void {
  buildReferenceBaseImage({
    tag: BASE_IMAGE,
    files: { "/app/miner.mjs": join(ROOT, "test/docker/fixtures/miner.mjs") },
    cmd: ["/usr/bin/node", "/app/miner.mjs"],
  });
}

/**
 * Builds one behaviour's image on the base, pushes it to `registry` and removes it locally.
 * Returns the pinned reference `registry/cacheon-test/NAME@sha256:…`.
 */
export function pushBehaviour(registry: string, name: Behaviour): string {
  return pushEnvImage(BASE_IMAGE, BEHAVIOURS[name], [
    `${registry}/cacheon-test/${name}`,
  ])[0] as string;
}
