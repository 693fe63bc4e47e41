// Where Bittensor wallet files live (btwallet layout), without loading any crypto: the root is
// --wallet-path, else the env BT_WALLET_PATH, else ~/.bittensor/wallets.
import { homedir } from "node:os";
import { join } from "node:path";

export const WALLET_PATH_ENV = "BT_WALLET_PATH";

export interface WalletLocation {
  /** Folder holding the wallets (`~/.bittensor/wallets`). */
  root: string;
  name: string;
  hotkey: string;
}

/** --wallet-path, else $BT_WALLET_PATH, else ~/.bittensor/wallets; `~/` expands to the home folder. */
export function walletRoot(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = explicit ?? env[WALLET_PATH_ENV] ?? "~/.bittensor/wallets";
  return root === "~" || root.startsWith("~/") ? join(homedir(), root.slice(1)) : root;
}

export const hotkeyPath = (w: WalletLocation) => join(w.root, w.name, "hotkeys", w.hotkey);
export const coldkeypubPath = (w: Omit<WalletLocation, "hotkey">) =>
  join(w.root, w.name, "coldkeypub.txt");
