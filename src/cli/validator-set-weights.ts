// `cacheon validator set-weights`: a validator's weights on the subnet by hand, u16-encoded as
// Bittensor's SDK does; with commit-reveal on, a commit now and the reveal later (--wait-reveal, or
// the next run, which reveals pending commits first).
import type { Command } from "commander";
import type { RevealOutcome, SubmitWeightsReport } from "../chain/submit-weights.js";
import type { Subtensor as Chain } from "../chain/subtensor.js";
import {
  addNetworkOptions,
  addWalletOptions,
  confirm,
  loadWalletHotkey,
  type NetworkOptions,
  requireConfirmable,
  type WalletOptions,
  withChain,
} from "./chain-options.js";
import { CliError } from "./errors.js";

const say = (s = ""): void => {
  process.stdout.write(`${s}\n`);
};

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
