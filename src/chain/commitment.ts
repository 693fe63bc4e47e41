// A miner's on-chain commitment: one UTF-8 field `<name[:tag]>@sha256:<64 hex>` in the Commitments
// pallet. The encoder (miner side) and the strict parser (validator side) share one grammar: the OCI
// distribution reference grammar, with the digest pinned to sha256. Pure functions; the parser
// never throws on chain data, it returns the reason a commitment is rejected.
import { z } from "zod";

/** `Raw{N}` holds up to this many bytes. */
export const RAW_MAX_BYTES = 128;
/** `BigRaw` (runtime 424 and later) holds up to this many bytes. */
export const BIG_RAW_MAX_BYTES = 512;
/** distribution/reference's NameTotalLengthMax. */
const NAME_MAX_LENGTH = 255;

// distribution/reference regexp.go, anchored.
const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = new RegExp(`^(?:${host}(?::[0-9]+)?/)?${pathComponent}(?:/${pathComponent})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface ImageRef {
  /** Repository name, registry included when given (`ghcr.io/acme/miner`). */
  name: string;
  tag?: string;
  /** `sha256:<64 lowercase hex>`. */
  digest: string;
  /** The canonical text, exactly as committed: `name[:tag]@digest`. */
  text: string;
}

export type RejectKind =
  | "empty"
  | "extra-fields"
  | "not-raw"
  | "not-utf8"
  | "oversize"
  | "missing-digest"
  | "tag-without-digest"
  | "malformed-digest"
  | "bad-reference"
  | "malformed";

export type CommitmentParse =
  | { ok: true; ref: ImageRef }
  | { ok: false; kind: RejectKind; reason: string };

const reject = (kind: RejectKind, reason: string): CommitmentParse => ({ ok: false, kind, reason });

/** Splits `name[:tag]` where the last ':' after the last '/' starts the tag (a port comes before '/'). */
function splitTag(nameTag: string): { name: string; tag?: string } {
  const colon = nameTag.lastIndexOf(":");
  if (colon > nameTag.lastIndexOf("/"))
    return { name: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1) };
  return { name: nameTag };
}

function checkNameTag(nameTag: string): string | { name: string; tag?: string } {
  const { name, tag } = splitTag(nameTag);
  if (!NAME.test(name))
    return `${JSON.stringify(name)} is not a valid repository name (lowercase path components, optional registry host[:port]/)`;
  if (name.length > NAME_MAX_LENGTH)
    return `repository name is ${name.length} characters, above ${NAME_MAX_LENGTH}`;
  if (tag !== undefined && !TAG.test(tag))
    return `tag ${JSON.stringify(tag)} is not valid ([A-Za-z0-9_] then up to 127 of [A-Za-z0-9_.-])`;
  return tag === undefined ? { name } : { name, tag };
}

/** Parses the committed text; every way it can be wrong has its own kind and reason. */
export function parseCommitmentText(text: string): CommitmentParse {
  const at = text.indexOf("@");
  if (at < 0) {
    const nameTag = checkNameTag(text);
    if (typeof nameTag === "string") return reject("bad-reference", nameTag);
    return nameTag.tag === undefined
      ? reject("missing-digest", `${JSON.stringify(text)} has no @sha256:<digest>`)
      : reject(
          "tag-without-digest",
          `${JSON.stringify(text)} names a tag without a digest (tags move; commit @sha256:<digest>)`,
        );
  }
  const digest = text.slice(at + 1);
  if (!SHA256_DIGEST.test(digest))
    return reject(
      "malformed-digest",
      `digest ${JSON.stringify(digest.slice(0, 80))} is not sha256:<64 lowercase hex>`,
    );
  const nameTag = checkNameTag(text.slice(0, at));
  if (typeof nameTag === "string") return reject("bad-reference", nameTag);
  return { ok: true, ref: { ...nameTag, digest, text } };
}

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
