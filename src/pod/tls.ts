// TLS between the validator and its pods. A pod serves HTTPS with a certificate that no CA signed (a
// rented pod is a bare IP address that comes and goes); the validator pins the certificate's SHA-256
// fingerprint instead and checks it before it sends a byte, so neither the token nor a report ever
// crosses the network in the clear or to an impostor. For a rented pod the validator makes the key
// pair and the token and passes them in the launch configuration's secrets; a static pod makes its
// own and prints the fingerprint for its operator to pin.
import { randomBytes, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type TLSSocket } from "node:tls";
import { Agent, buildConnector } from "undici";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { isLoopbackRegistry } from "../runtime/docker/registry.js";
import { TOKEN_ENV } from "./auth.js";

/** The environment variables that hold a pod's private key and certificate as PEM text. */
export const TLS_KEY_ENV = "CACHEON_POD_TLS_KEY";
export const TLS_CERT_ENV = "CACHEON_POD_TLS_CERT";

/** A pod's TLS key pair, PEM, and its certificate's SHA-256 fingerprint (the form `pin` takes). */
export interface PodTlsIdentity {
  keyPem: string;
  certPem: string;
  /** Colon hex, upper case, as Node's X509Certificate.fingerprint256 and openssl print it. */
  fingerprint: string;
}

/** What a validator makes for one rented pod: its TLS identity and its bearer token. */
export interface PodCredentials extends PodTlsIdentity {
  token: string;
}

/**
 * A fingerprint as an operator may paste it: colon hex (`AB:CD:…`, openssl's and Node's form) or 64
 * hex digits, either case; normalised to upper-case colon hex. Null when it is neither.
 */
export function parseFingerprint(text: string): string | null {
  const t = text.trim();
  const hex = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i.test(t)
    ? t.replaceAll(":", "")
    : /^[0-9a-f]{64}$/i.test(t)
      ? t
      : null;
  return hex === null ? null : (hex.toUpperCase().match(/../g) as string[]).join(":");
}

/**
 * Checks that `keyPem` is the private key of `certPem` and answers the pair with its fingerprint;
 * a one-line Error naming `source` otherwise.
 */
export function tlsIdentity(keyPem: string, certPem: string, source: string): PodTlsIdentity {
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(certPem).fingerprint256;
  } catch {
    throw new Error(`${source}: the certificate is not a PEM X.509 certificate`);
  }
  try {
    createSecureContext({ key: keyPem, cert: certPem });
  } catch (err) {
    const why = /key values mismatch/i.test((err as Error).message)
      ? "the private key is not the certificate's"
      : "the private key is not a PEM private key";
    throw new Error(`${source}: ${why}`);
  }
  return { keyPem, certPem, fingerprint };
}

/** A fresh EC P-256 key pair and a self-signed certificate valid for `days`. */
export async function makeTlsIdentity(days: number): Promise<PodTlsIdentity> {
  // Loaded here: only a pod's first start and a rental make one.
  const { default: selfsigned } = await import("selfsigned");
  const made = await selfsigned.generate([{ name: "commonName", value: "cacheon-pod" }], {
    keyType: "ec",
    algorithm: "sha256",
    days,
  } as Parameters<typeof selfsigned.generate>[1]);
  return tlsIdentity(made.private, made.cert, "a made certificate");
}

/**
 * The key pair and token for one rental (the renting provider passes them to the pod with
 * `podCredentialsEnv`, and pins `fingerprint`). The certificate outlives any sensible rental; a pin
 * does not look at dates anyway.
 */
export async function makePodCredentials(days = 30): Promise<PodCredentials> {
  return { ...(await makeTlsIdentity(days)), token: randomBytes(32).toString("hex") };
}

/** The environment `cacheon pod serve` reads them from (a launch script's secrets). */
export function podCredentialsEnv(c: PodCredentials): Record<string, string> {
  return { [TOKEN_ENV]: c.token, [TLS_KEY_ENV]: c.keyPem, [TLS_CERT_ENV]: c.certPem };
}

/** Where a static pod keeps the identity it made itself: key and certificate in one file. */
export const SELF_MADE_FILE = "tls.pem";

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

/**
 * The identity a pod without a given certificate serves: made at its first start and kept in its
 * state directory (one file, written whole, readable by its owner only), so its fingerprint, once
 * pinned, stays the same across restarts and upgrades. `made`: it was made now.
 */
export async function selfMadeIdentity(
  stateDir: string,
): Promise<{ identity: PodTlsIdentity; made: boolean; file: string }> {
  const file = join(stateDir, SELF_MADE_FILE);
  if (existsSync(file)) {
    const blocks = [...readFileSync(file, "utf8").matchAll(PEM_BLOCK)].map((m) => m[0]);
    const key = blocks.find((b) => /^-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/.test(b));
    const cert = blocks.find((b) => b.startsWith("-----BEGIN CERTIFICATE-----"));
    if (key === undefined || cert === undefined)
      throw new Error(
        `${file} does not hold a private key and a certificate: remove it to make new ones`,
      );
    return { identity: tlsIdentity(key, cert, file), made: false, file };
  }
  // No date a pin would notice: ten years, so the pod never needs a new pin for age alone.
  const identity = await makeTlsIdentity(3650);
  writeFileAtomic(file, `${identity.keyPem.trim()}\n${identity.certPem.trim()}\n`, { mode: 0o600 });
  return { identity, made: true, file };
}

/** Whether `host` (a hostname, an address, bracketed or not) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  // The registry's rule is the same one: localhost, 127.0.0.0/8 and ::1, however spelled.
  return isLoopbackRegistry(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
}

export class PodAddressError extends Error {}

/** Where a pod is: its base URL (no fragment, no trailing slash) and the pin for an https one. */
export interface PodAddress {
  url: string;
  fingerprint: string | null;
}

/**
 * A pod's address as an operator writes it: `https://HOST:PORT#sha256=FINGERPRINT` (the pin rides
 * in the fragment, which is never sent) or `http://HOST:PORT` on loopback; `fingerprint` may be given
 * apart instead. Plain http to another host needs `insecureHttp`: the token would travel in the clear.
 */
export function parsePodAddress(
  address: string,
  o: { fingerprint?: string; insecureHttp?: boolean } = {},
): PodAddress {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new PodAddressError(
      `${JSON.stringify(address)} is not a URL (e.g. https://10.0.0.2:8750)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new PodAddressError(
      `${address}: a pod's URL is https:// or http://, not ${url.protocol}`,
    );
  let pin: string | null = null;
  if (url.hash !== "") {
    const m = /^#sha256=(.*)$/i.exec(url.hash);
    pin = m ? parseFingerprint(decodeURIComponent(m[1] as string)) : null;
    if (pin === null)
      throw new PodAddressError(
        `${address}: the part after # must be sha256=FINGERPRINT (colon hex, as pod serve prints it)`,
      );
  }
  if (o.fingerprint !== undefined) {
    const given = parseFingerprint(o.fingerprint);
    if (given === null)
      throw new PodAddressError(
        `${JSON.stringify(o.fingerprint)} is not a SHA-256 fingerprint (32 colon-separated hex bytes)`,
      );
    if (pin !== null && pin !== given)
      throw new PodAddressError(`${address}: two different fingerprints are given for it`);
    pin = given;
  }
  url.hash = "";
  const base = url.toString().replace(/\/+$/, "");
  if (url.protocol === "https:") {
    if (pin === null)
      throw new PodAddressError(
        `${base}: an https pod needs its certificate's fingerprint: ${base}#sha256=AB:CD:… (pod serve prints it)`,
      );
    return { url: base, fingerprint: pin };
  }
  if (pin !== null)
    throw new PodAddressError(`${address}: a fingerprint pins an https:// pod, not an http:// one`);
  if (!isLoopbackHost(url.hostname) && o.insecureHttp !== true)
    throw new PodAddressError(
      `${base}: plain http to another host sends the token in the clear: serve the pod over https and pin it, or allow it explicitly`,
    );
  return { url: base, fingerprint: null };
}

/** The pod's certificate is not the pinned one: the connection was closed before anything was sent. */
export class PinMismatchError extends Error {
  readonly code = "CACHEON_PIN_MISMATCH";
  constructor(
    readonly expected: string,
    readonly seen: string | null,
  ) {
    super(
      `its certificate's sha256 fingerprint is ${seen ?? "(none)"}, not the pinned ${expected}: nothing was sent`,
    );
  }
}

/**
 * An undici dispatcher whose every connection is TLS to a server presenting the certificate with
 * `fingerprint`. The CA chain and the name are not checked (no CA signs a pod's certificate); the
 * pin replaces both, checked on the handshake's certificate before undici writes any request. No
 * session resumption, so every connection shows its certificate.
 */
export function pinnedAgent(fingerprint: string): Agent {
  const connect = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  return new Agent({
    connect(options, callback) {
      connect(options, (err, socket) => {
        if (err !== null) return callback(err, null);
        const seen = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? null;
        if (seen !== fingerprint) {
          socket.destroy();
          return callback(new PinMismatchError(fingerprint, seen), null);
        }
        callback(null, socket);
      });
    },
  });
}

/** How `pod serve` answers: with a given certificate, its self-made one, or plain HTTP. */
export type PodTransport = "given" | "self-made" | "http";

/**
 * The transport of a pod listening on `host`: a given certificate wins; without one, plain HTTP
 * only on loopback or when `insecureHttp` asks for it, else the self-made certificate
 * (`selfSigned` asks for it on loopback too). Asking for two of them is a one-line Error.
 */
export function podTransport(o: {
  host: string;
  given: boolean;
  selfSigned: boolean;
  insecureHttp: boolean;
}): PodTransport {
  const asked = [
    o.given && "a certificate",
    o.selfSigned && "--self-signed",
    o.insecureHttp && "--insecure-http",
  ].filter((x): x is string => x !== false);
  if (asked.length > 1) throw new Error(`choose one of ${asked.join(" and ")}`);
  if (o.given) return "given";
  if (o.selfSigned) return "self-made";
  return o.insecureHttp || isLoopbackHost(o.host) ? "http" : "self-made";
}
