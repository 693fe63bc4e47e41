// Timelock encryption as the `tle` crate (rev 5416406, pinned by subtensor) does it: Boneh-Franklin
// IBE (FullIdent) on BLS12-381 with the drand round as the identity, wrapping a fresh AES-256-GCM
// key. Whoever holds the round's signature (the chain, once the pulse is stored) can decrypt.
// No domain-separation strings; H2(gt) = sha256(arkworks bytes of gt), H3(a,b) = sha256(a‖b) read
// big-endian mod r, H4(a) = sha256(a).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  decodeG1,
  decodeG2,
  type G1Point,
  G2_GENERATOR,
  type G2Point,
  gtToArkworksBytes,
  pairing,
  scalarFromBeBytes,
  TimelockError,
} from "./bls.js";
import { quicknetPublicKey, roundIdentity } from "./drand.js";
import {
  CIPHER_SUITE,
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  HASH_BYTES,
  parseTlockCiphertext,
  serializeTlockCiphertext,
} from "./wire.js";

/** The random inputs of one encryption; tests fix them, callers normally leave them out. */
export interface TlockRandomness {
  /** The AES-256 key, also the IBE message (32 bytes). */
  esk: Uint8Array;
  /** The FullIdent sigma (32 bytes). */
  sigma: Uint8Array;
  /** The GCM nonce (12 bytes). */
  nonce: Uint8Array;
}

export interface TlockEncryptOptions {
  /** The beacon's public key (default: drand quicknet). */
  publicKey?: G2Point;
  randomness?: TlockRandomness;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ (b[i] as number));
}

function h3(sigma: Uint8Array, esk: Uint8Array): bigint {
  const r = scalarFromBeBytes(sha256(sigma, esk));
  // Zero has probability 2^-255; refusing it keeps U a real point.
  if (r === 0n) throw new TimelockError("H3 gave the zero scalar");
  return r;
}

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n)
    throw new TimelockError(`${what} must be ${n} bytes, got ${bytes.length}`);
}

/** Encrypts `message` for an identity point Q (for drand, the round's hashed message). */
export function tlockEncryptForIdentity(
  message: Uint8Array,
  identity: G1Point,
  publicKey: G2Point,
  randomness: TlockRandomness,
): Uint8Array {
  const { esk, sigma, nonce } = randomness;
  checkLength(esk, HASH_BYTES, "esk");
  checkLength(sigma, HASH_BYTES, "sigma");
  checkLength(nonce, GCM_NONCE_BYTES, "the nonce");
  const r = h3(sigma, esk);
  const u = G2_GENERATOR.multiply(r).toBytes(true);
  const v = xor(sigma, sha256(gtToArkworksBytes(pairing(identity, publicKey.multiply(r)))));
  const w = xor(esk, sha256(sigma));
  const cipher = createCipheriv("aes-256-gcm", esk, nonce, { authTagLength: GCM_TAG_BYTES });
  const ciphertext = new Uint8Array(
    Buffer.concat([cipher.update(message), cipher.final(), cipher.getAuthTag()]),
  );
  return serializeTlockCiphertext({ u, v, w, ciphertext, nonce, cipherSuite: CIPHER_SUITE });
}

/** Encrypts `message` so that drand's signature of `round` decrypts it: plaintext + 244 bytes. */
export function tlockEncrypt(
  message: Uint8Array,
  round: number | bigint,
  opts: TlockEncryptOptions = {},
): Uint8Array {
  const randomness = opts.randomness ?? {
    esk: new Uint8Array(randomBytes(HASH_BYTES)),
    sigma: new Uint8Array(randomBytes(HASH_BYTES)),
    nonce: new Uint8Array(randomBytes(GCM_NONCE_BYTES)),
  };
  return tlockEncryptForIdentity(
    message,
    roundIdentity(round),
    opts.publicKey ?? quicknetPublicKey(),
    randomness,
  );
}

/**
 * Decrypts with the identity's key (for drand, the round's signature, 48 bytes). Throws
 * TimelockError when the bytes are malformed, the key is not this ciphertext's (another round),
 * or the AES-GCM tag does not verify.
 */
export function tlockDecrypt(wire: Uint8Array, signature: Uint8Array): Uint8Array {
  const ct = parseTlockCiphertext(wire);
  const u = decodeG2(ct.u);
  const sig = decodeG1(signature);
  const sigma = xor(ct.v, sha256(gtToArkworksBytes(pairing(sig, u))));
  const esk = xor(ct.w, sha256(sigma));
  // FullIdent's check: with the wrong key (or a serialisation mistake) sigma is noise and U differs.
  if (!G2_GENERATOR.multiply(h3(sigma, esk)).equals(u))
    throw new TimelockError("the signature does not open this ciphertext (another round's key?)");
  const tag = ct.ciphertext.subarray(ct.ciphertext.length - GCM_TAG_BYTES);
  const body = ct.ciphertext.subarray(0, ct.ciphertext.length - GCM_TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", esk, ct.nonce, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    throw new TimelockError("the AES-GCM tag does not verify: the body was altered");
  }
}
