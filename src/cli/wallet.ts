// `cacheon wallet show`: a wallet's hotkey and coldkey addresses. Addresses only: no secret is ever
// printed. The wallet options are shared with the signing commands (chain-options.ts).
import type { Command } from "commander";
import {
  addWalletOptions,
  loadWalletHotkey,
  type WalletOptions,
  walletLocation,
} from "./chain-options.js";

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
      const loc = walletLocation(opts);
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
