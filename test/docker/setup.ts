// Global setup of the Docker suite: build the CLI, get an engine (starting dockerd when needed and
// possible), start a loopback registry, build the test images, push them and hand their pinned
// references to the tests; at the end the images go from the engine too. With no engine the suite
// is skipped, with the reason printed.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { removeImages } from "../../src/runtime/docker/reference-image.js";
import { HAS_REGISTRY, REGISTRY_SKIP_REASON, startLocalRegistry } from "../helpers/registry.js";
import { ensureEngine } from "./engine.js";
import {
  BASE_IMAGE,
  BEHAVIOURS,
  type Behaviour,
  buildBaseImage,
  makeModelsDir,
  pushBehaviour,
  ROOT,
} from "./images.js";

export interface DockerFixture {
  /** Why the suite is skipped, or null when it runs. */
  skip: string | null;
  /** `127.0.0.1:<port>` of the loopback registry. */
  registry: string;
  /** Each behaviour's image, pinned by digest, in the registry only. */
  images: Record<Behaviour, string>;
  /** A model directory (tokenizer.json, config.json, model.safetensors) to mount read-only. */
  modelsDir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    docker: DockerFixture;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skipWith = (reason: string) => {
    process.stderr.write(`\nDocker suite SKIPPED: ${reason}\n\n`);
    project.provide("docker", {
      skip: reason,
      registry: "",
      images: {} as Record<Behaviour, string>,
      modelsDir: "",
    });
    return async () => {};
  };
  if (!HAS_REGISTRY) return skipWith(REGISTRY_SKIP_REASON);
  const engine = await ensureEngine();
  if (!engine.ok) return skipWith(engine.reason);
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const registry = await startLocalRegistry();
  const modelsDir = makeModelsDir();
  const t0 = performance.now();
  buildBaseImage();
  const images = {} as Record<Behaviour, string>;
  for (const name of Object.keys(BEHAVIOURS) as Behaviour[])
    images[name] = pushBehaviour(registry.host, name);
  process.stderr.write(
    `Docker suite: test images built and pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  project.provide("docker", { skip: null, registry: registry.host, images, modelsDir });
  return async () => {
    // What the tests pulled (each run's registry has a port of its own) and the base go too.
    try {
      removeImages([...Object.values(images), BASE_IMAGE]);
    } catch (err) {
      process.stderr.write(`Docker suite: test images not removed: ${(err as Error).message}\n`);
    }
    await registry.stop();
    rmSync(modelsDir, { recursive: true, force: true });
    await engine.stop();
  };
}
