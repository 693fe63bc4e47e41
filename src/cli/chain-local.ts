// `cacheon chain local`: run the local subtensor double (tests and the demo) until SIGINT/SIGTERM.
import type { Command } from "commander";
import { CliError } from "./errors.js";
import { integer, parsePort } from "./options.js";
import { listenError, serveUntilSignal } from "./serve.js";

interface LocalOptions {
  port: number;
  blockMs: number;
  genesis?: string;
  metadata?: string;
}

export function registerChainLocal(chain: Command): void {
  chain
    .command("local")
    .description(
      [
        "Run a local subtensor chain on 127.0.0.1: a TEST/DEMO DOUBLE that speaks the real node's",
        "JSON-RPC over WebSocket with finney's runtime-424 metadata (shipped in data/subtensor/), verifies signed extrinsics and",
        "executes Commitments.set_commitment and the SubtensorModule weight calls. It is not a",
        "subtensor node. Without --genesis it starts with subnet 1 and the dev accounts",
        "//Alice (validator) //Bob //Charlie //Dave //Eve registered, commit-reveal v4 on (as on finney)",
        "and the chain as its own drand test beacon: it reveals timelocked weight commits itself",
        "(encrypt to it with --drand-beacon chain).",
        "When listening it prints one line: cacheon local chain listening on ws://127.0.0.1:PORT",
      ].join(" "),
    )
    .option("--port <n>", "port to listen on (0: any free port)", parsePort, 9944)
    .option(
      "--block-ms <n>",
      "a block every N ms (0: no blocks are produced)",
      integer("--block-ms", 0, 3_600_000),
      1000,
    )
    .option(
      "--genesis <file>",
      "genesis JSON: { subnets: [{ netuid, tempo, hotkeys: [{ address, coldkey?, stake?, validatorPermit? }], weightsVersionKey, weightsSetRateLimit, commitRevealWeightsEnabled, revealPeriodEpochs, minAllowedWeights?, maxWeightsLimit? }], accounts: [{ address, nonce?, free? }], commitRevealWeightsVersion?, drand?: { beacon: quicknet|test } }",
    )
    .option(
      "--metadata <file>",
      "SCALE runtime metadata file (default: $CACHEON_SUBTENSOR_METADATA, else finney's runtime 424 from data/subtensor/finney-spec424-metadata.scale)",
    )
    .action(async (opts: LocalOptions) => {
      const { startLocalChain } = await import("../chain/local/chain.js");
      const { GenesisError, readGenesisFile } = await import("../chain/local/genesis.js");
      const { loadRuntime, MetadataMissingError } = await import("../chain/local/runtime.js");
      let chain: Awaited<ReturnType<typeof startLocalChain>>;
      try {
        chain = await startLocalChain({
          port: opts.port,
          blockTimeMs: opts.blockMs,
          genesis: opts.genesis ? readGenesisFile(opts.genesis) : undefined,
          metadataPath: opts.metadata,
        });
      } catch (err) {
        if (err instanceof GenesisError) throw new CliError(`--genesis: ${err.message}`);
        if (err instanceof MetadataMissingError) throw new CliError(err.message);
        throw listenError(err, "127.0.0.1", opts.port) ?? err;
      }
      // On stderr: stdout's first line is the ready line others wait for. Loaded once, so cached.
      process.stderr.write(`cacheon local chain: ${loadRuntime(opts.metadata).description}\n`);
      serveUntilSignal(`cacheon local chain listening on ${chain.url}`, () => chain.close());
    });
}
