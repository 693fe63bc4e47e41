// `cacheon chain local`: one-line errors for bad options (in process), and, once main.ts registers
// it, as a user runs it: the ready line, a live RPC endpoint, a clean exit on SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRuntime } from "../../../src/chain/local/runtime.js";
import { Storage } from "../../../src/chain/local/storage.js";
import { registerChainLocal } from "../../../src/cli/chain-local.js";
import { CliError } from "../../../src/cli/errors.js";
import { cliEntry } from "../../../src/entry.js";
import { rawRpc } from "./helpers.js";

async function run(args: string[]): Promise<unknown> {
  const program = new Command("cacheon").exitOverride();
  registerChainLocal(program.command("chain"));
  return program.parseAsync(["node", "cacheon", "chain", "local", ...args]).then(
    () => null,
    (err: unknown) => err,
  );
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-chain-local-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("cacheon chain local", () => {
  it("prints its URL, serves RPC with the given genesis, and exits 0 on SIGTERM", async () => {
    const genesis = join(dir, "genesis.json");
    await writeFile(genesis, JSON.stringify({ subnets: [{ netuid: 7, tempo: 99 }] }));
    const child = spawn(
      process.execPath,
      [cliEntry(), "chain", "local", "--port", "0", "--block-ms", "50", "--genesis", genesis],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /^cacheon local chain listening on (ws:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once("exit", () => reject(new Error(`exited before listening: ${out}`)));
    });
    expect(await rawRpc(url, "system_properties", [])).toMatchObject({
      result: { ss58Format: 42, tokenDecimals: 9, tokenSymbol: "TAO" },
    });
    const tempoKey = new Storage(loadRuntime(), new Map()).key("subtensorModule", "tempo", [7]);
    expect(await rawRpc(url, "state_getStorage", [tempoKey])).toMatchObject({ result: "0x6300" });
    // Blocks come on their own every 50 ms.
    await new Promise((r) => setTimeout(r, 300));
    const head = (await rawRpc(url, "chain_getHeader", [])) as { result: { number: string } };
    expect(Number.parseInt(head.result.number, 16)).toBeGreaterThan(0);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses bad options with one line", async () => {
    const badGenesis = join(dir, "bad.json");
    await writeFile(badGenesis, JSON.stringify({ subnets: [{ netuid: 0 }] }));
    const cases: [string[], RegExp][] = [
      [
        ["--metadata", join(dir, "missing.scale")],
        /^subtensor metadata not found at .*missing\.scale: point --metadata /,
      ],
      [
        ["--genesis", badGenesis],
        /^--genesis: .*subnets\.0\.netuid: netuid 0 is the root network$/,
      ],
      [
        ["--genesis", join(dir, "none.json")],
        /^--genesis: cannot read genesis file .*none\.json: no such file$/,
      ],
      [["--port", "70000"], /^--port must be an integer from 0 to 65535, got "70000"$/],
      [["--block-ms", "-1"], /^--block-ms must be an integer/],
    ];
    for (const [args, message] of cases) {
      const err = await run(args);
      expect(err, args.join(" ")).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });
});
