// The pod's bearer token: long enough to resist guessing, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";

export const MIN_TOKEN_LENGTH = 16;

/** The environment variable that holds a pod's bearer token when no token file is given. */
export const TOKEN_ENV = "CACHEON_POD_TOKEN";

/** The token as given (file contents or env), trimmed; throws a one-line Error when unusable. */
export function checkToken(raw: string, source: string): string {
  const token = raw.trim();
  if (token.length === 0) throw new Error(`${source} is empty`);
  if (token.length < MIN_TOKEN_LENGTH)
    throw new Error(
      `${source} holds a token of ${token.length} characters: use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 32)`,
    );
  if (/\s/.test(token)) throw new Error(`${source} holds a token with whitespace in it`);
  return token;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Whether an Authorization header carries `Bearer <token>`; hashing first makes the lengths equal. */
export function bearerMatches(token: string, header: string | undefined): boolean {
  const given = /^Bearer (\S+)$/i.exec(header ?? "")?.[1] ?? "";
  return timingSafeEqual(sha256(token), sha256(given)) && given.length > 0;
}
