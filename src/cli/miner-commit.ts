// `cacheon miner commit`: put `image@sha256:digest` on chain as the hotkey's commitment. Validators
// evaluate the FIRST commitment they see per hotkey, so this shows the exact call first, warns, and
// asks before signing.
import type { Command } from "commander";
import { commitmentRef, type ImageRef } from "../chain/commitment.js";
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

interface MinerCommitOptions extends WalletOptions, NetworkOptions {
  image: string;
  digest: string;
  yes?: boolean;
  dryRun?: boolean;
}

const say = (s = ""): void => {
  process.stdout.write(`${s}\n`);
};
const warn = (s: string): void => {
  process.stderr.write(`warning: ${s}\n`);
};

export function registerMinerCommit(miner: Command): void {
  addNetworkOptions(
    addWalletOptions(
      miner
        .command("commit")
        .description(
          "commit your image (name[:tag]@sha256:digest) on chain for the hotkey; validators evaluate only the FIRST commitment they see per hotkey",
        ),
    ),
    true,
  )
    .requiredOption("--image <ref>", "image name with optional tag, e.g. ghcr.io/you/miner:v1")
    .requiredOption("--digest <sha256:hex>", "the image's manifest digest, sha256:<64 hex>")
    .option("--yes", "send without asking")
    .option("--dry-run", "print the exact call, its call data and the fee estimate; send nothing")
    .action(async (opts: MinerCommitOptions) => {
      let ref: ImageRef;
      try {
        ref = commitmentRef(opts.image, opts.digest);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (!opts.dryRun) requireConfirmable(opts.yes);
      const hotkey = await loadWalletHotkey(opts);
      await withChain(opts.network, async (chain) => {
        const uid = await chain.uidOf(opts.netuid, hotkey.address);
        if (uid === undefined)
          throw new CliError(
            `hotkey ${hotkey.address} is not registered on subnet ${opts.netuid} (${opts.network}): register it first (btcli subnet register)`,
            1,
          );
        const tx = chain.setCommitmentTx(opts.netuid, ref);
        const preview = await chain.preview(hotkey.pair, tx);
        say(`hotkey   ${hotkey.address} (uid ${uid} on subnet ${opts.netuid}, ${chain.url})`);
        say(`commit   ${ref.text}`);
        say(`call     ${preview.call}(${JSON.stringify(preview.args)})`);
        say(`data     ${preview.callData}`);
        say(
          `fee      ${"rao" in preview.fee ? `${preview.fee.rao} rao` : `no estimate (${preview.fee.error})`}`,
        );
        const previous = await chain.commitment(opts.netuid, hotkey.address);
        warn(
          "validators evaluate a hotkey's FIRST commitment they see; later commitments are recorded and ignored",
        );
        if (previous)
          warn(
            `this hotkey already committed ${previous.parsed.ok ? previous.parsed.ref.text : "something"} in block ${previous.block}: validators that saw it will ignore this one`,
          );
        if (opts.dryRun) {
          say("dry run: nothing sent");
          return;
        }
        if (!opts.yes && !(await confirm("Sign and send this commitment?")))
          throw new CliError("not sent", 1);
        const result = await chain.submit(hotkey.pair, tx);
        const stored = await chain.commitment(opts.netuid, hotkey.address);
        if (!stored?.parsed.ok || stored.parsed.ref.text !== ref.text)
          throw new CliError(
            `${result.call} was included in block ${result.blockNumber} but the chain holds ${stored?.parsed.ok ? stored.parsed.ref.text : "no valid commitment"} for this hotkey`,
            1,
          );
        say(`committed in block ${result.blockNumber} (${result.blockHash})`);
      });
    });
}
