// `cacheon validator run` as a child process, for the kill tests: its exit (code or signal) and
// output, stopped with SIGTERM should it outlive `timeoutMs`.
import { spawn } from "node:child_process";
import { cliEntry } from "../../src/entry.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function validatorRun(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry(), "validator", "run", ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
