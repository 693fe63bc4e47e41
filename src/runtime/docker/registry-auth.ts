// Anonymous pull tokens, the way Docker Hub, ghcr.io and most public registries hand them out: a 401
// with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a GET on the realm for a token scoped
// to pulling one repository, the token cached for its lifetime. Pure rules and the cache; the
// requests are the registry client's.
//
// The realm is the miner's to name, and the pod asks it from inside the validator's network: a realm
// on loopback or a private address would let a miner probe the pod's own services (which ports
// answer, and how) through the reason its image fails with. So a realm must be https on a public
// host unless the arena allows private realms (`registry.allowPrivateHosts`, for loopback registries
// in tests and the demo). A literal address or a loopback name is refused here; any other name is
// resolved when the pod connects, and refused if any of its addresses is not public
// (`publicOnlyLookup`), so a name pointing at 127.0.0.1 gets no further than a literal would.
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from "node:dns";
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP } from "node:net";
import { z } from "zod";
import { formatZodIssues } from "../../contract/json-file.js";

export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

// auth-param = token "=" ( token / quoted-string ), RFC 7235.
const PARAM = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g;

/** The Bearer challenge of a WWW-Authenticate header; null for any other scheme or no realm. */
export function parseBearerChallenge(header: string): BearerChallenge | null {
  const match = /^\s*Bearer\s+/i.exec(header);
  if (!match) return null;
  const params = new Map<string, string>();
  for (const [, key, quoted, bare] of header.slice(match[0].length).matchAll(PARAM))
    if (key !== undefined)
      params.set(key.toLowerCase(), quoted?.replace(/\\(.)/g, "$1") ?? bare ?? "");
  const realm = params.get("realm");
  if (!realm) return null;
  const service = params.get("service");
  const scope = params.get("scope");
  return {
    realm,
    ...(service !== undefined && { service }),
    ...(scope !== undefined && { scope }),
  };
}

/** A realm as errors name it: without its query, which a miner's registry could fill with anything. */
export const realmName = (url: URL): string =>
  `token realm ${url.protocol}//${url.host}${url.pathname}`;

/** Addresses no public realm has: loopback, private, link-local, CGNAT, unspecified, multicast. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network": 0.0.0.0 reaches the host's own services
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata services among them
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking, used inside networks
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed inside some networks)
  ["ff00::", 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, "ipv6");

/** Whether an IP address (v4, or v6 without brackets) is public; IPv4-mapped v6 counts as its v4. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Why a realm's host (as a URL's `hostname` has it) is not a public one, or null when it may be:
 * a literal address that is not public, or a loopback name. Other names are checked where the pod
 * resolves them (publicOnlyLookup).
 */
export function nonPublicHost(hostname: string): string | null {
  const host = hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return "a loopback name";
  if (isIP(host) !== 0 && !isPublicAddress(host))
    return "a loopback, private or link-local address";
  return null;
}

/** Which realms the pod asks for a token. */
export interface RealmPolicy {
  /**
   * false (an arena's default): https on a public host only. true: any host, and plain http where
   * `insecure` allows the realm's host (as for the registry itself).
   */
  allowPrivate: boolean;
  insecure: (host: string) => boolean;
}

/** The hint a refused private realm carries, so a miner knows the rule and an operator the switch. */
export const PUBLIC_REALM_RULE =
  "a token realm must be https on a public host (an arena allows others with registry.allowPrivateHosts)";

/** The same rule for the registry an image reference names. */
export const PUBLIC_REGISTRY_RULE =
  "a registry must be on a public host (an arena allows others with registry.allowPrivateHosts)";

/** Where to ask for a pull token for `repository`, or why not (the policy refuses the realm). */
export function tokenUrl(
  challenge: BearerChallenge,
  repository: string,
  policy: RealmPolicy,
): URL | string {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch {
    return `token realm ${JSON.stringify(challenge.realm.slice(0, 200))} is not a URL`;
  }
  if (policy.allowPrivate) {
    if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.insecure(url.host)))
      return `${realmName(url)} is not https`;
  } else {
    if (url.protocol !== "https:") return `${realmName(url)} is not https`;
    const why = nonPublicHost(url.hostname);
    if (why !== null) return `${realmName(url)} is on ${why}: ${PUBLIC_REALM_RULE}`;
  }
  if (challenge.service !== undefined) url.searchParams.set("service", challenge.service);
  // Our own scope, not the challenge's: a pull of this repository is all we ever ask for.
  url.searchParams.set("scope", `repository:${repository}:pull`);
  return url;
}

/** The error a name resolving to a non-public address fails its connection with. */
export class NonPublicAddressError extends Error {
  readonly code = "ERR_CACHEON_NON_PUBLIC_ADDRESS";
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net/tls connections (undici's `connect` option) that resolves as `resolve` does
 * (default: the system resolver) and fails when any address of the name is not public, so no
 * connection to it is ever opened. Every address is checked, not only the one used: the connection
 * may try each.
 */
export function publicOnlyLookup(resolve: Resolver = dnsLookup) {
  return (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: LookupCallback,
  ): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address)))
        return callback(
          new NonPublicAddressError(
            `${hostname} resolves to a loopback, private or link-local address`,
          ),
          [],
        );
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** Distribution's token spec: a token lives 60 s when the answer does not say. */
const DEFAULT_EXPIRES_S = 60;

const TokenAnswer = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
  })
  .refine((a) => a.token !== undefined || a.access_token !== undefined, "has no token");

/** The token and its lifetime in seconds from a realm's JSON answer, or why it holds none. */
export function parseTokenAnswer(json: unknown): { token: string; expiresInS: number } | string {
  const parsed = TokenAnswer.safeParse(json);
  if (!parsed.success) return formatZodIssues(parsed.error);
  const token = (parsed.data.token ?? parsed.data.access_token) as string;
  return { token, expiresInS: parsed.data.expires_in ?? DEFAULT_EXPIRES_S };
}

/** Tokens per registry and repository, each until it expires. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  get(key: string, now = Date.now()): string | undefined {
    const entry = this.tokens.get(key);
    if (entry && entry.expiresAt > now) return entry.token;
    this.tokens.delete(key);
    return undefined;
  }

  set(key: string, token: string, expiresInS: number, now = Date.now()): void {
    // A pod sees many repositories over time: drop the expired ones rather than keep them all.
    for (const [k, e] of this.tokens) if (e.expiresAt <= now) this.tokens.delete(k);
    this.tokens.set(key, { token, expiresAt: now + expiresInS * 1000 });
  }

  delete(key: string): void {
    this.tokens.delete(key);
  }
}
