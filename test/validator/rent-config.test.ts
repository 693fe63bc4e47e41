// The renting configuration (`validator run --rent FILE`): defaults filled in, every invalid field
// named in one line, the image refused unless pinned by digest, and the Shadeform key taken from
// the environment, never the file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { cliEntry } from "../../src/entry.js";
import { CommandProvider } from "../../src/pod/providers/command.js";
import { ShadeformProvider } from "../../src/pod/providers/shadeform.js";
import {
  RentConfigError,
  readRentConfig,
  rentalProvider,
  rentLaunch,
  rentPolicy,
} from "../../src/validator/rent-config.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-rent-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = `ghcr.io/cacheon/cacheon@sha256:${"c".repeat(64)}`;

function file(name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body));
  return path;
}

describe("the rent config", () => {
  it("fills in the defaults and turns them into the policy and the launch", () => {
    const c = readRentConfig(
      file("min.json", { provider: { kind: "shadeform" }, image: IMAGE, dailySpendCapUsd: 50 }),
    );
    expect(rentPolicy(c)).toEqual({
      maxPods: 1,
      idleMs: 300_000,
      dailySpendCapCents: 5000,
      bootTimeoutMs: 1_800_000,
    });
    expect(rentLaunch(c)).toEqual({
      image: IMAGE,
      podPort: 8750,
      modelsDir: "/models",
      weightsArena: "v1",
      weightsOnVolume: false,
    });
    expect(c.maxRentalHours).toBe(12);
    expect(c.provider).toEqual({ kind: "shadeform", apiKeyEnv: "SHADEFORM_API_KEY" });
  });

  it("names every invalid field, and refuses an image by tag", () => {
    const path = file("bad.json", {
      provider: { kind: "shadeform", apiKey: "in-the-file" },
      image: "ghcr.io/cacheon/cacheon:latest",
      maxPods: 0,
    });
    expect(() => readRentConfig(path)).toThrow(RentConfigError);
    expect(() => readRentConfig(path)).toThrow(
      `the rent config ${path}: provider: Unrecognized key: "apiKey"; image: Cacheon's image pinned by digest: REPO@sha256:<64 hex digits>; maxPods: Too small: expected number to be >=1; dailySpendCapUsd: Invalid input: expected number, received undefined`,
    );
    expect(() => readRentConfig(join(dir, "none.json"))).toThrow(
      `cannot read the rent config ${join(dir, "none.json")}: no such file`,
    );
    expect(() => readRentConfig(file("text.json", "{"))).toThrow(/is not JSON/);
  });

  it("takes Shadeform's key from the environment, and builds a command provider from its commands", () => {
    const c = readRentConfig(
      file("sf.json", {
        provider: { kind: "shadeform", apiKeyEnv: "MY_KEY", baseUrl: "http://127.0.0.1:9/v1" },
        image: IMAGE,
        dailySpendCapUsd: 10,
      }),
    );
    expect(() => rentalProvider(c, {})).toThrow(
      "$MY_KEY is not set: renting from Shadeform needs its API key",
    );
    expect(rentalProvider(c, { MY_KEY: "k" })).toBeInstanceOf(ShadeformProvider);
    const cmd = readRentConfig(
      file("cmd.json", {
        provider: {
          kind: "command",
          create: "./create",
          info: "./info",
          list: "./list",
          delete: "./delete",
          offer: { gpus: 4, gpuModel: "H200", hourlyPriceCents: 2000 },
        },
        image: IMAGE,
        dailySpendCapUsd: 10,
      }),
    );
    const p = rentalProvider(cmd, {});
    expect(p).toBeInstanceOf(CommandProvider);
    expect(p.kind).toBe("command");
  });
});

describe("validator run --rent", () => {
  const run = promisify(execFile);
  const validatorRun = async (...args: string[]) => {
    const base = ["--wallet-name", "v", "--wallet-path", dir, "--netuid", "1"];
    const all = [cliEntry(), "validator", "run", ...base, "--network", "ws://127.0.0.1:9", ...args];
    return run(process.execPath, all).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
  };

  it("takes --pod or --rent, not both nor neither, and names a bad rent config in one line", async () => {
    const either =
      "cacheon: give --pod (one or more pods of your own) or --rent (rented on demand)\n";
    expect(await validatorRun()).toEqual({ code: 2, stderr: either });
    const both = await validatorRun("--rent", "x.json", "--pod", "http://127.0.0.1:1");
    expect(both).toEqual({ code: 2, stderr: either });
    const missing = join(dir, "missing.json");
    expect(await validatorRun("--rent", missing)).toEqual({
      code: 2,
      stderr: `cacheon: --rent cannot read the rent config ${missing}: no such file\n`,
    });
  }, 30_000);
});
