// Decoding and checking signed v4 extrinsics the way the runtime does: the transaction extensions
// are read from the metadata (explicit part from the extrinsic, implicit part supplied by the
// chain), and the sr25519/ed25519 signature is verified over call ++ explicit ++ implicit (blake2
// hashed past 256 bytes). Runtime 424's custom extensions (SudoTransactionExtension,
// CheckShieldedTxValidity, SubtensorTransactionExtension, DrandPriority) are `()` on both sides in
// the metadata, so they add no bytes; anything else unknown that would add bytes is refused.
import type { Call } from "@polkadot/types/interfaces";
import { compactFromU8a, u8aConcat, u8aToHex, u8aToU8a } from "@polkadot/util";
import {
  blake2AsHex,
  blake2AsU8a,
  ed25519Verify,
  encodeAddress,
  sr25519Verify,
} from "@polkadot/util-crypto";
import { SUPPORTED_CALLS } from "./dispatch.js";
import { type Runtime, SPEC_VERSION, SS58_FORMAT, TRANSACTION_VERSION } from "./runtime.js";

/** A transaction-pool rejection, answered as a JSON-RPC error with Substrate's codes and texts. */
export class PoolError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly data?: string,
  ) {
    super(data ? `${reason}: ${data}` : reason);
  }
}

const badFormat = (why: string) => new PoolError(1001, "Extrinsic has invalid format", why);
export const invalidTx = (why: string) => new PoolError(1010, "Invalid Transaction", why);

export type Era = { immortal: true } | { immortal: false; period: number; phase: number };

export interface DecodedExtrinsic {
  hex: string;
  /** blake2_256 of the encoded extrinsic, as the api and the pool name it. */
  hash: string;
  signer: Uint8Array;
  signerAddress: string;
  signatureType: number;
  signature: Uint8Array;
  era: Era;
  nonce: number;
  metadataHashMode: number;
  call: Call;
  callBytes: Uint8Array;
  explicit: Uint8Array;
}

interface Extension {
  identifier: string;
  type: number;
  implicit: number;
}

function extensions(runtime: Runtime): Extension[] {
  const ext = runtime.metadata.asLatest.extrinsic as unknown as {
    transactionExtensions: {
      identifier: { toString(): string };
      type: { toNumber(): number };
      implicit: { toNumber(): number };
    }[];
  };
  return ext.transactionExtensions.map((e) => ({
    identifier: e.identifier.toString(),
    type: e.type.toNumber(),
    implicit: e.implicit.toNumber(),
  }));
}

function decodeEra(bytes: Uint8Array): Era {
  if (bytes.length === 1 && bytes[0] === 0) return { immortal: true };
  if (bytes.length !== 2) throw badFormat("bad era");
  const encoded = (bytes[0] ?? 0) + ((bytes[1] ?? 0) << 8);
  const period = 2 << (encoded % 16);
  const quantize = Math.max(period >> 12, 1);
  const phase = (encoded >> 4) * quantize;
  if (period < 4 || phase >= period) throw badFormat("bad era");
  return { immortal: false, period, phase };
}

/** The block an era was born in, seen from block `current` (sp_runtime::generic::Era::birth). */
export function eraBirth(era: Era, current: number): number {
  if (era.immortal) return 0;
  return (
    Math.floor((Math.max(current, era.phase) - era.phase) / era.period) * era.period + era.phase
  );
}

/** Structural decode of a signed v4 extrinsic (no signature check yet). */
export function decodeExtrinsic(runtime: Runtime, input: string): DecodedExtrinsic {
  let bytes: Uint8Array;
  try {
    bytes = u8aToU8a(input);
  } catch {
    throw badFormat("not hex");
  }
  const [offset, length] = compactFromU8a(bytes);
  const body = bytes.subarray(offset);
  if (body.length !== length.toNumber()) throw badFormat("length prefix does not match");
  const version = body[0] ?? 0;
  if ((version & 0x80) === 0)
    throw new PoolError(
      1011,
      "Unknown Transaction Validity",
      "Could not find an unsigned validator for the unsigned transaction",
    );
  if ((version & 0x3f) !== 4) throw badFormat(`unsupported extrinsic version ${version & 0x3f}`);
  let pos = 1;
  if (body[pos] !== 0) throw invalidTx("Invalid signing address");
  const signer = body.subarray(pos + 1, pos + 33);
  pos += 33;
  const signatureType = body[pos] ?? 0xff;
  const signatureLength = signatureType === 2 ? 65 : signatureType <= 1 ? 64 : -1;
  if (signatureLength < 0) throw badFormat("unknown signature type");
  const signature = body.subarray(pos + 1, pos + 1 + signatureLength);
  pos += 1 + signatureLength;
  const explicitStart = pos;
  let era: Era = { immortal: true };
  let nonce = 0;
  let metadataHashMode = 0;
  for (const ext of extensions(runtime)) {
    let value: { encodedLength: number; toJSON(): unknown };
    try {
      value = runtime.registry.createType(
        runtime.registry.createLookupType(ext.type),
        body.subarray(pos),
      ) as unknown as { encodedLength: number; toJSON(): unknown };
    } catch (err) {
      throw badFormat(`${ext.identifier}: ${(err as Error).message}`);
    }
    const raw = body.subarray(pos, pos + value.encodedLength);
    if (ext.identifier === "CheckMortality") era = decodeEra(raw);
    if (ext.identifier === "CheckNonce") nonce = Number(value.toJSON());
    if (ext.identifier === "CheckMetadataHash") metadataHashMode = raw[0] ?? 0;
    pos += value.encodedLength;
  }
  const explicit = body.subarray(explicitStart, pos);
  const callBytes = body.subarray(pos);
  let call: Call;
  try {
    call = runtime.registry.createType("Call", callBytes);
  } catch (err) {
    throw badFormat(`cannot decode the call: ${(err as Error).message}`);
  }
  if (call.encodedLength !== callBytes.length) throw badFormat("trailing bytes after the call");
  if (signer.length !== 32 || signature.length !== signatureLength || pos > body.length)
    throw badFormat("truncated");
  return {
    hex: u8aToHex(bytes),
    hash: blake2AsHex(bytes),
    signer,
    signerAddress: encodeAddress(signer, SS58_FORMAT),
    signatureType,
    signature,
    era,
    nonce,
    metadataHashMode,
    call,
    callBytes,
    explicit,
  };
}

export function callName(call: Call): string {
  return `${call.section}.${call.method}`;
}

export interface SigningContext {
  genesisHash: string;
  /** The hash of block n, if the chain still knows it. */
  blockHash(n: number): string | undefined;
}

/**
 * The checks the runtime's validate_transaction makes before the pool takes a transaction, at
 * block `current`: a supported call, the birth block known, the signature over the real payload.
 */
export function verifyExtrinsic(
  runtime: Runtime,
  tx: DecodedExtrinsic,
  current: number,
  ctx: SigningContext,
): void {
  if (!SUPPORTED_CALLS.includes(callName(tx.call)))
    throw invalidTx(
      `Transaction call is not expected (the local chain executes only ${SUPPORTED_CALLS.join(", ")}; got ${callName(tx.call)})`,
    );
  if (tx.metadataHashMode !== 0)
    throw invalidTx(
      "CheckMetadataHash mode Enabled is not supported by the local chain (sign with the mode disabled)",
    );
  const birth = eraBirth(tx.era, current);
  const birthHash = tx.era.immortal ? ctx.genesisHash : ctx.blockHash(birth);
  if (!birthHash) throw invalidTx("Transaction has an ancient birth block");
  const implicit: Uint8Array[] = [];
  for (const ext of extensions(runtime)) {
    switch (ext.identifier) {
      case "CheckSpecVersion":
        implicit.push(runtime.registry.createType("u32", SPEC_VERSION).toU8a());
        break;
      case "CheckTxVersion":
        implicit.push(runtime.registry.createType("u32", TRANSACTION_VERSION).toU8a());
        break;
      case "CheckGenesis":
        implicit.push(u8aToU8a(ctx.genesisHash));
        break;
      case "CheckMortality":
        implicit.push(u8aToU8a(birthHash));
        break;
      case "CheckMetadataHash":
        implicit.push(new Uint8Array([0])); // None: mode Disabled
        break;
      default: {
        const empty = runtime.registry.createType(runtime.registry.createLookupType(ext.implicit));
        if (empty.encodedLength !== 0)
          throw invalidTx(`transaction extension ${ext.identifier} is not supported`);
      }
    }
  }
  const payload = u8aConcat(tx.callBytes, tx.explicit, ...implicit);
  const message = payload.length > 256 ? blake2AsU8a(payload) : payload;
  let ok = false;
  try {
    if (tx.signatureType === 1) ok = sr25519Verify(message, tx.signature, tx.signer);
    else if (tx.signatureType === 0) ok = ed25519Verify(message, tx.signature, tx.signer);
  } catch {
    // A malformed signature (e.g. not a ristretto255 point) is a bad signature, not a crash.
  }
  if (!ok) throw invalidTx("Transaction has a bad signature");
}
