// Anonymous pull tokens, the way Docker Hub, ghcr.io and most public registries hand them out: a 401
// with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a GET on the realm for a token scoped
// to pulling one repository, the token cached for its lifetime. Pure rules and the cache; the
// requests are the registry client's.
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

/**
 * Where to ask for a pull token for `repository`, or why not: the realm must be https, or plain
 * http where `insecure` allows it for the realm's host (as for the registry itself).
 */
export function tokenUrl(
  challenge: BearerChallenge,
  repository: string,
  insecure: (host: string) => boolean,
): URL | string {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch {
    return `token realm ${JSON.stringify(challenge.realm.slice(0, 200))} is not a URL`;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && insecure(url.host)))
    return `${realmName(url)} is not https`;
  if (challenge.service !== undefined) url.searchParams.set("service", challenge.service);
  // Our own scope, not the challenge's: a pull of this repository is all we ever ask for.
  url.searchParams.set("scope", `repository:${repository}:pull`);
  return url;
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
