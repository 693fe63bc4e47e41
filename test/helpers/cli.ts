// Runs the built `cacheon` CLI as a child process, as a user would.
import { execFile } from "node:child_process";
import { cliEntry } from "../../src/entry.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cacheon(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliEntry(), ...args],
      { timeout: timeoutMs, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
