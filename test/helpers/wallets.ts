// //Alice's wallet files in btwallet's layout, for the commands that sign (the validator, weights).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEV_ADDRESSES } from "../../src/chain/local/chain.js";

// //Alice's secret seed (Substrate's well-known dev key).
export const ALICE_SEED = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a";

/** Writes wallet "v" (hotkey //Alice, coldkey //Bob) under `dir`; returns the CLI's wallet arguments. */
export async function aliceWallet(dir: string): Promise<string[]> {
  await mkdir(join(dir, "wallets", "v", "hotkeys"), { recursive: true });
  await writeFile(
    join(dir, "wallets", "v", "hotkeys", "default"),
    JSON.stringify({ secretSeed: ALICE_SEED, ss58Address: DEV_ADDRESSES.alice }),
  );
  await writeFile(
    join(dir, "wallets", "v", "coldkeypub.txt"),
    JSON.stringify({ ss58Address: DEV_ADDRESSES.bob }),
  );
  return ["--wallet-name", "v", "--wallet-path", join(dir, "wallets")];
}
