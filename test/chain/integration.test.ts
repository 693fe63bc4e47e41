// The production client against the local chain over a real WebSocket: the same code that targets
// finney, talking to a loopback node that serves runtime 424's metadata and verifies signatures.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { commitmentRef } from "../../src/chain/commitment.js";
import {
  DEV_ADDRESSES,
  devGenesis,
  type GenesisConfig,
  type LocalChain,
  startLocalChain,
} from "../../src/chain/local/chain.js";
import { loadPendingReveals } from "../../src/chain/pending-reveal.js";
import { revealPendingWeights, submitWeights } from "../../src/chain/submit-weights.js";
import { ChainError, ExtrinsicFailedError, Subtensor } from "../../src/chain/subtensor.js";
import { epochIndex } from "../../src/chain/weights.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const BLOCK_MS = 100;
let dir: string;
let alice: KeyringPair;
let bob: KeyringPair;

function genesis(edit: (subnet: Record<string, unknown>) => void): GenesisConfig {
  const g = devGenesis({ commitReveal: false }) as { subnets: Record<string, unknown>[] };
  edit(g.subnets[0] as Record<string, unknown>);
  return g as GenesisConfig;
}

async function untilBlock(chain: Subtensor, block: number): Promise<void> {
  while ((await chain.head()).number < block) await new Promise((r) => setTimeout(r, BLOCK_MS / 2));
}

/** The decoded args of the first extrinsic in `blockHash` calling `method`. */
async function callArgs(chain: Subtensor, blockHash: string, method: string) {
  const block = await chain.api.rpc.chain.getBlock(blockHash);
  const ext = block.block.extrinsics.find((e) => e.method.method === method);
  return ext?.method.toJSON() as { args: Record<string, unknown> } | undefined;
}

beforeAll(async () => {
  await cryptoWaitReady();
  dir = await mkdtemp(join(tmpdir(), "cacheon-chain-"));
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  alice = keyring.addFromUri("//Alice");
  bob = keyring.addFromUri("//Bob");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("subtensor client against the local chain", () => {
  let local: LocalChain;
  let chain: Subtensor;
  beforeAll(async () => {
    local = await startLocalChain({
      blockTimeMs: BLOCK_MS,
      genesis: genesis((s) => {
        s.weightsVersionKey = 7;
      }),
    });
    chain = await Subtensor.connect(local.url);
  });
  afterAll(async () => {
    await chain?.close();
    await local?.close();
  });

  it("reads the head, block hashes and the metagraph", async () => {
    const head = await chain.head();
    expect(head.number).toBeGreaterThanOrEqual(0);
    expect(await chain.blockHash(head.number)).toBe(head.hash);
    const graph = await chain.metagraph(1);
    expect(graph.neurons.map((n) => n.hotkey)).toEqual([
      DEV_ADDRESSES.alice,
      DEV_ADDRESSES.bob,
      DEV_ADDRESSES.charlie,
      DEV_ADDRESSES.dave,
      DEV_ADDRESSES.eve,
    ]);
    expect(graph.neurons.map((n) => n.validatorPermit)).toEqual([true, false, false, false, false]);
    expect(graph.neurons[0]?.stake).toBe("1000000000000");
    expect(graph.neurons[1]?.coldkey).toBe(DEV_ADDRESSES.bob);
    await expect(chain.metagraph(9)).rejects.toThrow(/subnet 9 does not exist/);
  });

  it("commits a reference and reads it back, bytes as the pallet stores them", async () => {
    const ref = commitmentRef("ghcr.io/acme/sn-miner:v1", DIGEST);
    const preview = await chain.preview(bob, chain.setCommitmentTx(1, ref));
    expect(preview.call).toBe("Commitments.set_commitment");
    expect(preview.callData).toBe(`0x1200010004${"61"}${Buffer.from(ref.text).toString("hex")}`);
    expect(preview.fee).toHaveProperty("rao");
    const result = await chain.setCommitment(bob, 1, ref);
    const entries = await chain.commitments(1);
    const mine = entries.find((e) => e.hotkey === bob.address);
    expect(mine).toMatchObject({
      block: result.blockNumber,
      raw: u8aToHex(Buffer.from(ref.text)),
      parsed: { ok: true, ref },
    });
    expect(await chain.commitment(1, bob.address)).toEqual(mine);
  });

  it("reads back bad commitments as rejected with their reasons", async () => {
    const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
    const charlie = keyring.addFromUri("//Charlie");
    const dave = keyring.addFromUri("//Dave");
    const eve = keyring.addFromUri("//Eve");
    const send = (who: KeyringPair, fields: unknown[]) =>
      chain.submit(who, chain.txFn("commitments", "setCommitment")(1, { fields }));
    const text = (s: string) => ({ [`Raw${s.length}`]: u8aToHex(Buffer.from(s)) });
    await Promise.all([
      send(charlie, [text("ghcr.io/acme/miner:v1")]),
      send(dave, [text(`ghcr.io/acme/m@${DIGEST}`), text("x")]),
      send(eve, [{ Sha256: `0x${"11".repeat(32)}` }]),
    ]);
    const byHotkey = new Map((await chain.commitments(1)).map((e) => [e.hotkey, e.parsed]));
    expect(byHotkey.get(charlie.address)).toMatchObject({ ok: false, kind: "tag-without-digest" });
    expect(byHotkey.get(dave.address)).toMatchObject({ ok: false, kind: "extra-fields" });
    expect(byHotkey.get(eve.address)).toMatchObject({ ok: false, kind: "not-raw" });
  });

  it("sets weights: the SDK's u16 values, version key raised to the chain's, then the rate limit", async () => {
    const pendingPath = join(dir, "direct.json");
    const report = await submitWeights(chain, alice, 1, [1, 2, 3], [1, 0.5, 0], { pendingPath });
    expect(report.outcome).toMatchObject({
      kind: "set",
      uids: [1, 2],
      values: [65535, 32768],
      versionKey: "7",
    });
    const block = report.outcome.kind === "set" ? report.outcome.block : -1;
    const sent = await callArgs(chain, await chain.blockHash(block), "setWeights");
    expect(sent?.args).toEqual({
      netuid: 1,
      dests: [1, 2],
      weights: [65535, 32768],
      version_key: 7,
    });
    const stored = await chain.api.query.subtensorModule?.weights?.(1, 0);
    expect(stored?.toJSON()).toEqual([
      [1, 65535],
      [2, 32768],
    ]);
    expect(await chain.lastUpdate(1, 0)).toBe(block);
    await expect(submitWeights(chain, alice, 1, [1], [1], { pendingPath })).rejects.toThrow(
      /^too soon: \d+ blocks left before uid 0 may set weights on subnet 1 \(WeightsSetRateLimit 10\)$/,
    );
  });

  it("surfaces a dispatch error by pallet error name and docs", async () => {
    const err = await submitWeights(chain, bob, 1, [0, 2], [1, 1], {
      pendingPath: join(dir, "bob.json"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtrinsicFailedError);
    expect((err as Error).message).toBe(
      "SubtensorModule.set_weights failed on chain: SubtensorModule.NeuronNoValidatorPermit: The caller is attempting to set non-self weights without being a permitted validator.",
    );
  });

  it("names the call that times out", async () => {
    const slow = await Subtensor.connect(local.url, { txTimeoutMs: 1 });
    try {
      const ref = commitmentRef("ghcr.io/acme/other:v2", DIGEST);
      await expect(slow.setCommitment(bob, 1, ref)).rejects.toThrow(
        /^send Commitments.set_commitment timed out after 0\.0 s$/,
      );
    } finally {
      await slow.close();
    }
  });
});

describe("hash commit-reveal (CommitRevealWeightsVersion below 4) across a client restart", () => {
  it("commits, persists the reveal, and a new client reveals in the reveal epoch", async () => {
    const tempo = 10;
    const local = await startLocalChain({
      blockTimeMs: BLOCK_MS,
      genesis: {
        ...genesis((s) => {
          s.tempo = tempo;
          s.commitRevealWeightsEnabled = true;
          s.revealPeriodEpochs = 1;
        }),
        commitRevealWeightsVersion: 3,
      },
    });
    const pendingPath = join(dir, "pending", "reveals.json");
    try {
      const first = await Subtensor.connect(local.url);
      const report = await submitWeights(first, alice, 1, [1, 4], [0.25, 1], {
        pendingPath,
        salt: [9, 8, 7, 6, 5, 4, 3, 2],
      });
      await first.close();
      expect(report.outcome.kind).toBe("committed");
      if (report.outcome.kind !== "committed") return;
      const { commitBlock, revealEpoch, firstRevealBlock } = report.outcome;
      expect(revealEpoch).toBe(epochIndex(1, tempo, commitBlock) + 1);
      const pending = await loadPendingReveals(pendingPath);
      expect(pending).toMatchObject([
        { hotkey: alice.address, netuid: 1, uids: [1, 4], values: [16384, 65535], commitBlock },
      ]);

      const second = await Subtensor.connect(local.url);
      try {
        // Too early: nothing is sent and the reveal stays pending.
        const early = await revealPendingWeights(second, alice, pendingPath);
        if ((await second.head()).number < firstRevealBlock) {
          expect(early[0]?.kind).toBe("waiting");
          expect(await loadPendingReveals(pendingPath)).toHaveLength(1);
        }
        await untilBlock(second, firstRevealBlock);
        const reveals = await revealPendingWeights(second, alice, pendingPath);
        expect(reveals).toMatchObject([{ kind: "revealed", netuid: 1 }]);
        const block = reveals[0]?.kind === "revealed" ? reveals[0].block : -1;
        expect(epochIndex(1, tempo, block)).toBe(revealEpoch);
        expect(await loadPendingReveals(pendingPath)).toEqual([]);
        const stored = await second.api.query.subtensorModule?.weights?.(1, 0);
        expect(stored?.toJSON()).toEqual([
          [1, 16384],
          [4, 65535],
        ]);
      } finally {
        await second.close();
      }
      expect(JSON.parse(await readFile(pendingPath, "utf8"))).toEqual({ version: 1, pending: [] });
    } finally {
      await local.close();
    }
  });
});

describe("reconnect", () => {
  it("reconnects with backoff after the chain restarts on the same port", async () => {
    const stateFile = join(dir, "state.json");
    const lines: string[] = [];
    let local = await startLocalChain({ blockTimeMs: BLOCK_MS, stateFile });
    const chain = await Subtensor.connect(local.url, {
      backoffMs: 50,
      maxBackoffMs: 200,
      log: (l) => lines.push(l),
    });
    try {
      const before = await chain.head();
      const { port } = local;
      await local.close();
      await new Promise((r) => setTimeout(r, 300));
      local = await startLocalChain({ blockTimeMs: BLOCK_MS, stateFile, port });
      const after = await chain.head();
      expect(after.number).toBeGreaterThanOrEqual(before.number);
      expect(lines.some((l) => l.startsWith("disconnected from"))).toBe(true);
      expect(lines).toContain(`reconnected to ${local.url}`);
      const graph = await chain.metagraph(1);
      expect(graph.neurons).toHaveLength(5);
    } finally {
      await chain.close();
      await local.close();
    }
  });

  it("close lets the calls in flight finish, prints nothing, and later calls fail at once", async () => {
    const local = await startLocalChain({ blockTimeMs: BLOCK_MS });
    const printed = vi.spyOn(console, "error");
    try {
      const chain = await Subtensor.connect(local.url);
      // An extrinsic waits for its block: a close that dropped the socket would cut it off, and
      // @polkadot/api would print an RPC-CORE line for it.
      const ref = commitmentRef("ghcr.io/acme/closing:v1", DIGEST);
      const calls = Promise.allSettled([chain.head(), chain.setCommitment(bob, 1, ref)]);
      await chain.close();
      expect((await calls).map((s) => s.status)).toEqual(["fulfilled", "fulfilled"]);
      expect(printed).not.toHaveBeenCalled();
      await expect(chain.head()).rejects.toThrow(
        `chain_getHeader: the client to ${local.url} is closed`,
      );
    } finally {
      printed.mockRestore();
      await local.close();
    }
  });

  it("fails to connect with one clear line", async () => {
    const err = await Subtensor.connect("ws://127.0.0.1:9", { callTimeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChainError);
    expect((err as Error).message).toMatch(/^cannot connect to ws:\/\/127\.0\.0\.1:9: /);
  });
});
