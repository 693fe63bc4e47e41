// A real registry on loopback: Debian's docker-registry (distribution 2.8) with filesystem storage in
// a temporary directory, plus uploads through its own HTTP API, so tests put exactly the blobs and
// manifests they need there. The Docker suite pushes images to it with the engine as well.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { closedPort } from "./ports.js";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const HAS_REGISTRY = existsSync(REGISTRY_BIN);
export const REGISTRY_SKIP_REASON = `${REGISTRY_BIN} not found (apt-get install docker-registry): the tests against a real registry are skipped`;

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the registry part of an image name. */
  host: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** Starts a registry on a free loopback port and resolves once `GET /v2/` answers 200. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  // A port found free can be taken before the registry binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await closedPort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(port: number): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-registry-"));
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      // A fixed secret keeps distribution from warning that it made one up.
      "  secret: cacheon-test",
      "",
    ].join("\n"),
  );
  const child = spawn(REGISTRY_BIN, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    await kill(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await answers(`http://${host}/v2/`)) return { host, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(
    `docker-registry on ${host} did not become ready: ${stderr.trim() || "no output"}`,
  );
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url, { signal: AbortSignal.timeout(1_000) });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export const sha256Digest = (bytes: Uint8Array | string): string =>
  `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Uploads a blob (monolithic POST then PUT ?digest=) and returns its descriptor. */
export async function pushBlob(
  host: string,
  repository: string,
  bytes: Uint8Array | string,
  mediaType: string,
): Promise<Descriptor> {
  const body = Buffer.from(bytes);
  const digest = sha256Digest(body);
  const start = await request(`http://${host}/v2/${repository}/blobs/uploads/`, {
    method: "POST",
  });
  await start.body.dump();
  const location = start.headers.location;
  if (start.statusCode !== 202 || typeof location !== "string")
    throw new Error(`blob upload to ${repository} did not start: HTTP ${start.statusCode}`);
  const put = new URL(location, `http://${host}`);
  put.searchParams.set("digest", digest);
  const done = await request(put, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body,
  });
  const text = await done.body.text();
  if (done.statusCode !== 201)
    throw new Error(`blob upload to ${repository} failed: HTTP ${done.statusCode} ${text}`);
  return { mediaType, digest, size: body.length };
}

/** PUTs a manifest or index under its own digest, which it returns with its descriptor. */
export async function pushManifest(
  host: string,
  repository: string,
  manifest: { mediaType: string } & Record<string, unknown>,
): Promise<Descriptor> {
  const body = Buffer.from(JSON.stringify(manifest));
  const digest = sha256Digest(body);
  const res = await request(`http://${host}/v2/${repository}/manifests/${digest}`, {
    method: "PUT",
    headers: { "content-type": manifest.mediaType },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201)
    throw new Error(`manifest upload to ${repository} failed: HTTP ${res.statusCode} ${text}`);
  return { mediaType: manifest.mediaType, digest, size: body.length };
}
