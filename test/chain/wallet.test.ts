import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import { u8aToHex } from "@polkadot/util";
import { cryptoWaitReady, mnemonicGenerate } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadColdkeyAddress, loadHotkey, WalletError } from "../../src/chain/wallet.js";
import { walletRoot } from "../../src/chain/wallet-path.js";

let root: string;
const seed = new Uint8Array(32).fill(7);
let address: string;
let otherAddress: string;
const phrase = mnemonicGenerate(12);
let phraseAddress: string;

async function writeHotkey(name: string, hotkey: string, content: string): Promise<void> {
  await mkdir(join(root, name, "hotkeys"), { recursive: true });
  await writeFile(join(root, name, "hotkeys", hotkey), content);
}

beforeAll(async () => {
  await cryptoWaitReady();
  root = await mkdtemp(join(tmpdir(), "cacheon-wallet-"));
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  const pair = keyring.addFromSeed(seed);
  address = pair.address;
  otherAddress = keyring.addFromSeed(new Uint8Array(32).fill(9)).address;
  phraseAddress = keyring.addFromUri(phrase).address;
  const keyfile = {
    accountId: u8aToHex(pair.publicKey),
    publicKey: u8aToHex(pair.publicKey),
    privateKey: "0x00",
    secretPhrase: null,
    secretSeed: u8aToHex(seed),
    ss58Address: address,
  };
  await writeHotkey("w", "good", JSON.stringify(keyfile));
  await writeHotkey(
    "w",
    "phrase",
    JSON.stringify({ secretPhrase: phrase, ss58Address: phraseAddress }),
  );
  await writeHotkey("w", "mismatch", JSON.stringify({ ...keyfile, ss58Address: otherAddress }));
  await writeHotkey("w", "notjson", "{ this is not json");
  await writeHotkey("w", "noseed", JSON.stringify({ ss58Address: address }));
  await writeHotkey("w", "badseed", JSON.stringify({ ss58Address: address, secretSeed: "0x12" }));
  await writeHotkey("w", "badaddr", JSON.stringify({ ...keyfile, ss58Address: "5notanaddress" }));
  await writeHotkey("w", "nacl", "$NACL\x01\x02\x03binary");
  await writeHotkey("w", "vault", "$ANSIBLE_VAULT;1.1;AES256\n3132");
  await writeHotkey("w", "fernet", "gAAAAABkxyz");
  await writeFile(join(root, "w", "coldkeypub.txt"), JSON.stringify({ ss58Address: otherAddress }));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const load = (hotkey: string) => loadHotkey({ root, name: "w", hotkey });

describe("wallet files", () => {
  it("loads an unencrypted hotkey from its seed and checks the address", async () => {
    const hk = await load("good");
    expect(hk.address).toBe(address);
    expect(hk.pair.address).toBe(address);
    expect(hk.path).toBe(join(root, "w", "hotkeys", "good"));
    const msg = new Uint8Array([1, 2, 3]);
    expect(hk.pair.verify(msg, hk.pair.sign(msg), hk.pair.publicKey)).toBe(true);
  });
  it("falls back to the secret phrase", async () => {
    expect((await load("phrase")).address).toBe(phraseAddress);
  });
  it("reads the coldkey address from coldkeypub.txt", async () => {
    expect(await loadColdkeyAddress({ root, name: "w" })).toEqual({
      address: otherAddress,
      path: join(root, "w", "coldkeypub.txt"),
    });
  });
  it("gives one clear line for each bad file", async () => {
    const cases: [string, RegExp][] = [
      ["missing", /no hotkey file at .*hotkeys\/missing .*--wallet-path/],
      ["notjson", /is not JSON/],
      ["noseed", /neither secretSeed nor secretPhrase/],
      ["badseed", /secretSeed must be 0x and 64 hex/],
      ["badaddr", /invalid ss58Address/],
      ["mismatch", new RegExp(`derives ${address}, not the ss58Address ${otherAddress}`)],
      [
        "nacl",
        /encrypted \(NaCl\); encrypted keyfiles are not supported: use an unencrypted hotkey/,
      ],
      ["vault", /legacy ansible-vault/],
      ["fernet", /legacy Fernet/],
    ];
    for (const [hotkey, pattern] of cases) {
      const err = await load(hotkey).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, hotkey).toBeInstanceOf(WalletError);
      expect((err as Error).message, hotkey).toMatch(pattern);
      expect((err as Error).message).not.toContain("\n");
    }
    await expect(loadColdkeyAddress({ root, name: "nowallet" })).rejects.toThrow(/no coldkeypub/);
  });
  it("never puts the secret in an error", async () => {
    const err = (await load("mismatch").catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain(u8aToHex(seed).slice(2));
  });
  it("resolves the root: option, then BT_WALLET_PATH, then ~/.bittensor/wallets", () => {
    expect(walletRoot("/x", { BT_WALLET_PATH: "/y" })).toBe("/x");
    expect(walletRoot(undefined, { BT_WALLET_PATH: "/y" })).toBe("/y");
    expect(walletRoot(undefined, {})).toMatch(/\.bittensor\/wallets$/);
    expect(walletRoot(undefined, {}).startsWith("~")).toBe(false);
  });
});
