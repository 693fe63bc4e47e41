// The whole arena on one machine, for `cacheon demo` and the validator's tests: the local chain
// (subnet 1 with the dev accounts; //Alice validates), a local pod whose runtime runs the miners'
// images as reference-server processes (an image catalogue, no Docker needed), and miners that
// commit their images on the chain through the real client.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import type { z } from "zod";
import { loadPromptPool } from "../arena/pool.js";
import { parseCommitmentText } from "../chain/commitment.js";
import type { Subtensor } from "../chain/subtensor.js";
import { loadVocabulary } from "../contract/tokenizer.js";
import { JobStore } from "../pod/jobs.js";
import { startPodServer } from "../pod/server.js";
import { PodWorker } from "../pod/worker.js";
import { catalogueDigest, type ImageCatalogue } from "../runtime/catalogue.js";
import type { Runtime } from "../runtime/runtime.js";
import type { ReferenceSpecSchema } from "../runtime/spec.js";

export interface LocalMiner {
  /** Dev account that commits (//Bob, …): registered on subnet 1 by devGenesis. */
  uri: string;
  /** Repository of its image, e.g. `localhost:5000/bob/engine`. */
  repository: string;
  /** What its image runs. */
  engine: z.input<typeof ReferenceSpecSchema>;
  /** Commit another miner's image digest instead of its own (a copy). */
  copies?: string;
}

/** The demo's miners: a fast engine, a slow one that forks at near-ties (an honest engine whose
 *  numerics differ, as speculative decoding's do: the teacher passes it), a fast one with a subtly
 *  wrong model, and a copycat. */
export const DEMO_MINERS: LocalMiner[] = [
  {
    uri: "//Bob",
    repository: "localhost/bob/fast-engine",
    engine: { kind: "reference", profile: "fast" },
  },
  {
    uri: "//Charlie",
    repository: "localhost/charlie/slow-engine",
    engine: { kind: "reference", profile: "slow", variant: "fork" },
  },
  {
    uri: "//Dave",
    repository: "localhost/dave/wrong-model",
    engine: { kind: "reference", profile: "fast", variant: "diverge" },
  },
  {
    uri: "//Eve",
    repository: "localhost/eve/copied-engine",
    engine: { kind: "reference", profile: "fast" },
    copies: "//Bob",
  },
];

/** Each miner's image reference (by its uri) and the catalogue a local pod runs them from. */
export function minerImages(miners: readonly LocalMiner[]): {
  refs: Map<string, string>;
  catalogue: ImageCatalogue;
} {
  const catalogue: ImageCatalogue = {};
  const digests = new Map<string, string>();
  for (const m of miners) {
    const digest = catalogueDigest(m.repository, m.engine);
    digests.set(m.uri, digest);
    catalogue[digest] = { variant: "none", ...m.engine };
  }
  const refs = new Map(
    miners.map((m) => [m.uri, `${m.repository}@${digests.get(m.copies ?? m.uri)}`]),
  );
  return { refs, catalogue };
}

export async function devPair(uri: string): Promise<KeyringPair> {
  await cryptoWaitReady();
  return new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri(uri);
}

/** Each miner commits its image on subnet 1, in order (one block each at least). */
export async function commitMiners(
  chain: Subtensor,
  netuid: number,
  miners: readonly LocalMiner[],
  refs: ReadonlyMap<string, string>,
  onCommit?: (m: LocalMiner, ref: string, block: number) => void,
): Promise<void> {
  for (const m of miners) {
    const text = refs.get(m.uri) as string;
    const parsed = parseCommitmentText(text);
    if (!parsed.ok) throw new Error(`${m.uri}: ${parsed.reason}`);
    const r = await chain.setCommitment(await devPair(m.uri), netuid, parsed.ref);
    onCommit?.(m, text, r.blockNumber);
  }
}

export interface LocalPod {
  url: string;
  token: string;
  close(): Promise<void>;
}

/**
 * A pod in this process with its job store in a temp folder; `runtime` runs the miners' images
 * (the local runtime with the image catalogue, or Docker).
 */
export async function startLocalPod(runtime: Runtime): Promise<LocalPod> {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-pod-"));
  const token = randomBytes(24).toString("hex");
  const store = new JobStore(dir);
  const worker = new PodWorker({
    store,
    runtime,
    vocab: loadVocabulary(),
    pool: loadPromptPool(),
  });
  const server = await startPodServer({ host: "127.0.0.1", port: 0, token, store, worker });
  return {
    url: server.url,
    token,
    async close() {
      await worker.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
