// The arkworks implementation itself as an oracle: ideal-lab5/timelock's `tle` crate compiled to
// WASM (@ideallabs/timelock_wasm_wrapper 1.0.0, the layout the chain reads; 0.3.x write another).
// Initialised synchronously from the .wasm bytes in node_modules: no fetch, no network.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initSync, tld, tle } from "@ideallabs/timelock_wasm_wrapper";

const require = createRequire(import.meta.url);
initSync({
  module: readFileSync(
    require.resolve("@ideallabs/timelock_wasm_wrapper/timelock_wasm_wrapper_bg.wasm"),
  ),
});

/** Encrypts for identity `id` (drand: sha256 of the round) under `publicKey` with AES key `esk`. */
export function arkworksEncrypt(
  id: Uint8Array,
  message: Uint8Array,
  esk: Uint8Array,
  publicKey: Uint8Array,
): Uint8Array {
  return Uint8Array.from(tle(id, message, esk, publicKey, "bls12_381") as number[]);
}

export function arkworksDecrypt(ciphertext: Uint8Array, signature: Uint8Array): Uint8Array {
  return Uint8Array.from(tld(ciphertext, signature, "bls12_381") as number[]);
}
