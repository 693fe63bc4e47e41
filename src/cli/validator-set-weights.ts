// `cacheon validator set-weights`: a validator's weights on the subnet by hand, u16-encoded as
// Bittensor's SDK does, by the path the subnet's settings take: set_weights; on a commit-reveal v4
// subnet (finney's default) a drand-timelocked commit that the chain reveals itself (--wait-reveal
// watches for it); below v4 the hash commit now and the reveal later (--wait-reveal, or the next
// run, which reveals pending commits first). --dry-run prints the call, its round and its hex.
import type { Command } from "commander";
import type {
  RevealOutcome,
  SubmitWeightsReport,
  WeightsOutcome,
  WeightsPreview,
} from "../chain/submit-weights.js";
import type { Subtensor as Chain } from "../chain/subtensor.js";
import {
  addDrandBeaconOption,
  addNetworkOptions,
  addWalletOptions,
  confirm,
  type DrandBeaconOptions,
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
  if (o.kind === "timelocked") {
    say(
      `weights committed in block ${o.commitBlock}, timelocked to drand round ${o.revealRound} (${o.call}, commit ${o.commitHash}): ${pairs} (u16), version key ${o.versionKey}`,
    );
    say(
      `the chain reveals them itself in epoch ${o.revealEpoch} (from block ${o.firstRevealBlock}) once that round's pulse is stored; nothing more to send (--wait-reveal watches for it)`,
    );
    return;
  }
  say(
    `weights committed in block ${o.commitBlock} (hash ${o.commitHash}): ${pairs} (u16), version key ${o.versionKey}`,
  );
  say(
    `reveal in epoch ${o.revealEpoch}, blocks ${o.firstRevealBlock}-${o.lastRevealBlock}: run set-weights again then (it reveals pending commits first), or use --wait-reveal`,
  );
}

function printPreview(p: WeightsPreview | { path: "nothing"; reason: string }): void {
  say("dry run: nothing was signed or sent");
  if (p.path === "nothing") {
    say(`nothing to send: ${p.reason}`);
    return;
  }
  const pairs = p.uids.map((u, i) => `${u}:${p.values[i]}`).join(",");
  say(`path: ${p.path}`);
  say(`call: ${p.call}`);
  say(`weights: ${pairs} (u16), version key ${p.versionKey}`);
  const t = p.timelocked;
  if (t) {
    say(
      `reveal round: ${t.revealRound} (drand ${t.beacon.name === "quicknet" ? "quicknet" : `beacon ${t.beacon.publicKey.slice(0, 18)}… announced by the chain`}): the round due at block ${t.targetBlock}, 3 blocks into reveal epoch ${t.revealEpoch}, which starts at block ${t.firstRevealBlock} (${t.roundFrom === "epoch-state" ? "from the chain's epoch state" : "from the SDK's legacy formula"}; ${t.blockTimeSeconds.toFixed(2)} s blocks; Drand.LastStoredRound ${t.lastStoredRound})`,
    );
    say(
      `commit: ${t.commitBytes} bytes, blake2_256 ${t.commitHash}; filed under epoch ${t.commitEpoch}; commit_reveal_version ${t.commitRevealVersion}`,
    );
  }
  say(`hex: ${p.callData}`);
  for (const b of p.blockers) say(`the chain would refuse it now: ${b}`);
}

/** Polls until the chain has revealed (or dropped) a timelocked commit; says which. */
async function waitForTimelockedReveal(
  c: Chain,
  o: Extract<WeightsOutcome, { kind: "timelocked" }>,
  netuid: number,
  hotkey: string,
  pollMs: number,
): Promise<void> {
  const { timelockedRevealStatus } = await import("../chain/timelocked-weights.js");
  const { tempo } = await c.weightsParams(netuid);
  let from = o.commitBlock + 1;
  for (;;) {
    const head = (await c.head()).number;
    const s = await timelockedRevealStatus(c, { ...o, netuid, hotkey }, tempo, from);
    if (s.status === "revealed") {
      say(`revealed by the chain in block ${s.block}: the weights are on chain`);
      return;
    }
    if (s.status === "unconfirmed")
      throw new CliError(
        "the commit is gone and the blocks of its reveal epoch are older than the node keeps: compare SubtensorModule.Weights on chain",
        1,
      );
    if (s.status === "expired" || s.status === "dropped")
      throw new CliError(
        s.status === "expired"
          ? `the commit expired unrevealed: drand round ${o.revealRound} did not reach the chain within epoch ${o.revealEpoch}; the weights on chain are the older ones`
          : `the commit left the chain unrevealed in epoch ${o.revealEpoch} (not decryptable, or its weights were refused)`,
        1,
      );
    from = head + 1;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Polls until the chain reaches `block` (12 s blocks on finney). */
async function waitForBlock(c: Chain, block: number, pollMs: number): Promise<void> {
  while ((await c.head()).number < block) await new Promise((r) => setTimeout(r, pollMs));
}

interface SetWeightsOptions extends WalletOptions, NetworkOptions, DrandBeaconOptions {
  weights: { uids: number[]; weights: number[] };
  versionKey?: bigint;
  pendingFile: string;
  yes?: boolean;
  waitReveal?: boolean;
  dryRun?: boolean;
}

export function registerValidatorSetWeights(validator: Command): void {
  addDrandBeaconOption(
    addNetworkOptions(
      addWalletOptions(
        validator
          .command("set-weights")
          .description(
            "set this validator's weights on the subnet: u16-encoded as Bittensor's SDK does, version key at least the chain's, rate limit checked; with commit-reveal v4 (finney's default) a drand-timelocked commit the chain reveals itself; below v4 the hash commit now and the reveal in the reveal epoch (pending reveals kept in --pending-file)",
          ),
      ),
      true,
    ),
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
    .option(
      "--wait-reveal",
      "after a commit, wait for the reveal (a hash commit: reveal it in the reveal epoch; a timelocked one: watch for the chain's reveal)",
    )
    .option(
      "--dry-run",
      "print the call that would be sent (path, call, weights, a timelocked commit's round and epochs, the SCALE hex) and why the chain would refuse it now; sign and send nothing",
    )
    .option("--yes", "send without asking")
    .action(async (opts: SetWeightsOptions) => {
      const timelock = { beacon: opts.drandBeacon };
      if (opts.dryRun) {
        const hotkey = await loadWalletHotkey(opts);
        await withChain(opts.network, async (c) => {
          const { previewWeights } = await import("../chain/submit-weights.js");
          printPreview(
            await previewWeights(
              c,
              hotkey.pair,
              opts.netuid,
              opts.weights.uids,
              opts.weights.weights,
              {
                timelock,
                ...(opts.versionKey === undefined ? {} : { versionKey: opts.versionKey }),
              },
            ),
          );
        });
        return;
      }
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
            timelock,
            ...(opts.versionKey === undefined ? {} : { versionKey: opts.versionKey }),
          },
        );
        printWeightsReport(report);
        if (opts.waitReveal && report.outcome.kind === "timelocked") {
          say(`waiting for the chain to reveal it in epoch ${report.outcome.revealEpoch}…`);
          await waitForTimelockedReveal(c, report.outcome, opts.netuid, hotkey.address, 3000);
        }
        if (opts.waitReveal && report.outcome.kind === "committed") {
          say(`waiting for block ${report.outcome.firstRevealBlock} to reveal…`);
          await waitForBlock(c, report.outcome.firstRevealBlock, 3000);
          printReveals(await revealPendingWeights(c, hotkey.pair, opts.pendingFile));
        }
      });
    });
}
