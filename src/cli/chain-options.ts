// What the commands that talk to the chain share: --network and --netuid, the wallet options
// (--wallet-name, --wallet-hotkey, --wallet-path) and the hotkey they name, a connected client, and
// the confirmation asked before anything is sent. Addresses only: no secret is ever printed.
// The chain modules load on use: @polkadot/api and its crypto take seconds to import, and every
// cacheon command would pay for them at startup.
import { createInterface } from "node:readline/promises";
import { type Command, Option } from "commander";
import type { Subtensor as Chain } from "../chain/subtensor.js";
import type { Hotkey } from "../chain/wallet.js";
import { WALLET_PATH_ENV, type WalletLocation, walletRoot } from "../chain/wallet-path.js";
import { CliError } from "./errors.js";
import { parseNetuid, parseNetwork } from "./options.js";

export interface NetworkOptions {
  network: string;
  netuid: number;
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

export interface DrandBeaconOptions {
  drandBeacon: "quicknet" | "chain";
}

/**
 * --drand-beacon: which drand key timelocked weights (commit-reveal v4) are encrypted to. quicknet,
 * the default, is finney's; `chain` takes the key the chain announces in Drand.BeaconConfig, for a
 * local test chain that is its own beacon (anyone can derive that key: never for real weights).
 */
export function addDrandBeaconOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      "--drand-beacon <beacon>",
      "drand beacon timelocked weight commits are encrypted to: quicknet (finney's), or chain (the key the chain announces; local test chains only)",
    )
      .choices(["quicknet", "chain"])
      .default("quicknet"),
  );
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

export interface WalletOptions {
  walletName: string;
  walletHotkey: string;
  walletPath?: string;
}

export function addWalletOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--wallet-name <name>", "wallet folder name (btcli's --wallet.name)")
    .option("--wallet-hotkey <name>", "hotkey file name (btcli's --wallet.hotkey)", "default")
    .option(
      "--wallet-path <dir>",
      `folder holding the wallets (default: $${WALLET_PATH_ENV}, else ~/.bittensor/wallets)`,
    );
}

/** Where the wallet options point. */
export const walletLocation = (o: WalletOptions): WalletLocation => ({
  root: walletRoot(o.walletPath),
  name: o.walletName,
  hotkey: o.walletHotkey,
});

/** The hotkey pair, with wallet problems as one-line CLI errors. */
export async function loadWalletHotkey(o: WalletOptions): Promise<Hotkey> {
  const { loadHotkey, WalletError } = await import("../chain/wallet.js");
  try {
    return await loadHotkey(walletLocation(o));
  } catch (err) {
    if (err instanceof WalletError) throw new CliError(err.message);
    throw err;
  }
}
