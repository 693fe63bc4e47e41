// A real image registry on loopback: Debian's docker-registry (distribution 2.8) on a free port
// with filesystem storage in a temporary directory. `cacheon demo --docker` pushes the miners'
// images there for its pod to pull; the Docker suite pushes its test images there too.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const HAS_REGISTRY = existsSync(REGISTRY_BIN);

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the registry part of an image name. */
  host: string;
  /** Stops the registry and removes its storage. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** Starts a registry on a free loopback port and resolves once `GET /v2/` answers 200. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  if (!HAS_REGISTRY) throw new Error(`${REGISTRY_BIN} not found (apt-get install docker-registry)`);
  // A port found free can be taken before the registry binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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
      "  secret: cacheon-local",
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
