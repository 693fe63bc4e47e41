// Image references pinned by digest: `[registry[:port]/]path[:tag]@sha256:<64 hex>`, the OCI
// distribution reference grammar with the digest required. Miners commit one, the arena pins its
// baseline with one, and the Docker runtime pulls only what one names: the pinned image is part of
// the miner's contract, so the grammar lives here, below the arena, the chain and the runtime that
// all read it. Pure functions: the parser never throws, it returns why a reference is refused.

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

/** Docker Hub's registry host, for names without one (`vllm/vllm-openai`, `ubuntu`). */
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

export interface ImageRef {
  /** Repository name, registry included when given (`ghcr.io/acme/miner`). */
  name: string;
  tag?: string;
  /** `sha256:<64 lowercase hex>`. */
  digest: string;
  /** The canonical text, exactly as given: `name[:tag]@digest`. */
  text: string;
}

export type ImageRefRejectKind =
  | "missing-digest"
  | "tag-without-digest"
  | "malformed-digest"
  | "bad-reference";

export type ImageRefParse =
  | { ok: true; ref: ImageRef }
  | { ok: false; kind: ImageRefRejectKind; reason: string };

const reject = (kind: ImageRefRejectKind, reason: string): ImageRefParse => ({
  ok: false,
  kind,
  reason,
});

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

/** Parses a reference; every way it can be wrong has its own kind and reason. */
export function parseImageRef(text: string): ImageRefParse {
  const at = text.indexOf("@");
  if (at < 0) {
    const nameTag = checkNameTag(text);
    if (typeof nameTag === "string") return reject("bad-reference", nameTag);
    return nameTag.tag === undefined
      ? reject("missing-digest", `${JSON.stringify(text)} has no @sha256:<digest>`)
      : reject(
          "tag-without-digest",
          `${JSON.stringify(text)} names a tag without a digest (tags move; pin @sha256:<digest>)`,
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

/** True when `text` is a valid reference pinned by digest (for schemas). */
export const isPinnedImage = (text: string): boolean => parseImageRef(text).ok;

export interface RegistryLocation {
  /** `host[:port]` of the registry's HTTP API. */
  registry: string;
  /** The repository path on that registry (`library/ubuntu` for Docker Hub's official images). */
  repository: string;
}

/** Where a reference's manifests live, with Docker's rules for names without a registry. */
export function registryLocation(ref: Pick<ImageRef, "name">): RegistryLocation {
  const slash = ref.name.indexOf("/");
  const first = slash < 0 ? "" : ref.name.slice(0, slash);
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost"))
    return { registry: first, repository: ref.name.slice(slash + 1) };
  return {
    registry: DOCKER_HUB_REGISTRY,
    repository: slash < 0 ? `library/${ref.name}` : ref.name,
  };
}
