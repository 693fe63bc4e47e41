// startLocalChain: a loopback subtensor double (tests and the demo) that @polkadot/api talks to
// unmodified. See README.md in this folder for what it implements and what it does not.
import { readFileSync } from "node:fs";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { writeFileAtomic } from "../../contract/atomic-write.js";
import { hostPort } from "../../contract/host.js";
import { devGenesis, type GenesisConfig, parseGenesis } from "./genesis.js";
import { ChainNode, type LocalChainState } from "./node.js";
import { startRpcServer } from "./rpc.js";
import { loadRuntime } from "./runtime.js";

export { DEV_ADDRESSES, devGenesis, type GenesisConfig } from "./genesis.js";
export type { LocalChainState } from "./node.js";

export interface LocalChainOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Interface to listen on; loopback unless asked otherwise. */
  host?: string;
  /** A block every this many ms (default 1000); 0: only produceBlocks() makes blocks. */
  blockTimeMs?: number;
  /** Genesis for a fresh chain (default: devGenesis()). Ignored when resuming from a state. */
  genesis?: GenesisConfig;
  /** Resume from a snapshot() of an earlier chain. */
  state?: LocalChainState;
  /** Resume from this JSON file if it exists, and write the state to it on close(). */
  stateFile?: string;
  /** SCALE metadata file (default: $CACHEON_SUBTENSOR_METADATA, else ../shared/fixtures/subtensor/). */
  metadataPath?: string;
  /**
   * Block `number`'s timestamp in ms (default: the wall clock): Timestamp.Now, the clock a client
   * estimates block times and drand rounds from, and the test beacon's clock.
   */
  clock?: (number: number) => number;
}

export interface LocalChain {
  url: string;
  port: number;
  bestNumber(): number;
  produceBlocks(n: number): Promise<void>;
  /**
   * Feeds drand's pulse of `round` (its 48-byte signature), stored at the start of the next block;
   * throws when the round is not after Drand.LastStoredRound or the signature is not the beacon's.
   */
  addPulse(round: number, signature: Uint8Array): void;
  snapshot(): LocalChainState;
  close(): Promise<void>;
}

function readStateFile(path: string): LocalChainState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as LocalChainState;
  } catch (err) {
    throw new Error(`state file ${path} is not JSON: ${(err as Error).message}`);
  }
}

export async function startLocalChain(opts: LocalChainOptions = {}): Promise<LocalChain> {
  await cryptoWaitReady();
  const runtime = loadRuntime(opts.metadataPath);
  const resumed = opts.state ?? (opts.stateFile ? readStateFile(opts.stateFile) : undefined);
  const node = resumed
    ? ChainNode.fromState(runtime, resumed)
    : ChainNode.fromGenesis(runtime, parseGenesis(opts.genesis ?? devGenesis()));
  if (opts.clock) node.clock = opts.clock;
  const host = opts.host ?? "127.0.0.1";
  const server = await startRpcServer(node, host, opts.port ?? 0);
  const blockTimeMs = opts.blockTimeMs ?? 1000;
  const timer = blockTimeMs > 0 ? setInterval(() => node.produceBlock(), blockTimeMs) : null;
  let closed = false;
  return {
    url: `ws://${hostPort(host, server.port)}`,
    port: server.port,
    bestNumber: () => node.best.number,
    produceBlocks: async (n) => {
      for (let i = 0; i < n; i++) {
        node.produceBlock();
        // Let the notifications of each block go out before the next one.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    addPulse: (round, signature) => node.addPulse(round, signature),
    snapshot: () => node.snapshot(),
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await server.close();
      if (opts.stateFile) writeFileAtomic(opts.stateFile, JSON.stringify(node.snapshot()));
    },
  };
}
