// `cacheon wallet show` and the wallet options every signing command shares (--wallet-name,
// --wallet-hotkey, --wallet-path). Addresses only: no secret is ever printed.
// The chain modules load on use: @polkadot's crypto takes seconds to import, and every cacheon
// command would pay for it at startup.
import type { Command } from "commander";
import type { Hotkey } from "../chain/wallet.js";
import { WALLET_PATH_ENV, walletRoot } from "../chain/wallet-path.js";
import { CliError } from "./errors.js";

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

const location = (o: WalletOptions) => ({
  root: walletRoot(o.walletPath),
  name: o.walletName,
  hotkey: o.walletHotkey,
});

/** The hotkey pair, with wallet problems as one-line CLI errors. */
export async function loadWalletHotkey(o: WalletOptions): Promise<Hotkey> {
  const { loadHotkey, WalletError } = await import("../chain/wallet.js");
  try {
    return await loadHotkey(location(o));
  } catch (err) {
    if (err instanceof WalletError) throw new CliError(err.message);
    throw err;
  }
}

export function registerWallet(program: Command): void {
  const wallet = program.command("wallet").description("Bittensor wallet files");
  addWalletOptions(
    wallet
      .command("show")
      .description(
        "print the hotkey and coldkey addresses of a wallet (read from the hotkey file and coldkeypub.txt; secrets are never printed)",
      ),
  )
    .option("--json", "print JSON")
    .action(async (opts: WalletOptions & { json?: boolean }) => {
      const loc = location(opts);
      const hotkey = await loadWalletHotkey(opts);
      const { loadColdkeyAddress, WalletError } = await import("../chain/wallet.js");
      let coldkey: string | { error: string };
      try {
        coldkey = (await loadColdkeyAddress(loc)).address;
      } catch (err) {
        if (!(err instanceof WalletError)) throw err;
        coldkey = { error: err.message };
      }
      if (opts.json) {
        const out = { wallet: loc.name, hotkeyName: loc.hotkey, hotkey: hotkey.address, coldkey };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `wallet   ${loc.name} (${loc.root})\nhotkey   ${loc.hotkey}  ${hotkey.address}\ncoldkey  ${typeof coldkey === "string" ? coldkey : `unavailable: ${coldkey.error}`}\n`,
      );
    });
}
