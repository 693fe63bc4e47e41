// Bittensor wallet folders (btwallet layout): `<root>/<name>/hotkeys/<hotkey>` (JSON keyfile with the
// secret) and `<root>/<name>/coldkeypub.txt` (address only); see wallet-path.ts for the root. Only
// unencrypted keyfiles are read: validators and miners run unattended, and btcli creates hotkeys
// unencrypted by default.
import { readFile } from "node:fs/promises";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { hexToU8a, u8aEq } from "@polkadot/util";
import { cryptoWaitReady, decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { z } from "zod";
import { coldkeypubPath, hotkeyPath, WALLET_PATH_ENV, type WalletLocation } from "./wallet-path.js";

export const SS58_PREFIX = 42;

export class WalletError extends Error {}

const keyfileSchema = z.object({
  ss58Address: z.string(),
  secretSeed: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "secretSeed must be 0x and 64 hex digits")
    .nullish(),
  secretPhrase: z.string().nullish(),
  publicKey: z.string().nullish(),
});
const pubfileSchema = z.object({ ss58Address: z.string() });

/** Names the unsupported keyfile formats btwallet can write, by their leading bytes. */
function unsupportedFormat(text: string): string | undefined {
  if (text.startsWith("$NACL")) return "encrypted (NaCl)";
  if (text.startsWith("$ANSIBLE_VAULT")) return "encrypted (legacy ansible-vault)";
  if (text.startsWith("gAAAAA")) return "encrypted (legacy Fernet)";
  return undefined;
}

async function readKeyfile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WalletError(
      code === "ENOENT"
        ? `no ${what} file at ${path} (check --wallet-name/--wallet-hotkey, or --wallet-path / $${WALLET_PATH_ENV})`
        : `cannot read ${what} file ${path}: ${(err as Error).message}`,
    );
  }
  const format = unsupportedFormat(text);
  if (format)
    throw new WalletError(
      `${what} file ${path} is ${format}; encrypted keyfiles are not supported: use an unencrypted hotkey (btcli wallet new_hotkey creates one unencrypted by default, or regen_hotkey without --use-password)`,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new WalletError(`${what} file ${path} is not JSON (expected a btwallet keyfile)`);
  }
}

function checkAddress(path: string, what: string, address: string): Uint8Array {
  try {
    return decodeAddress(address);
  } catch {
    throw new WalletError(`${what} file ${path} has an invalid ss58Address ${address}`);
  }
}

function fieldIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`).join("; ");
}

export interface Hotkey {
  pair: KeyringPair;
  /** SS58 (prefix 42). */
  address: string;
  path: string;
}

/** Reads the hotkey keyfile into an sr25519 pair and checks it derives the address it claims. */
export async function loadHotkey(w: WalletLocation): Promise<Hotkey> {
  const path = hotkeyPath(w);
  const data = keyfileSchema.safeParse(await readKeyfile(path, "hotkey"));
  if (!data.success) throw new WalletError(`hotkey file ${path}: ${fieldIssues(data.error)}`);
  const { ss58Address, secretSeed, secretPhrase } = data.data;
  const claimed = checkAddress(path, "hotkey", ss58Address);
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519", ss58Format: SS58_PREFIX });
  let pair: KeyringPair;
  if (secretSeed) pair = keyring.addFromSeed(hexToU8a(secretSeed));
  else if (secretPhrase) {
    try {
      pair = keyring.addFromUri(secretPhrase);
    } catch (err) {
      throw new WalletError(`hotkey file ${path}: secretPhrase: ${(err as Error).message}`);
    }
  } else throw new WalletError(`hotkey file ${path} has neither secretSeed nor secretPhrase`);
  if (!u8aEq(pair.publicKey, claimed))
    throw new WalletError(
      `hotkey file ${path}: its secret derives ${pair.address}, not the ss58Address ${ss58Address} it claims`,
    );
  return { pair, address: encodeAddress(pair.publicKey, SS58_PREFIX), path };
}

/** The coldkey's address from `coldkeypub.txt` (never the encrypted coldkey). */
export async function loadColdkeyAddress(
  w: Omit<WalletLocation, "hotkey">,
): Promise<{ address: string; path: string }> {
  const path = coldkeypubPath(w);
  const data = pubfileSchema.safeParse(await readKeyfile(path, "coldkeypub"));
  if (!data.success) throw new WalletError(`coldkeypub file ${path}: ${fieldIssues(data.error)}`);
  const publicKey = checkAddress(path, "coldkeypub", data.data.ss58Address);
  return { address: encodeAddress(publicKey, SS58_PREFIX), path };
}
