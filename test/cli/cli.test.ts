// The CLI as a user meets it: the built `cacheon` binary, run as a child process.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEntry } from "../../src/cli/entry.js";
import { cacheon } from "../helpers/cli.js";
import { smallWorkload } from "../helpers/workloads.js";

describe("cacheon CLI", () => {
  it("is an executable the package's bin entry can run directly (shebang and mode)", () => {
    const out = execFileSync(cliEntry(), ["--version"], { encoding: "utf8" });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [[]],
    [["demo"]],
    [["bench"]],
    [["contract"]],
    [["contract", "check"]],
    [["reference"]],
    [["reference", "serve"]],
  ])("%j --help describes the command", async (words) => {
    const r = await cacheon([...words, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cacheon/);
    expect(r.stdout).toMatch(/Options:/);
  });

  it.each([
    [["contract", "check", "--endpoint", "not a url"], /--endpoint "not a url" is not a URL/],
    [["contract", "check", "--endpoint", "ftp://x"], /http:\/\/ or https:\/\//],
    [["contract", "check"], /required option '--endpoint <url>'/],
    [["bench", "--endpoint", "http://127.0.0.1:1", "--trials", "0"], /--trials must be an integer/],
    [["reference", "serve", "--profile", "nope"], /profile/i],
    [["demo", "--workload", "/nonexistent/w.json"], /cannot read workload file/],
    [["no-such-command"], /unknown command/],
  ])("%j fails with one clear line and no stack trace", async (args, message) => {
    const r = await cacheon(args as string[]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("demo benchmarks a baseline and a faster candidate and scores it above 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cacheon-demo-"));
    const workload = join(dir, "w.json");
    writeFileSync(workload, JSON.stringify({ ...smallWorkload, trials: 1 }));
    const r = await cacheon(
      ["demo", "--workload", workload, "--quiet", "--out", join(dir, "r")],
      120_000,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const row = r.stdout.split("\n").find((l) => l.startsWith("candidate"));
    const score = Number(row?.trim().split(/\s+/).at(-1));
    expect(score).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/The candidate beats the baseline/);
  }, 150_000);
});
