// submitWeights' choice of path against a stand-in chain: what it sends, and that it refuses,
// saying why, where the chain takes only the timelocked commit.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPendingReveals } from "../../src/chain/pending-reveal.js";
import {
  submitWeights,
  type WeightsChain,
  WeightsRefusedError,
} from "../../src/chain/submit-weights.js";
import {
  backoffDelay,
  ExtrinsicFailedError,
  type WeightsParams,
} from "../../src/chain/subtensor.js";

let dir: string;
let alice: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice");
  dir = await mkdtemp(join(tmpdir(), "cacheon-weights-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sent {
  call: string;
  args: unknown[];
}

function fakeChain(params: Partial<WeightsParams>, fail?: [string, string]) {
  const sent: Sent[] = [];
  const chain: WeightsChain = {
    weightsParams: async () => ({
      tempo: 360,
      weightsVersionKey: 0n,
      weightsSetRateLimit: 100,
      commitRevealEnabled: false,
      commitRevealVersion: 4,
      revealPeriodEpochs: 1,
      ...params,
    }),
    head: async () => ({ number: 1000, hash: "0x00" }),
    uidOf: async () => 0,
    lastUpdate: async () => 950,
    txFn: ((_pallet: string, call: string) =>
      (...args: unknown[]) => ({ call, args })) as unknown as WeightsChain["txFn"],
    submit: (async (_pair: KeyringPair, tx: Sent) => {
      sent.push(tx);
      if (fail) throw new ExtrinsicFailedError(tx.call, fail[0], fail[1], "");
      return { call: tx.call, blockHash: "0x01", txHash: "0x02", blockNumber: 1001 };
    }) as unknown as WeightsChain["submit"],
  };
  return { chain, sent };
}

describe("submitWeights path", () => {
  it("checks the rate limit before sending anything", async () => {
    const { chain, sent } = fakeChain({ weightsSetRateLimit: 100 });
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "a.json") }),
    ).rejects.toThrow("too soon: 50 blocks left before uid 0 may set weights on subnet 14");
    expect(sent).toEqual([]);
  });
  it("sends set_weights with the chain's version key when commit-reveal is off", async () => {
    const { chain, sent } = fakeChain({ weightsSetRateLimit: 10, weightsVersionKey: 5n });
    const r = await submitWeights(chain, alice, 14, [3, 1], [2, 1], {
      pendingPath: join(dir, "b.json"),
      versionKey: 2n,
    });
    expect(sent).toEqual([{ call: "setWeights", args: [14, [3, 1], [65535, 32768], 5n] }]);
    expect(r.outcome).toEqual({
      kind: "set",
      uids: [3, 1],
      values: [65535, 32768],
      versionKey: "5",
      block: 1001,
    });
  });
  it("sends nothing for all-zero weights", async () => {
    const { chain, sent } = fakeChain({});
    const r = await submitWeights(chain, alice, 14, [1], [0], { pendingPath: join(dir, "c.json") });
    expect(r.outcome.kind).toBe("nothing");
    expect(sent).toEqual([]);
  });
  it("commits a hash with commit-reveal on and keeps the reveal", async () => {
    const { chain, sent } = fakeChain({ weightsSetRateLimit: 10, commitRevealEnabled: true });
    const pendingPath = join(dir, "d.json");
    const r = await submitWeights(chain, alice, 14, [1], [1], { pendingPath, versionKey: 9n });
    expect(sent.map((s) => s.call)).toEqual(["commitWeights"]);
    expect(r.outcome).toMatchObject({ kind: "committed", commitBlock: 1001, versionKey: "9" });
    const [p] = await loadPendingReveals(pendingPath);
    expect(p).toMatchObject({
      hotkey: alice.address,
      netuid: 14,
      uids: [1],
      values: [65535],
      versionKey: "9",
    });
    expect(p?.salt).toHaveLength(8);
    expect(sent[0]?.args).toEqual([14, p?.commitHash]);
  });
  for (const [pallet, error] of [
    ["SubtensorModule", "IncorrectCommitRevealVersion"],
    ["SubtensorModule", "CommitRevealDisabled"],
    ["System", "CallFiltered"],
  ] as const) {
    it(`refuses, naming the setting, when the chain rejects the hash commit with ${error}`, async () => {
      const { chain } = fakeChain({ weightsSetRateLimit: 10, commitRevealEnabled: true }, [
        pallet,
        error,
      ]);
      const pendingPath = join(dir, `refused-${error}.json`);
      const err = await submitWeights(chain, alice, 14, [1], [1], { pendingPath }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WeightsRefusedError);
      expect((err as Error).message).toMatch(
        /CommitRevealWeightsEnabled \(CommitRevealWeightsVersion 4\).*commit_timelocked_weights.*no weights were set$/,
      );
      expect(await loadPendingReveals(pendingPath)).toEqual([]);
    });
  }
  it("passes other pallet errors through unchanged", async () => {
    const { chain } = fakeChain({ weightsSetRateLimit: 10, commitRevealEnabled: true }, [
      "SubtensorModule",
      "TooManyUnrevealedCommits",
    ]);
    await expect(
      submitWeights(chain, alice, 14, [1], [1], { pendingPath: join(dir, "e.json") }),
    ).rejects.toThrow(/SubtensorModule.TooManyUnrevealedCommits/);
  });
});

describe("backoffDelay", () => {
  it("doubles from the base up to the cap", () => {
    expect([0, 1, 2, 3, 4, 10, 100].map((a) => backoffDelay(a, 250, 2000))).toEqual([
      250, 500, 1000, 2000, 2000, 2000, 2000,
    ]);
  });
});
