// The validator's test arena: the local chain (dev accounts on subnet 1, //Alice validates), a
// local pod whose catalogue runs the miners' images as reference servers, miners that commit
// through the real client, and readers of what ended up on chain.

import {
  commitMiners,
  type LocalMiner,
  type LocalPod,
  minerImages,
  startLocalPod,
} from "../../src/app/local-arena.js";
import {
  devGenesis,
  type GenesisConfig,
  type LocalChain,
  startLocalChain,
} from "../../src/chain/local/chain.js";
import { loadRuntime } from "../../src/chain/local/runtime.js";
import { Subtensor } from "../../src/chain/subtensor.js";
import { catalogueRuntime } from "../../src/runtime/catalogue.js";
import { localRuntime } from "../../src/runtime/local.js";

/** Bob's engine is the fastest, Charlie's fast, Dave's model subtly wrong, Eve copies Bob. */
export const TEST_MINERS: LocalMiner[] = [
  {
    uri: "//Bob",
    repository: "localhost/bob/engine",
    engine: { kind: "reference", profile: "instant" },
  },
  {
    uri: "//Charlie",
    repository: "localhost/charlie/engine",
    engine: { kind: "reference", profile: "fast" },
  },
  {
    uri: "//Dave",
    repository: "localhost/dave/engine",
    engine: { kind: "reference", profile: "instant", variant: "diverge" },
  },
  {
    uri: "//Eve",
    repository: "localhost/eve/engine",
    engine: { kind: "reference", profile: "instant" },
    copies: "//Bob",
  },
];

export const NETUID = 1;
export const BLOCK_MS = 100;

export interface TestArena {
  /** Replaceable: a test may restart the chain (same port and state). */
  chain: LocalChain;
  pod: LocalPod;
  client: Subtensor;
  refs: Map<string, string>;
  close(): Promise<void>;
}

export async function startTestArena(
  miners: LocalMiner[] = TEST_MINERS,
  // Commit-reveal off by default: most tests are about set_weights (weightsOnChain reads those
  // extrinsics); the timelocked path has its own test (timelocked.test.ts).
  genesis: GenesisConfig = devGenesis({ commitReveal: false }),
): Promise<TestArena> {
  const chain = await startLocalChain({ blockTimeMs: BLOCK_MS, genesis });
  const { refs, catalogue } = minerImages(miners);
  const pod = await startLocalPod(catalogueRuntime(localRuntime, catalogue));
  // Short deadlines, so a test that takes the chain away sees the errors within its outage and an
  // extrinsic whose watch the outage cut is given up (and looked up on chain) soon.
  const client = await Subtensor.connect(chain.url, {
    callTimeoutMs: 3_000,
    txTimeoutMs: 15_000,
    maxBackoffMs: 500,
  });
  const arena: TestArena = {
    chain,
    pod,
    client,
    refs,
    async close() {
      await client.close();
      await pod.close();
      await arena.chain.close();
    },
  };
  return arena;
}

export async function commitAll(a: TestArena, miners: LocalMiner[] = TEST_MINERS): Promise<void> {
  await commitMiners(a.client, NETUID, miners, a.refs);
}

/** Every `set_weights` the chain included, in block order: the block and the uids it weighted. */
export function weightsOnChain(chain: LocalChain): { block: number; dests: number[] }[] {
  const { registry } = loadRuntime();
  const out: { block: number; dests: number[] }[] = [];
  chain.snapshot().blocks.forEach((b, number) => {
    for (const hex of b.extrinsics) {
      const x = registry.createType("Extrinsic", hex);
      if (x.method.section === "subtensorModule" && x.method.method === "setWeights")
        out.push({ block: number, dests: (x.method.args[1]?.toJSON() as number[]) ?? [] });
    }
  });
  return out;
}
