// The CLI as a user meets it: the built `cacheon` binary, run as a child process.
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { cliEntry } from "../../src/entry.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";

const VALIDATOR = ["validator", "run", "--wallet-name", "v", "--netuid", "1"];

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
    [["validator", "run"]],
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
    [["demo", "--arena", "/nonexistent/a.json"], /cannot read arena file/],
    [
      ["demo", "--serve", "--http", "127.0.0.1:99999"],
      /--http "127.0.0.1:99999" must be \[HOST:\]PORT/,
    ],
    [["no-such-command"], /unknown command/],
    [["validator", "run", "--wallet-name", "v", "--netuid", "1"], /give --pod .* or --rent/],
    [[...VALIDATOR, "--pod", "not a url"], /--pod|URL/],
    [
      [...VALIDATOR, "--pod", "http://10.0.0.2:8750"],
      /^cacheon: --pod http:\/\/10\.0\.0\.2:8750: plain http to another host sends the token in the clear/,
    ],
    [
      [...VALIDATOR, "--pod", "https://10.0.0.2:8750"],
      /^cacheon: --pod https:\/\/10\.0\.0\.2:8750: an https pod needs its certificate's fingerprint/,
    ],
    [
      [...VALIDATOR, "--pod", "http://127.0.0.1:1", "--http", "x:y"],
      /--http "x:y" must be \[HOST:\]PORT/,
    ],
    [
      [...VALIDATOR, "--pod", "http://127.0.0.1:1", "--batch", "0"],
      /--batch must be an integer of at least 1/,
    ],
    [
      [...VALIDATOR, "--pod", "http://127.0.0.1:1", "--pod-token-file", "/nonexistent/t"],
      /cannot read --pod-token-file \/nonexistent\/t: no such file/,
    ],
  ])("%j fails with one clear line and no stack trace", async (args, message) => {
    const r = await cacheon(args as string[]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("demo --serve on a port in use says so in one line and exits 2", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await cacheon(
        ["demo", "--serve", "--http", `127.0.0.1:${port}`, "--arena", tinyArenaPath(), "--quiet"],
        120_000,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`cacheon: --http 127.0.0.1:${port}: the address is already in use\n`);
    } finally {
      busy.close();
    }
  }, 130_000);
});
