// `cacheon demo --serve` as a child process on the tiny arena: one real round (local chain, local
// pod, four miners, the validator loop), then its dashboard and API on loopback until Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { cliEntry } from "../../src/entry.js";
import { tinyArenaPath } from "../helpers/arenas.js";

export interface ServedDemo {
  /** The dashboard's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  /** What the demo printed up to "Serving …". */
  stdout: string;
  child: ChildProcess;
  /** Ctrl-C; resolves with the exit code and everything printed. */
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function startServedDemo(timeoutMs: number): Promise<ServedDemo> {
  const child = spawn(
    process.execPath,
    [cliEntry(), "demo", "--arena", tinyArenaPath(), "--serve", "--http", "127.0.0.1:0"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGINT");
    return { code: await exited, stdout, stderr };
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the demo did not serve within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const onData = () => {
      const m = /Serving the dashboard at (http:\/\/[^\s/]+)\/ until Ctrl-C/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      resolve({ url: m[1] as string, stdout, child, stop });
    };
    child.stdout.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before serving:\n${stdout}\n${stderr}`));
    });
  });
}
