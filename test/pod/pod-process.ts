// `cacheon pod serve --runtime local` as a child process of the built CLI, in a process group of
// its own, so a test can kill the worker together with the reference servers it started, as a
// machine losing the worker would.
import { type ChildProcess, spawn } from "node:child_process";
import { cliEntry } from "../../src/entry.js";
import { readAnnouncement } from "../../src/pod/announce.js";

export const TOKEN = "test-token-0123456789abcdef";

export interface PodProcess {
  url: string;
  /** The certificate fingerprint it printed, when it serves HTTPS. */
  fingerprint: string | null;
  child: ChildProcess;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** SIGKILL to the worker and everything it started. */
  kill(): Promise<void>;
  /** SIGTERM, as an operator stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export function startPod(
  stateDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<PodProcess> {
  const child = spawn(
    process.execPath,
    [
      cliEntry(),
      "pod",
      "serve",
      "--runtime",
      "local",
      "--port",
      "0",
      "--state-dir",
      stateDir,
      ...extra,
    ],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CACHEON_POD_TOKEN: TOKEN, ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const group = () => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {}
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      group();
      reject(new Error(`pod not ready in 30 s: ${stderr}`));
    }, 30_000);
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      const ready = readAnnouncement(stdout);
      if (!ready) return;
      clearTimeout(timer);
      resolve({
        ...ready,
        child,
        stderr: () => stderr,
        kill: async () => {
          group();
          await exited;
        },
        stop: async () => {
          child.kill("SIGTERM");
          const code = await exited;
          group(); // its reference servers, should any be left
          return code;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pod exited (${code}) before it was ready: ${stderr}`));
    });
  });
}
