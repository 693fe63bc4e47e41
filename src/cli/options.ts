// Parsers for command-line values, shared by the commands: each turns a bad value into a one-line
// CliError naming the option.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Arena, ArenaError, loadArena } from "../arena/index.js";
import { normalizeSeed } from "../arena/pool.js";
import { resolveNetwork } from "../chain/networks.js";
import { parseImageRef } from "../contract/image-ref.js";
import { RESERVED_SERVER_NAMES } from "../eval/server.js";
import type { NamedServer } from "../eval/session.js";
import { checkToken, TOKEN_ENV } from "../pod/auth.js";
import { SERVER_NAME } from "../pod/schema.js";
import { type PodAddress, PodAddressError, parsePodAddress } from "../pod/tls.js";
import { type GpuSelection, parseGpus } from "../runtime/docker/container-config.js";
import { type ServerSpec, ServerSpecSchema } from "../runtime/spec.js";
import { CliError } from "./errors.js";

/**
 * A whole number written in decimal digits only (no sign, exponent, fraction or spaces: "1e3" is
 * refused), from `min` to `max` (no upper bound but the safe integers when `max` is not given).
 */
export function integer(name: string, min: number, max?: number): (value: string) => number {
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (
      !/^\d+$/.test(value) ||
      !Number.isSafeInteger(n) ||
      n < min ||
      (max !== undefined && n > max)
    )
      throw new CliError(`${name} must be an integer ${range}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** `--port`: 0 to 65535 (0: any free port). */
export const parsePort = integer("--port", 0, 65535);

/** `--netuid`: a subnet id, a u16. */
export const parseNetuid = integer("--netuid", 0, 65535);

export function parsePositive(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new CliError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** `--gpus`: all, none or distinct GPU indices. */
export function parseGpusOption(value: string): GpuSelection {
  try {
    return parseGpus(value);
  } catch (err) {
    throw new CliError(`--gpus ${(err as Error).message}`);
  }
}

/** An http(s) base URL without a trailing slash. */
export function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(
      `--endpoint ${JSON.stringify(value)} is not a URL (expected e.g. http://127.0.0.1:8000)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--endpoint must be an http:// or https:// URL, got ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, "");
}

/** `[host:]port` (host default 127.0.0.1). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new CliError(`--http ${JSON.stringify(value)} must be [HOST:]PORT, e.g. 0.0.0.0:9108`);
  return { host: (m[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1"), port };
}

/** `--network`: finney, test, local or a ws(s):// URL, kept as given (the client resolves it). */
export function parseNetwork(value: string): string {
  try {
    resolveNetwork(value);
  } catch (err) {
    throw new CliError(`--network: ${(err as Error).message}`);
  }
  return value;
}

/**
 * `http(s)://…` (a running server), `reference:PROFILE[:VARIANT[@SEED]]` (a local process) or
 * `docker://IMAGE@sha256:…` (a container image, run by the Docker runtime).
 */
export function parseServerSpec(value: string, what: string): ServerSpec {
  if (value.startsWith("docker://")) {
    const parsed = parseImageRef(value.slice("docker://".length));
    if (!parsed.ok) throw new CliError(`${what}: ${parsed.reason}`);
    return { kind: "image", image: parsed.ref.text, args: [] };
  }
  const ref = /^reference:([^:]+)(?::([^@]+)(?:@(\d{1,10}))?)?$/.exec(value);
  const candidate = ref
    ? {
        kind: "reference",
        profile: ref[1],
        variant: ref[2] ?? "none",
        ...(ref[3] !== undefined ? { variantSeed: Number(ref[3]) } : {}),
      }
    : { kind: "url", url: value.replace(/\/+$/, "") };
  const parsed = ServerSpecSchema.safeParse(candidate);
  if (!parsed.success)
    throw new CliError(
      `${what} ${JSON.stringify(value)} is not an http(s) URL, reference:PROFILE[:VARIANT[@SEED]] (variants: cacheon reference serve --help) or docker://IMAGE@sha256:DIGEST`,
    );
  return parsed.data;
}

/** The arena's pinned baseline image runs with its pinned arguments, as a pod runs it. */
export function baselineSpec(value: string, arena: Arena): ServerSpec {
  const spec = parseServerSpec(value, "--baseline");
  return spec.kind === "image" && spec.image === arena.baseline.image
    ? { ...spec, args: arena.baseline.args }
    : spec;
}

/** `--candidate NAME=SERVER`, repeatable: the candidates so far and this one. */
export function parseCandidate(value: string, previous: NamedServer[] = []): NamedServer[] {
  const eq = value.indexOf("=");
  if (eq <= 0)
    throw new CliError(
      `--candidate ${JSON.stringify(value)} must be NAME=URL or NAME=reference:PROFILE`,
    );
  const name = value.slice(0, eq);
  if (!SERVER_NAME.test(name) || RESERVED_SERVER_NAMES.includes(name))
    throw new CliError(
      `--candidate name ${JSON.stringify(name)} must be 1-40 letters, digits, . _ - (and not ${RESERVED_SERVER_NAMES.map((n) => `"${n}"`).join(" or ")})`,
    );
  if (previous.some((c) => c.name === name))
    throw new CliError(`--candidate name ${name} is given twice`);
  return [...previous, { name, spec: parseServerSpec(value.slice(eq + 1), `--candidate ${name}`) }];
}

/** `--arena`: a preset name or a JSON file. */
export function arenaOption(value: string): Arena {
  try {
    return loadArena(value);
  } catch (err) {
    if (err instanceof ArenaError) throw new CliError(err.message);
    throw err;
  }
}

/** `--seed` of a session: hex, e.g. a block hash. */
export function seedOption(value: string): string {
  try {
    return normalizeSeed(value);
  } catch (err) {
    throw new CliError(`--seed: ${(err as Error).message}`);
  }
}

/** A fresh random seed, for sessions not tied to a block (no --seed). */
export const randomSeed = () => `0x${randomBytes(32).toString("hex")}`;

/**
 * A pod's address given as `flag`: `https://HOST:PORT#sha256=FINGERPRINT`, or `http://HOST:PORT` on
 * loopback, or anywhere with `insecureHttp` (the commands' `--pod-insecure-http`).
 */
export function podAddressOption(flag: string, value: string, insecureHttp: boolean): PodAddress {
  try {
    return parsePodAddress(value, { insecureHttp });
  } catch (err) {
    if (err instanceof PodAddressError) throw new CliError(`${flag} ${err.message}`);
    throw err;
  }
}

/** The text of the file an option names; a one-line CliError when it cannot be read. */
export function readOptionFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${flag} ${file}: ${code === "ENOENT" ? "no such file" : (code ?? (err as Error).message)}`,
    );
  }
}

/**
 * A pod's bearer token: from the file named by `flag` (`pod serve --token-file`, `--pod-token-file`
 * of the commands that use pods), else from $CACHEON_POD_TOKEN; one line when it is missing or too
 * weak.
 */
export function podToken(file: string | undefined, flag = "--token-file"): string {
  let raw: string;
  let source: string;
  if (file !== undefined) {
    source = `${flag} ${file}`;
    raw = readOptionFile(flag, file);
  } else {
    const env = process.env[TOKEN_ENV];
    if (env === undefined) throw new CliError(`give ${flag} FILE or set ${TOKEN_ENV}`);
    raw = env;
    source = TOKEN_ENV;
  }
  try {
    return checkToken(raw, source);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
