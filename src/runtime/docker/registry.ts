// What an image costs before pulling it: its manifest from the registry, verified against the pinned
// digest, summed over its compressed layers and config. The pod refuses an image this already
// proves too large, without downloading a byte of it. The registry (and its token realm) may be the
// miner's own, so every answer is size-capped, deadline-bound, content-checked and zod-parsed.
import { createHash } from "node:crypto";
import { Agent, type Dispatcher, request } from "undici";
import { z } from "zod";
import { describeNetworkError } from "../../contract/http.js";
import { type ImageRef, registryLocation } from "../../contract/image-ref.js";
import { formatZodIssues } from "../../contract/json-file.js";
import {
  NonPublicAddressError,
  nonPublicHost,
  PUBLIC_REALM_RULE,
  PUBLIC_REGISTRY_RULE,
  parseBearerChallenge,
  parseTokenAnswer,
  publicOnlyLookup,
  type RealmPolicy,
  realmName,
  TokenCache,
  tokenUrl,
} from "./registry-auth.js";

export type RegistryErrorKind =
  | "not_found"
  | "unauthorized"
  | "unreachable"
  | "bad_manifest"
  | "digest_mismatch"
  | "no_platform"
  | "not_public";

/** One line naming the image and what happened. */
export class RegistryError extends Error {
  /**
   * What a miner may be told: the message, less how a connection failed where it is `unreachable`
   * (refused, timed out, TLS), which says what listens where (the detail is for the pod's log).
   */
  readonly publicMessage: string;

  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    publicMessage?: string,
  ) {
    super(message);
    this.name = "RegistryError";
    this.publicMessage = publicMessage ?? message;
  }
}

export interface ManifestSummary {
  /** The digest asked for (the index's or the manifest's). */
  digest: string;
  /** The platform manifest's digest when `digest` named an index / manifest list. */
  platformDigest?: string;
  /** Sum of the compressed layer sizes plus the config blob, bytes. */
  compressedBytes: number;
  layers: number;
}

export interface Platform {
  os: string;
  architecture: string;
}

export interface ManifestOptions {
  /** The platform picked from an index; default linux/amd64. */
  platform?: Platform;
  /** Deadline of each request (manifest, token), ms; default 20 s. */
  timeoutMs?: number;
  /** Aborting rejects with the signal's reason, not a RegistryError. */
  signal?: AbortSignal;
  /** Registries spoken to over plain http; default: loopback hosts (localhost, 127.0.0.0/8, [::1]), as Docker treats them as insecure. */
  insecure?: (registry: string) => boolean;
  /** A registry on a loopback, private or link-local host; default false: public hosts only. */
  allowPrivateRegistry?: boolean;
  /**
   * Token realms on loopback, private or link-local hosts, and over plain http where `insecure`
   * allows the host; default false: https on a public host only (registry-auth.ts says why).
   */
  allowPrivateRealm?: boolean;
}

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

const Size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Descriptor = z.object({ digest: z.string(), size: Size });
const ImageManifest = z.object({ config: Descriptor, layers: z.array(Descriptor) });
const IndexEntry = z.object({
  // Index entries are fetched next, so their digest goes into a URL and is verified: sha256 only.
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 lowercase hex>"),
  platform: z
    .object({ os: z.string(), architecture: z.string(), variant: z.string().optional() })
    .optional(),
});
const ImageIndex = z.object({ manifests: z.array(IndexEntry) });
type IndexEntry = z.infer<typeof IndexEntry>;

type Parsed =
  | { kind: "manifest"; manifest: z.infer<typeof ImageManifest> }
  | { kind: "index"; index: z.infer<typeof ImageIndex> };

/** True for the hosts Docker speaks plain http to without configuration. */
export function isLoopbackRegistry(registry: string): boolean {
  let host: string;
  try {
    // The URL parser normalises the spellings: LOCALHOST, 127.1, [0::1].
    host = new URL(`http://${registry}`).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The index entry for `platform` (the first one, as Docker picks), if any. */
function selectPlatform(entries: IndexEntry[], platform: Platform): IndexEntry | undefined {
  return entries.find(
    (e) => e.platform?.os === platform.os && e.platform.architecture === platform.architecture,
  );
}

const platformName = (p: { os: string; architecture: string; variant?: string }): string =>
  [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/** What a request needs to know besides its URL: where errors go, the deadline, the auth scope. */
interface RegistryContext {
  /** The image as given, the start of every error. */
  image: string;
  registry: string;
  repository: string;
  timeoutMs: number;
  signal?: AbortSignal;
  insecure: (registry: string) => boolean;
  allowPrivateRegistry: boolean;
  realm: RealmPolicy;
}

const oneLine = (what: string): string => what.replace(/\s*\n\s*/g, " ");

const registryError = (
  ctx: RegistryContext,
  kind: RegistryErrorKind,
  what: string,
  publicWhat?: string,
): RegistryError =>
  new RegistryError(
    kind,
    `${ctx.image}: ${oneLine(what)}`,
    publicWhat === undefined ? undefined : `${ctx.image}: ${oneLine(publicWhat)}`,
  );

/** Connections that refuse to open to a name with a non-public address (by default, a registry's and a realm's). */
const publicOnly = new Agent({ connect: { lookup: publicOnlyLookup() } });

interface Answer {
  status: number;
  header(name: string): string | undefined;
  body: Buffer;
}

/** A body cap, and what an answer over it is (a miner's registry may send anything). */
interface Cap {
  bytes: number;
  kind: RegistryErrorKind;
}
const MANIFEST_CAP: Cap = { bytes: 4 << 20, kind: "bad_manifest" }; // distribution's own limit
const TOKEN_CAP: Cap = { bytes: 1 << 20, kind: "unauthorized" };

/**
 * One GET within the deadline, its body capped; a transport failure is `unreachable` (its detail
 * left out of the public message), a name with a non-public address (through `publicOnly`)
 * `unauthorized`.
 */
async function registryGet(
  ctx: RegistryContext,
  url: string,
  headers: Record<string, string>,
  cap: Cap,
  dispatcher?: Dispatcher,
): Promise<Answer> {
  const deadline = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([deadline, ctx.signal]) : deadline;
  const where = new URL(url).host;
  try {
    const res = await request(url, {
      method: "GET",
      headers,
      signal,
      ...(dispatcher && { dispatcher }),
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of res.body) {
      length += (chunk as Buffer).length;
      if (length > cap.bytes) {
        res.body.destroy();
        throw registryError(
          ctx,
          cap.kind,
          `${where} sent more than ${cap.bytes} bytes for ${new URL(url).pathname}`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return { status: res.statusCode, header, body: Buffer.concat(chunks) };
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (err instanceof RegistryError) throw err;
    if (err instanceof NonPublicAddressError)
      throw where === ctx.registry
        ? registryError(ctx, "not_public", `${err.message}; ${PUBLIC_REGISTRY_RULE}`)
        : registryError(ctx, "unauthorized", `token realm ${err.message}; ${PUBLIC_REALM_RULE}`);
    const code = (err as { code?: unknown }).code;
    const why = deadline.aborted
      ? `no answer within ${ctx.timeoutMs} ms`
      : typeof code === "string" && code.startsWith("ERR_SSL_")
        ? `TLS handshake failed (${code}); does it speak https?`
        : describeNetworkError(err);
    throw registryError(
      ctx,
      "unreachable",
      `${where} is unreachable: ${why}`,
      `${where} is unreachable`,
    );
  }
}

/** Anonymous tokens outlive one image: the pod checks many from the same registries. */
const tokens = new TokenCache();

/** A token from the realm a 401's challenge names, cached for the repository. */
async function fetchToken(ctx: RegistryContext, challengeHeader: string): Promise<string> {
  const challenge = parseBearerChallenge(challengeHeader);
  if (challenge === null) {
    const scheme = challengeHeader.trim().split(/\s+/)[0];
    throw registryError(
      ctx,
      "unauthorized",
      `${ctx.registry} answered 401 ${scheme ? `asking for ${scheme} credentials` : "without a challenge"}; only anonymous Bearer tokens are supported`,
    );
  }
  const url = tokenUrl(challenge, ctx.repository, ctx.realm);
  if (typeof url === "string") throw registryError(ctx, "unauthorized", url);
  const realm = realmName(url);
  const res = await registryGet(
    ctx,
    url.href,
    { accept: "application/json" },
    TOKEN_CAP,
    ctx.realm.allowPrivate ? undefined : publicOnly,
  );
  if (res.status !== 200)
    throw registryError(
      ctx,
      "unauthorized",
      `${realm} refused an anonymous pull token for ${ctx.repository} (HTTP ${res.status})`,
    );
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString("utf8"));
  } catch {
    throw registryError(ctx, "unauthorized", `${realm} answered with something other than JSON`);
  }
  const answer = parseTokenAnswer(json);
  if (typeof answer === "string")
    throw registryError(ctx, "unauthorized", `${realm} answered no token: ${answer}`);
  tokens.set(tokenKey(ctx), answer.token, answer.expiresInS);
  return answer.token;
}

const tokenKey = (ctx: RegistryContext): string => `${ctx.registry}/${ctx.repository}`;

/**
 * A GET with anonymous Bearer auth: with the cached token if there is one; on 401 with a fresh
 * token from the realm the challenge names, once more. A second 401 is left to the caller.
 */
async function authorizedGet(ctx: RegistryContext, url: string, cap: Cap): Promise<Answer> {
  const headers = { accept: ACCEPT };
  const cached = tokens.get(tokenKey(ctx));
  const dispatcher = ctx.allowPrivateRegistry ? undefined : publicOnly;
  const first = await registryGet(
    ctx,
    url,
    cached === undefined ? headers : { ...headers, authorization: `Bearer ${cached}` },
    cap,
    dispatcher,
  );
  if (first.status !== 401) return first;
  tokens.delete(tokenKey(ctx));
  const token = await fetchToken(ctx, first.header("www-authenticate") ?? "");
  return registryGet(ctx, url, { ...headers, authorization: `Bearer ${token}` }, cap, dispatcher);
}

/** The manifest or index stored under `digest`, its bytes verified against it. */
async function fetchManifest(ctx: RegistryContext, digest: string, base: string): Promise<Parsed> {
  const res = await authorizedGet(ctx, `${base}/manifests/${digest}`, MANIFEST_CAP);
  if (res.status === 404)
    throw registryError(ctx, "not_found", `${ctx.registry} has no manifest ${digest}`);
  if (res.status === 401 || res.status === 403)
    throw registryError(
      ctx,
      "unauthorized",
      `${ctx.registry} refused to serve ${ctx.repository} (HTTP ${res.status}; private images are not supported)`,
    );
  if (res.status !== 200)
    throw registryError(
      ctx,
      "unreachable",
      `${ctx.registry} answered HTTP ${res.status} for manifest ${digest}`,
    );
  const actual = `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
  if (actual !== digest)
    throw registryError(
      ctx,
      "digest_mismatch",
      `${ctx.registry} served bytes with digest ${actual} for manifest ${digest}`,
    );
  return parseManifest(ctx, digest, res.body, res.header("content-type"));
}

function parseManifest(
  ctx: RegistryContext,
  digest: string,
  body: Buffer,
  contentType: string | undefined,
): Parsed {
  const bad = (why: string) => registryError(ctx, "bad_manifest", `manifest ${digest} ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw bad("is not JSON");
  }
  const typed = z.object({ mediaType: z.string().optional() }).safeParse(json);
  if (!typed.success) throw bad("is not a JSON object");
  // OCI manifests may leave mediaType out of the body; the Content-Type header says it then.
  const mediaType = typed.data.mediaType ?? contentType?.split(";")[0]?.trim() ?? "";
  if (mediaType === OCI_INDEX || mediaType === DOCKER_LIST) {
    const index = ImageIndex.safeParse(json);
    if (!index.success) throw bad(`is not a valid index: ${formatZodIssues(index.error)}`);
    return { kind: "index", index: index.data };
  }
  if (mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST) {
    const manifest = ImageManifest.safeParse(json);
    if (!manifest.success) throw bad(`is not a valid manifest: ${formatZodIssues(manifest.error)}`);
    return { kind: "manifest", manifest: manifest.data };
  }
  throw bad(`has media type ${JSON.stringify(mediaType)}, none of the four supported`);
}

function summarise(manifest: z.infer<typeof ImageManifest>) {
  const layerBytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  return { compressedBytes: layerBytes + manifest.config.size, layers: manifest.layers.length };
}

/**
 * The compressed size of the image `ref` pins, from its registry's manifests alone. Rejects with a
 * RegistryError (or the signal's reason when aborted).
 */
export async function fetchManifestSummary(
  ref: ImageRef,
  opts: ManifestOptions = {},
): Promise<ManifestSummary> {
  const { registry, repository } = registryLocation(ref);
  const insecure = opts.insecure ?? isLoopbackRegistry;
  const ctx: RegistryContext = {
    image: ref.text,
    registry,
    repository,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: opts.signal,
    insecure,
    allowPrivateRegistry: opts.allowPrivateRegistry === true,
    realm: { allowPrivate: opts.allowPrivateRealm === true, insecure },
  };
  // A literal private address or a loopback name is refused before any connection; other names
  // when they resolve to one (publicOnly), so an image reference cannot aim the pod at its own
  // network either.
  const why = ctx.allowPrivateRegistry
    ? null
    : nonPublicHost(new URL(`http://${registry}`).hostname);
  if (why !== null)
    throw registryError(ctx, "not_public", `${registry} is on ${why}: ${PUBLIC_REGISTRY_RULE}`);
  const base = `${ctx.insecure(registry) ? "http" : "https"}://${registry}/v2/${repository}`;
  const top = await fetchManifest(ctx, ref.digest, base);
  if (top.kind === "manifest") return { digest: ref.digest, ...summarise(top.manifest) };
  const platform = opts.platform ?? DEFAULT_PLATFORM;
  const entry = selectPlatform(top.index.manifests, platform);
  if (!entry) {
    const present = new Set(
      top.index.manifests.flatMap((e) => (e.platform ? [platformName(e.platform)] : [])),
    );
    throw registryError(
      ctx,
      "no_platform",
      `no ${platformName(platform)} image in the index (it has ${present.size > 0 ? [...present].join(", ") : "no platforms"})`,
    );
  }
  const inner = await fetchManifest(ctx, entry.digest, base);
  if (inner.kind !== "manifest")
    throw registryError(
      ctx,
      "bad_manifest",
      `the ${platformName(platform)} entry ${entry.digest} is itself an index`,
    );
  return { digest: ref.digest, platformDigest: entry.digest, ...summarise(inner.manifest) };
}
