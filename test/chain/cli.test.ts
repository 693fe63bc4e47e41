// The chain commands end to end: the built CLI as a child process against the local chain.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_ADDRESSES,
  devGenesis,
  type LocalChain,
  startLocalChain,
} from "../../src/chain/local/chain.js";
import { Subtensor } from "../../src/chain/subtensor.js";
import { cliEntry } from "../../src/entry.js";

const ENTRY = cliEntry();

import { ALICE_SEED, aliceWallet } from "../helpers/wallets.js";

const DIGEST = `sha256:${"cd".repeat(32)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [ENTRY, ...args],
      { timeout: 60_000, encoding: "utf8", env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(); // stdin is a pipe, not a terminal
  });
}

let dir: string;
let local: LocalChain;
let wallet: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-cli-chain-"));
  wallet = await aliceWallet(dir);
  local = await startLocalChain({ blockTimeMs: 100, genesis: devGenesis({ commitReveal: false }) });
});

afterAll(async () => {
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("cacheon wallet show", () => {
  it("prints addresses, never the secret", async () => {
    const r = await cli(["wallet", "show", ...wallet]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`hotkey   default  ${DEV_ADDRESSES.alice}`);
    expect(r.stdout).toContain(`coldkey  ${DEV_ADDRESSES.bob}`);
    const json = await cli(["wallet", "show", ...wallet, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      wallet: "v",
      hotkeyName: "default",
      hotkey: DEV_ADDRESSES.alice,
      coldkey: DEV_ADDRESSES.bob,
    });
    expect(r.stdout + json.stdout).not.toContain(ALICE_SEED.slice(2, 20));
  });
  it("reads the root from BT_WALLET_PATH and errors in one line", async () => {
    const r = await cli(["wallet", "show", "--wallet-name", "v"], {
      BT_WALLET_PATH: join(dir, "wallets"),
    });
    expect(r.stdout).toContain(DEV_ADDRESSES.alice);
    const missing = await cli(["wallet", "show", "--wallet-name", "nope", "--wallet-path", dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cacheon: no hotkey file at .*nope\/hotkeys\/default .*\n$/);
  });
});

describe("chain commands against the local chain", () => {
  const net = () => ["--network", local.url];

  it("chain metagraph lists the neurons", async () => {
    const r = await cli(["chain", "metagraph", ...net(), "--netuid", "1", "--json"]);
    expect(r.code).toBe(0);
    const graph = JSON.parse(r.stdout);
    expect(graph.neurons).toHaveLength(5);
    expect(graph.neurons[0]).toMatchObject({
      uid: 0,
      hotkey: DEV_ADDRESSES.alice,
      validatorPermit: true,
    });
    const text = await cli(["chain", "metagraph", ...net(), "--netuid", "1"]);
    expect(text.stdout).toMatch(/5 neurons/);
    expect(text.stdout).toMatch(
      new RegExp(`0\\s+${DEV_ADDRESSES.alice}\\s+\\S+\\s+yes\\s+1000000000000`),
    );
  });

  it("miner commit: dry run, refusal without --yes, then commit and read back", async () => {
    const args = [
      "miner",
      "commit",
      ...wallet,
      ...net(),
      "--netuid",
      "1",
      "--image",
      "ghcr.io/acme/m:v1",
      "--digest",
      DIGEST,
    ];
    const dry = await cli([...args, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`commit   ghcr.io/acme/m:v1@${DIGEST}`);
    expect(dry.stdout).toMatch(/call {5}Commitments\.set_commitment\(/);
    expect(dry.stdout).toMatch(/data {5}0x1200010004/);
    expect(dry.stdout).toMatch(/fee {6}\d+ rao/);
    expect(dry.stdout).toContain("dry run: nothing sent");
    expect(dry.stderr).toContain("FIRST commitment");
    const reader = await Subtensor.connect(local.url);
    try {
      expect(await reader.commitment(1, DEV_ADDRESSES.alice)).toBeUndefined();
    } finally {
      await reader.close();
    }

    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stdin is not a terminal: pass --yes/);

    const sent = await cli([...args, "--yes"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/committed in block \d+/);
    const list = await cli(["chain", "commitments", ...net(), "--netuid", "1", "--json"]);
    expect(JSON.parse(list.stdout).commitments).toMatchObject([
      {
        hotkey: DEV_ADDRESSES.alice,
        uid: 0,
        parsed: { ok: true, ref: { text: `ghcr.io/acme/m:v1@${DIGEST}` } },
      },
    ]);
    const again = await cli([...args, "--dry-run"]);
    expect(again.stderr).toMatch(/already committed ghcr\.io\/acme\/m:v1@/);
  }, 120_000);

  it("validator set-weights sets the SDK's u16 weights", async () => {
    const r = await cli([
      "validator",
      "set-weights",
      ...wallet,
      ...net(),
      "--netuid",
      "1",
      "--weights",
      "1:1,2:0.5,3:0",
      "--yes",
      "--pending-file",
      join(dir, "pending.json"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^weights set in block \d+: 1:65535,2:32768 \(u16\), version key 0$/m);
  });

  it("bad input and an unreachable chain are one line each", async () => {
    const badDigest = await cli([
      "miner",
      "commit",
      ...wallet,
      ...net(),
      "--netuid",
      "1",
      "--image",
      "ghcr.io/a/b",
      "--digest",
      "sha256:xyz",
    ]);
    expect(badDigest.code).toBe(2);
    expect(badDigest.stderr).toMatch(
      /^cacheon: digest "sha256:xyz" is not sha256:<64 lowercase hex>\n$/,
    );
    const badNet = await cli(["chain", "metagraph", "--network", "http://x"]);
    expect(badNet.stderr).toMatch(/--network: network URL must be ws:\/\/ or wss:\/\//);
    const down = await cli([
      "chain",
      "metagraph",
      "--network",
      "ws://127.0.0.1:9",
      "--netuid",
      "1",
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^cacheon: cannot connect to ws:\/\/127\.0\.0\.1:9: .*\n$/);
  });
});

describe("validator set-weights on a commit-reveal v4 subnet (finney's default)", () => {
  let v4: LocalChain;
  const v4net = () => ["--network", v4.url, "--netuid", "1"];
  const weights = ["--weights", "1:1,2:0.25"];
  beforeAll(async () => {
    // The dev subnet (v4, the chain its own drand beacon) with 4 s epochs at 100 ms blocks.
    const g = devGenesis();
    (g.subnets?.[0] as Record<string, unknown>).tempo = 40;
    v4 = await startLocalChain({ blockTimeMs: 100, genesis: g });
  });
  afterAll(async () => {
    await v4?.close();
  });

  it("--dry-run prints the timelocked call, its round and its hex, and sends nothing", async () => {
    const r = await cli([
      "validator",
      "set-weights",
      ...wallet,
      ...v4net(),
      ...weights,
      "--dry-run",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dry run: nothing was signed or sent$/m);
    expect(r.stdout).toMatch(/^path: timelocked$/m);
    expect(r.stdout).toMatch(/^call: SubtensorModule\.commit_timelocked_mechanism_weights$/m);
    expect(r.stdout).toMatch(/^weights: 1:65535,2:16384 \(u16\), version key 0$/m);
    const round =
      /^reveal round: (\d+) \(drand quicknet\): the round due at block \d+, 3 blocks into reveal epoch \d+/m.exec(
        r.stdout,
      );
    expect(round, r.stdout).not.toBeNull();
    const hex = /^hex: (0x[0-9a-f]+)$/m.exec(r.stdout)?.[1] as string;
    // The local chain's beacon is its own, not quicknet: sent as is, the commit would never open.
    expect(r.stdout).toMatch(
      /^the chain would refuse it now: the chain's drand beacon \(Drand\.BeaconConfig key 0x[0-9a-f]+…\) is not quicknet/m,
    );
    const client = await Subtensor.connect(v4.url);
    try {
      const call = client.api.createType("Call", hex);
      expect(call.method).toBe("commitTimelockedMechanismWeights");
      expect(call.args.map((a) => a.toString())[3]).toBe(round?.[1]);
      expect(call.args.map((a) => a.toString())[4]).toBe("4");
      // Nothing was sent: //Alice never updated.
      expect((await client.metagraph(1)).neurons[0]?.lastUpdate).toBe(0);
    } finally {
      await client.close();
    }
    const chainBeacon = await cli([
      "validator",
      "set-weights",
      ...wallet,
      ...v4net(),
      ...weights,
      "--dry-run",
      "--drand-beacon",
      "chain",
    ]);
    expect(chainBeacon.stdout).toMatch(
      /^reveal round: \d+ \(drand beacon 0x[0-9a-f]+… announced by the chain\)/m,
    );
    expect(chainBeacon.stdout).not.toMatch(/would refuse/);
  }, 60_000);

  it("commits timelocked weights and, with --wait-reveal, sees the chain reveal them", async () => {
    const r = await cli([
      "validator",
      "set-weights",
      ...wallet,
      ...v4net(),
      ...weights,
      "--drand-beacon",
      "chain",
      "--yes",
      "--wait-reveal",
      "--pending-file",
      join(dir, "v4-pending.json"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const committed =
      /^weights committed in block (\d+), timelocked to drand round \d+ \(SubtensorModule\.commit_timelocked_mechanism_weights, commit 0x[0-9a-f]{64}\): 1:65535,2:16384 \(u16\), version key 0$/m.exec(
        r.stdout,
      );
    expect(committed, r.stdout).not.toBeNull();
    expect(r.stdout).toMatch(/^the chain reveals them itself in epoch \d+ \(from block \d+\)/m);
    const revealed = /^revealed by the chain in block (\d+): the weights are on chain$/m.exec(
      r.stdout,
    );
    expect(Number(revealed?.[1])).toBeGreaterThan(Number(committed?.[1]));
    const client = await Subtensor.connect(v4.url);
    try {
      expect((await client.api.query.subtensorModule?.weights?.(1, 0))?.toJSON()).toEqual([
        [1, 65535],
        [2, 16384],
      ]);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe("--help", () => {
  it("describes each command", async () => {
    const runs = await Promise.all(
      [
        ["wallet", "show"],
        ["chain", "commitments"],
        ["chain", "metagraph"],
        ["miner", "commit"],
        ["validator", "set-weights"],
      ].map((c) => cli([...c, "--help"])),
    );
    for (const r of runs) expect(r.stdout).toMatch(/^Usage: cacheon \w+ [\w-]+ \[options\]/);
    expect(runs[3]?.stdout).toContain("--dry-run");
    expect(runs[4]?.stdout).toContain("--pending-file");
    expect(runs[4]?.stdout).toContain("--dry-run");
    expect(runs[4]?.stdout).toContain("--drand-beacon");
  });
});
