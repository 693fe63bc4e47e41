// A Docker engine for the suite: the one already answering on the local socket, or Debian's dockerd
// started here (as root) and stopped afterwards. Resolves with why there is none otherwise.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";

const START_TIMEOUT_MS = 60_000;

async function answers(docker: Dockerode): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

function hasDockerd(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v dockerd"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export type Engine = { ok: true; stop(): Promise<void> } | { ok: false; reason: string };

export async function ensureEngine(): Promise<Engine> {
  const docker = new Dockerode();
  if (await answers(docker)) return { ok: true, stop: async () => {} };
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason: "no Docker engine answers and this user cannot start dockerd (not root)",
    };
  if (!hasDockerd())
    return {
      ok: false,
      reason: "no Docker engine answers and dockerd is not installed (apt-get install docker.io)",
    };
  const logPath = join(tmpdir(), "cacheon-test-dockerd.log");
  const log = openSync(logPath, "w");
  const child: ChildProcess = spawn("dockerd", ["--storage-driver=overlay2"], {
    stdio: ["ignore", log, log],
    detached: true,
  });
  closeSync(log);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await answers(docker))
      return {
        ok: true,
        // SIGTERM, waiting a while but less than vitest's own teardown limit (10 s).
        stop: async () => {
          const gone = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await Promise.race([gone, new Promise((r) => setTimeout(r, 8_000).unref())]);
          child.unref();
        },
      };
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill("SIGKILL");
  const tail = readFileSync(logPath, "utf8").trim().split("\n").slice(-3).join(" | ");
  return {
    ok: false,
    reason: `dockerd did not start within ${START_TIMEOUT_MS / 1000} s: ${tail}`,
  };
}
