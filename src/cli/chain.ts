// Chain commands: `cacheon chain commitments|metagraph` for anyone to look, `cacheon validator
// set-weights` for validators, and the options and connection handling the chain commands share.
// The chain modules load on use: @polkadot/api takes seconds to import, and every cacheon command
// would pay for it at startup.
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { resolveNetwork } from "../chain/networks.js";
import type { RevealOutcome, SubmitWeightsReport } from "../chain/submit-weights.js";
import type { Subtensor as Chain } from "../chain/subtensor.js";
import { formatTable } from "../table.js";
import { CliError } from "./errors.js";
import { addWalletOptions, loadWalletHotkey, type WalletOptions } from "./wallet.js";

export interface NetworkOptions {
  network: string;
  netuid: number;
}

const say = (s = ""): void => {
  process.stdout.write(`${s}\n`);
};

export function parseNetwork(value: string): string {
  try {
    resolveNetwork(value);
  } catch (err) {
    throw new CliError(`--network: ${(err as Error).message}`);
  }
  return value;
}

export function parseNetuid(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new CliError(`--netuid must be an integer in 0..65535, got ${JSON.stringify(value)}`);
  return n;
}

/** `--weights uid:weight,uid:weight,...` (weights any non-negative numbers; duplicates refused). */
export function parseWeightList(text: string): { uids: number[]; weights: number[] } {
  const uids: number[] = [];
  const weights: number[] = [];
  for (const item of text.split(",")) {
    const m = /^\s*(\d+)\s*:\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*$/.exec(item);
    if (!m) throw new Error(`weight ${JSON.stringify(item)} is not uid:weight (e.g. 3:0.5)`);
    const uid = Number(m[1]);
    if (uid > 65535) throw new Error(`uid ${uid} is above 65535 (uids are u16)`);
    if (uids.includes(uid)) throw new Error(`uid ${uid} appears twice`);
    uids.push(uid);
    weights.push(Number(m[2]));
  }
  return { uids, weights };
}

/** --network and --netuid; --netuid is required where the command sends a transaction. */
export function addNetworkOptions(cmd: Command, netuidRequired: boolean): Command {
  cmd.option(
    "--network <name|url>",
    "finney, test, local (ws://127.0.0.1:9944) or a ws:// / wss:// URL",
    parseNetwork,
    "finney",
  );
  const netuidHelp = "subnet id (Cacheon is 14 on finney)";
  return netuidRequired
    ? cmd.requiredOption("--netuid <n>", netuidHelp, parseNetuid)
    : cmd.option("--netuid <n>", `${netuidHelp}; default 14`, parseNetuid, 14);
}

/** Runs `fn` with a connected client; chain failures become one-line CLI errors (exit 1). */
export async function withChain<T>(network: string, fn: (chain: Chain) => Promise<T>): Promise<T> {
  const { ChainError, Subtensor } = await import("../chain/subtensor.js");
  let chain: Chain | undefined;
  try {
    chain = await Subtensor.connect(network, {
      log: (line) => process.stderr.write(`cacheon: ${line}\n`),
    });
    return await fn(chain);
  } catch (err) {
    if (err instanceof ChainError) throw new CliError(err.message, 1);
    throw err;
  } finally {
    await chain?.close();
  }
}

/** Fails at once, before any network work, when a confirmation will be needed and cannot be asked. */
export function requireConfirmable(yes: boolean | undefined): void {
  if (!yes && !process.stdin.isTTY)
    throw new CliError("stdin is not a terminal: pass --yes to send without the confirmation");
}

/** Asks on a terminal (see requireConfirmable). */
export async function confirm(question: string): Promise<boolean> {
  requireConfirmable(false);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const short = (address: string) => `${address.slice(0, 8)}…${address.slice(-6)}`;

/** The `chain` group, shared with `cacheon chain local` (src/cli/chain-local.ts): whoever comes first makes it. */
function chainGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === "chain") ??
    program.command("chain").description("the Bittensor chain: commitments, metagraph, local chain")
  );
}

export function registerChain(program: Command): void {
  const chain = chainGroup(program);
  addNetworkOptions(
    chain
      .command("commitments")
      .description(
        "list every miner commitment on the subnet (Commitments.CommitmentOf): hotkey, uid, block, and the image reference or why it is rejected",
      ),
    false,
  )
    .option("--json", "print JSON")
    .action(async (opts: NetworkOptions & { json?: boolean }) => {
      await withChain(opts.network, async (c) => {
        const [entries, graph] = await Promise.all([
          c.commitments(opts.netuid),
          c.metagraph(opts.netuid),
        ]);
        const uidOf = new Map(graph.neurons.map((n) => [n.hotkey, n.uid]));
        const rows = entries.map((e) => ({ ...e, uid: uidOf.get(e.hotkey) ?? null }));
        if (opts.json) {
          const out = { netuid: opts.netuid, block: graph.block, commitments: rows };
          say(JSON.stringify(out, null, 2));
          return;
        }
        say(`subnet ${opts.netuid} at block ${graph.block}: ${rows.length} commitments`);
        if (rows.length === 0) return;
        say(
          formatTable(
            [
              ["uid", "hotkey", "block", "commitment"],
              ...rows.map((r) => [
                r.uid === null ? "-" : String(r.uid),
                r.hotkey,
                String(r.block),
                r.parsed.ok ? r.parsed.ref.text : `REJECTED (${r.parsed.kind}): ${r.parsed.reason}`,
              ]),
            ],
            4,
          ),
        );
      });
    });

  addNetworkOptions(
    chain
      .command("metagraph")
      .description(
        "list the subnet's neurons: uid, hotkey, coldkey, validator permit, alpha stake and last weights block",
      ),
    false,
  )
    .option("--json", "print JSON")
    .action(async (opts: NetworkOptions & { json?: boolean }) => {
      await withChain(opts.network, async (c) => {
        const graph = await c.metagraph(opts.netuid);
        if (opts.json) {
          say(JSON.stringify(graph, null, 2));
          return;
        }
        say(`subnet ${opts.netuid} at block ${graph.block}: ${graph.neurons.length} neurons`);
        if (graph.neurons.length === 0) return;
        say(
          formatTable(
            [
              ["uid", "hotkey", "coldkey", "validator", "stake (rao)", "last update"],
              ...graph.neurons.map((n) => [
                String(n.uid),
                n.hotkey,
                short(n.coldkey),
                n.validatorPermit ? "yes" : "no",
                n.stake,
                String(n.lastUpdate),
              ]),
            ],
            4,
          ),
        );
      });
    });
}

function printReveals(reveals: RevealOutcome[]): void {
  for (const x of reveals) {
    if (x.kind === "revealed") say(`revealed earlier commit ${x.commitHash} in block ${x.block}`);
    else if (x.kind === "waiting")
      say(`earlier commit ${x.commitHash} reveals in ${x.blocksLeft} blocks`);
    else say(`dropped earlier commit ${x.commitHash}: ${x.reason}`);
  }
}

function printWeightsReport(r: SubmitWeightsReport): void {
  printReveals(r.reveals);
  const o = r.outcome;
  if (o.kind === "nothing") {
    say(`nothing sent: ${o.reason}`);
    return;
  }
  const pairs = o.uids.map((u, i) => `${u}:${o.values[i]}`).join(",");
  if (o.kind === "set") {
    say(`weights set in block ${o.block}: ${pairs} (u16), version key ${o.versionKey}`);
    return;
  }
  say(
    `weights committed in block ${o.commitBlock} (hash ${o.commitHash}): ${pairs} (u16), version key ${o.versionKey}`,
  );
  say(
    `reveal in epoch ${o.revealEpoch}, blocks ${o.firstRevealBlock}-${o.lastRevealBlock}: run set-weights again then (it reveals pending commits first), or use --wait-reveal`,
  );
}

/** Polls until the chain reaches `block` (12 s blocks on finney). */
async function waitForBlock(c: Chain, block: number, pollMs: number): Promise<void> {
  while ((await c.head()).number < block) await new Promise((r) => setTimeout(r, pollMs));
}

interface SetWeightsOptions extends WalletOptions, NetworkOptions {
  weights: { uids: number[]; weights: number[] };
  versionKey?: bigint;
  pendingFile: string;
  yes?: boolean;
  waitReveal?: boolean;
}

export function registerValidatorSetWeights(validator: Command): void {
  addNetworkOptions(
    addWalletOptions(
      validator
        .command("set-weights")
        .description(
          "set this validator's weights on the subnet: u16-encoded as Bittensor's SDK does, version key at least the chain's, rate limit checked; with commit-reveal on, commits now and reveals in the reveal epoch (pending reveals kept in --pending-file)",
        ),
    ),
    true,
  )
    .requiredOption(
      "--weights <uid:w,...>",
      "weights by uid, any non-negative numbers (scaled so the largest is 65535)",
      (v: string) => {
        try {
          return parseWeightList(v);
        } catch (err) {
          throw new CliError(`--weights: ${(err as Error).message}`);
        }
      },
    )
    .option(
      "--version-key <n>",
      "version key to send (raised to the chain's if lower)",
      (v: string) => {
        if (!/^\d+$/.test(v)) throw new CliError(`--version-key must be an integer, got ${v}`);
        return BigInt(v);
      },
    )
    .option(
      "--pending-file <file>",
      "where pending commit-reveal reveals are kept",
      "cacheon-pending-reveals.json",
    )
    .option("--wait-reveal", "after a commit, wait for the reveal epoch and reveal")
    .option("--yes", "send without asking")
    .action(async (opts: SetWeightsOptions) => {
      requireConfirmable(opts.yes);
      const hotkey = await loadWalletHotkey(opts);
      const list = opts.weights.uids.map((u, i) => `${u}:${opts.weights.weights[i]}`).join(",");
      process.stderr.write(
        `setting weights on subnet ${opts.netuid} (${opts.network}) as ${hotkey.address}: ${list}\n`,
      );
      if (!opts.yes && !(await confirm("Send the weights?"))) throw new CliError("not sent", 1);
      await withChain(opts.network, async (c) => {
        const { submitWeights, revealPendingWeights } = await import("../chain/submit-weights.js");
        const report = await submitWeights(
          c,
          hotkey.pair,
          opts.netuid,
          opts.weights.uids,
          opts.weights.weights,
          {
            pendingPath: opts.pendingFile,
            ...(opts.versionKey === undefined ? {} : { versionKey: opts.versionKey }),
          },
        );
        printWeightsReport(report);
        if (opts.waitReveal && report.outcome.kind === "committed") {
          say(`waiting for block ${report.outcome.firstRevealBlock} to reveal…`);
          await waitForBlock(c, report.outcome.firstRevealBlock, 3000);
          printReveals(await revealPendingWeights(c, hotkey.pair, opts.pendingFile));
        }
      });
    });
}
