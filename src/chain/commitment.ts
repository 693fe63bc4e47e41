// A miner's on-chain commitment: one UTF-8 field `<name[:tag]>@sha256:<64 hex>` in the Commitments
// pallet. The encoder (miner side) and the strict parser (validator side) share one grammar: the OCI
// distribution reference grammar, with the digest pinned to sha256 (contract/image-ref). Pure functions; the parser
// never throws on chain data, it returns the reason a commitment is rejected.
import { z } from "zod";
import { type ImageRef, type ImageRefRejectKind, parseImageRef } from "../contract/image-ref.js";

/** `Raw{N}` holds up to this many bytes. */
export const RAW_MAX_BYTES = 128;
/** `BigRaw` (runtime 424 and later) holds up to this many bytes. */
export const BIG_RAW_MAX_BYTES = 512;

export type { ImageRef };

export type RejectKind =
  | ImageRefRejectKind
  | "empty"
  | "extra-fields"
  | "not-raw"
  | "not-utf8"
  | "oversize"
  | "malformed";

export type CommitmentParse =
  | { ok: true; ref: ImageRef }
  | { ok: false; kind: RejectKind; reason: string };

const reject = (kind: RejectKind, reason: string): CommitmentParse => ({ ok: false, kind, reason });

/** Parses the committed text: an image reference pinned by digest. */
export const parseCommitmentText = (text: string): CommitmentParse => parseImageRef(text);

/** Decodes bytes as strict UTF-8 and parses them. */
export function parseCommitmentBytes(bytes: Uint8Array): CommitmentParse {
  if (bytes.length > BIG_RAW_MAX_BYTES)
    return reject("oversize", `${bytes.length} bytes, above ${BIG_RAW_MAX_BYTES}`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return reject("not-utf8", "the field is not valid UTF-8");
  }
  return parseCommitmentText(text);
}

const hexBytes = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/);
// One `Data` variant as @polkadot/types' toJSON writes it: `{ raw12: "0x…" }`, `{ none: null }`, …
const field = z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length === 1);
const commitmentInfo = z.object({ fields: z.array(field) });

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

/**
 * Parses a `CommitmentInfo` as @polkadot/types' `toJSON()` gives it (chain data: anything may be
 * there). Exactly one field, `Raw{N}` or `BigRaw`, holding a valid reference.
 */
export function parseCommitmentInfo(info: unknown): CommitmentParse {
  const parsed = commitmentInfo.safeParse(info);
  if (!parsed.success) return reject("malformed", "not a CommitmentInfo { fields: [Data] }");
  const { fields } = parsed.data;
  if (fields.length === 0) return reject("empty", "the commitment has no fields");
  if (fields.length > 1)
    return reject("extra-fields", `the commitment has ${fields.length} fields, expected exactly 1`);
  const [[variant, value]] = Object.entries(fields[0] as Record<string, unknown>) as [
    [string, unknown],
  ];
  const raw = /^raw(\d+)$/i.exec(variant);
  if (raw === null && variant.toLowerCase() !== "bigraw") {
    const name = variant.charAt(0).toUpperCase() + variant.slice(1);
    return reject(
      name === "None" ? "empty" : "not-raw",
      `the field is Data::${name}, not Raw or BigRaw text`,
    );
  }
  const hex = hexBytes.safeParse(value);
  if (!hex.success) return reject("malformed", `Data::${variant} does not hold bytes`);
  const bytes = hexToBytes(hex.data);
  if (raw !== null && bytes.length !== Number(raw[1]))
    return reject("malformed", `Data::Raw${raw[1]} holds ${bytes.length} bytes`);
  return parseCommitmentBytes(bytes);
}

/**
 * The miner side: `--image name[:tag]` and `--digest sha256:…` into the reference to commit.
 * Throws one line when either is wrong.
 */
export function commitmentRef(image: string, digest: string): ImageRef {
  if (image.includes("@"))
    throw new Error(`--image ${JSON.stringify(image)} already has a digest: pass it with --digest`);
  const parsed = parseCommitmentText(`${image}@${digest}`);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.ref;
}

export interface EncodedField {
  /** The `Data` variant: `Raw{N}` or `BigRaw`. */
  variant: string;
  bytes: Uint8Array;
}

/**
 * The `Data` field that carries the reference: `Raw{N}` up to 128 bytes, else `BigRaw` where the
 * runtime's `Data` enum has it (`variants`), else refused before anything is signed.
 */
export function encodeCommitmentField(ref: ImageRef, variants: ReadonlySet<string>): EncodedField {
  const bytes = new TextEncoder().encode(ref.text);
  if (bytes.length <= RAW_MAX_BYTES) return { variant: `Raw${bytes.length}`, bytes };
  if (!variants.has("BigRaw"))
    throw new Error(
      `the commitment is ${bytes.length} bytes, above Raw's ${RAW_MAX_BYTES}, and this runtime has no BigRaw: use a shorter image name`,
    );
  if (bytes.length > BIG_RAW_MAX_BYTES)
    throw new Error(`the commitment is ${bytes.length} bytes, above BigRaw's ${BIG_RAW_MAX_BYTES}`);
  return { variant: "BigRaw", bytes };
}
