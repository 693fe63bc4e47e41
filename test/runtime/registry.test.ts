import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { fetchManifestSummary, isLoopbackRegistry } from "../../src/runtime/docker/registry.js";
import {
  parseBearerChallenge,
  parseTokenAnswer,
  TokenCache,
  tokenUrl,
} from "../../src/runtime/docker/registry-auth.js";
import {
  DOCKER_CONFIG,
  DOCKER_LAYER,
  DOCKER_MANIFEST,
  imageRef,
  LOOPBACK,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
  refusal,
} from "../helpers/manifests.js";
import { closedPort } from "../helpers/ports.js";
import { sha256Digest } from "../helpers/registry.js";

// Loopback servers that misbehave in one precise way: what a miner's own registry could do.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FakeServer {
  host: string;
  /** Paths asked for, with their Authorization header. */
  seen: { path: string; auth?: string }[];
  close(): Promise<void>;
}

const fakes: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

async function startFake(handler: Handler): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const fake: FakeServer = { host: "", seen: [], close: async () => {} };
  const server = createServer((req, res) => {
    fake.seen.push({ path: req.url ?? "", auth: req.headers.authorization });
    handler(req, res);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  fakes.push(fake);
  return fake;
}

interface Served {
  body: string | Buffer;
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
}

/** A registry that serves `routes` by path (`/v2/<repo>/manifests/<digest>`), 404 otherwise. */
const startRegistry = (routes: Record<string, Served>) =>
  startFake((req, res) => {
    const served = routes[req.url ?? ""];
    if (!served) return void res.writeHead(404).end();
    res
      .writeHead(served.status ?? 200, {
        ...(served.contentType && { "content-type": served.contentType }),
        ...served.headers,
      })
      .end(served.body);
  });

function dockerManifest(layerSizes: number[], configSize = 100): string {
  const blob = (mediaType: string, size: number, i: number) => ({
    mediaType,
    size,
    digest: sha256Digest(`${mediaType}${i}`),
  });
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: blob(DOCKER_CONFIG, configSize, -1),
    layers: layerSizes.map((n, i) => blob(DOCKER_LAYER, n, i)),
  });
}

const manifestPath = (repository: string, digest: string) =>
  `/v2/${repository}/manifests/${digest}`;

describe("manifests from a registry that misbehaves", () => {
  it("sums any layer sizes exactly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 20 }),
        async (sizes, configSize) => {
          const body = dockerManifest(sizes, configSize);
          const digest = sha256Digest(body);
          const fake = await startRegistry({ [manifestPath("p/sum", digest)]: { body } });
          const summary = await fetchManifestSummary(
            imageRef(`${fake.host}/p/sum@${digest}`),
            LOOPBACK,
          );
          await fake.close();
          expect(summary).toStrictEqual({
            digest,
            compressedBytes: sizes.reduce((a, b) => a + b, 0) + configSize,
            layers: sizes.length,
          });
        },
      ),
      { numRuns: 15 },
    );
  });

  it("refuses bytes that are not the ones the digest names", async () => {
    const body = dockerManifest([10]);
    const asked = sha256Digest("other bytes");
    const fake = await startRegistry({ [manifestPath("p/lie", asked)]: { body } });
    const message = await refusal(imageRef(`${fake.host}/p/lie@${asked}`), "digest_mismatch");
    expect(message).toContain(
      `served bytes with digest ${sha256Digest(body)} for manifest ${asked}`,
    );
  });

  it("verifies the platform manifest an index points to as well", async () => {
    const real = dockerManifest([10]);
    const entry = sha256Digest(real);
    const indexBody = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: DOCKER_MANIFEST,
          digest: entry,
          size: real.length,
          platform: { os: "linux", architecture: "amd64" },
        },
      ],
    });
    const top = sha256Digest(indexBody);
    const fake = await startRegistry({
      [manifestPath("p/idx", top)]: { body: indexBody },
      [manifestPath("p/idx", entry)]: { body: dockerManifest([99999]) },
    });
    expect(await refusal(imageRef(`${fake.host}/p/idx@${top}`), "digest_mismatch")).toContain(
      `for manifest ${entry}`,
    );
  });

  const index = (entries: unknown[]) =>
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  const inner = index([]);
  it.each<[string, Served, string]>([
    ["not JSON", { body: "{nope" }, "is not JSON"],
    ["a JSON array", { body: "[1]" }, "is not a JSON object"],
    [
      "a negative layer size",
      { body: dockerManifest([5, -1]) },
      "is not a valid manifest: layers.1.size",
    ],
    [
      "a schema 1 manifest",
      {
        body: JSON.stringify({
          schemaVersion: 1,
          mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws",
        }),
      },
      'has media type "application/vnd.docker.distribution.manifest.v1+prettyjws", none of the four supported',
    ],
    [
      "an index entry not pinned by sha256",
      { body: index([{ digest: "sha512:abc", size: 1 }]) },
      "is not a valid index: manifests.0.digest",
    ],
    [
      "an index whose platform entry is an index",
      {
        body: index([
          {
            digest: sha256Digest(inner),
            size: inner.length,
            platform: { os: "linux", architecture: "amd64" },
          },
        ]),
      },
      `the linux/amd64 entry ${sha256Digest(inner)} is itself an index`,
    ],
    ["more than 4 MiB", { body: Buffer.alloc(5 << 20, 32) }, "sent more than 4194304 bytes"],
  ])("refuses %s as bad_manifest", async (_, served, why) => {
    const digest = sha256Digest(served.body);
    const fake = await startRegistry({
      [manifestPath("p/bad", digest)]: served,
      [manifestPath("p/bad", sha256Digest(inner))]: { body: inner },
    });
    expect(await refusal(imageRef(`${fake.host}/p/bad@${digest}`), "bad_manifest")).toContain(why);
  });

  it("takes an OCI manifest's type from Content-Type when the body leaves it out", async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: OCI_CONFIG, digest: sha256Digest("c"), size: 7 },
      layers: [{ mediaType: OCI_LAYER, digest: sha256Digest("l"), size: 11 }],
    });
    const digest = sha256Digest(body);
    const fake = await startRegistry({
      [manifestPath("p/oci", digest)]: { body, contentType: `${OCI_MANIFEST}; charset=utf-8` },
    });
    expect(
      await fetchManifestSummary(imageRef(`${fake.host}/p/oci@${digest}`), LOOPBACK),
    ).toStrictEqual({
      digest,
      compressedBytes: 18,
      layers: 1,
    });
  });

  it("says unreachable for an error status, a closed port, silence and TLS to plain http", async () => {
    const digest = sha256Digest("x");
    const failing = await startRegistry({
      [manifestPath("p/err", digest)]: { body: "", status: 500 },
    });
    expect(await refusal(imageRef(`${failing.host}/p/err@${digest}`), "unreachable")).toContain(
      "answered HTTP 500",
    );

    const port = await closedPort();
    expect(await refusal(imageRef(`127.0.0.1:${port}/p/x@${digest}`), "unreachable")).toContain(
      `127.0.0.1:${port} is unreachable: connection refused`,
    );

    const silent = await startFake(() => {});
    expect(
      await refusal(imageRef(`${silent.host}/p/x@${digest}`), "unreachable", { timeoutMs: 300 }),
    ).toContain("no answer within 300 ms");

    const plain = await startRegistry({});
    expect(
      await refusal(imageRef(`${plain.host}/p/x@${digest}`), "unreachable", {
        insecure: () => false,
      }),
    ).toContain("TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER); does it speak https?");
    expect(plain.seen.length).toBe(0);
  });

  it("rejects with the caller's reason when cancelled, not a RegistryError", async () => {
    const silent = await startFake(() => {});
    const controller = new AbortController();
    const pending = fetchManifestSummary(imageRef(`${silent.host}/p/x@${sha256Digest("x")}`), {
      ...LOOPBACK,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("session cancelled")), 50);
    await expect(pending).rejects.toThrow("session cancelled");
  });
});

/** A registry that wants `Bearer <token>` and a realm on the same server handing tokens out. */
async function startTokenRegistry(opts: {
  repository: string;
  manifest: string;
  /** The realm's answer, or its status when a number. */
  realm: (query: URLSearchParams) => Record<string, unknown> | number;
  /** The one token the registry takes. */
  accepts: () => string;
  challenge?: (host: string) => string;
}): Promise<FakeServer & { digest: string }> {
  const digest = sha256Digest(opts.manifest);
  const fake = await startFake((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname === "/token") {
      const answer = opts.realm(url.searchParams);
      if (typeof answer === "number") return void res.writeHead(answer).end();
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(answer));
    }
    if (req.headers.authorization !== `Bearer ${opts.accepts()}`) {
      const challenge =
        opts.challenge?.(fake.host) ??
        `Bearer realm="http://${fake.host}/token",service="fake.test",scope="repository:${opts.repository}:pull"`;
      return void res.writeHead(401, { "www-authenticate": challenge }).end();
    }
    if (url.pathname !== manifestPath(opts.repository, digest))
      return void res.writeHead(404).end();
    res.writeHead(200).end(opts.manifest);
  });
  return Object.assign(fake, { digest });
}

// These realms are on loopback, as only an arena that allows private realms asks them
// (registry-realm.test.ts has the policy).
describe("anonymous Bearer tokens", () => {
  const allow = { allowPrivateRegistry: true, allowPrivateRealm: true };
  const realmHits = (f: FakeServer) => f.seen.filter((s) => s.path.startsWith("/token")).length;

  it("fetches a pull token scoped to the repository, retries with it and caches it", async () => {
    const fake = await startTokenRegistry({
      repository: "acme/miner",
      manifest: dockerManifest([40, 2]),
      realm: (q) =>
        q.get("service") === "fake.test" && q.get("scope") === "repository:acme/miner:pull"
          ? { token: "good", expires_in: 300 }
          : 400,
      accepts: () => "good",
    });
    const ref = imageRef(`${fake.host}/acme/miner@${fake.digest}`);
    expect((await fetchManifestSummary(ref, allow)).compressedBytes).toBe(142);
    expect((await fetchManifestSummary(ref, allow)).compressedBytes).toBe(142);
    expect(realmHits(fake)).toBe(1);
    expect(fake.seen.map((s) => s.auth)).toEqual([
      undefined,
      undefined,
      "Bearer good",
      "Bearer good",
    ]);
  });

  it("takes access_token as well, and asks again once a cached token is refused", async () => {
    let issued = 0;
    let accepted = "t1";
    const fake = await startTokenRegistry({
      repository: "acme/other",
      manifest: dockerManifest([1]),
      realm: () => ({ access_token: `t${++issued}` }),
      accepts: () => accepted,
    });
    const ref = imageRef(`${fake.host}/acme/other@${fake.digest}`);
    await fetchManifestSummary(ref, allow);
    accepted = "t2";
    expect(await fetchManifestSummary(ref, allow)).toMatchObject({ compressedBytes: 101 });
    expect(fake.seen.map((s) => s.auth)).toEqual([
      undefined,
      undefined,
      "Bearer t1",
      "Bearer t1",
      undefined,
      "Bearer t2",
    ]);
  });

  it("says unauthorized when the realm refuses, its token is refused, or the scheme is not Bearer", async () => {
    const refusing = await startTokenRegistry({
      repository: "acme/private",
      manifest: dockerManifest([1]),
      realm: () => 401,
      accepts: () => "never",
    });
    expect(
      await refusal(
        imageRef(`${refusing.host}/acme/private@${refusing.digest}`),
        "unauthorized",
        allow,
      ),
    ).toContain(
      `token realm http://${refusing.host}/token refused an anonymous pull token for acme/private (HTTP 401)`,
    );

    const useless = await startTokenRegistry({
      repository: "acme/private",
      manifest: dockerManifest([1]),
      realm: () => ({ token: "not-enough" }),
      accepts: () => "never",
    });
    expect(
      await refusal(
        imageRef(`${useless.host}/acme/private@${useless.digest}`),
        "unauthorized",
        allow,
      ),
    ).toContain("refused to serve acme/private (HTTP 401");

    const basic = await startTokenRegistry({
      repository: "acme/private",
      manifest: dockerManifest([1]),
      realm: () => 500,
      accepts: () => "never",
      challenge: () => 'Basic realm="registry"',
    });
    expect(
      await refusal(imageRef(`${basic.host}/acme/private@${basic.digest}`), "unauthorized", allow),
    ).toContain("answered 401 asking for Basic credentials");
  });

  it("never asks a realm that is plain http on a host not allowed insecure", async () => {
    const fake = await startTokenRegistry({
      repository: "acme/private",
      manifest: dockerManifest([1]),
      realm: () => ({ token: "good" }),
      accepts: () => "good",
      challenge: () => 'Bearer realm="http://auth.example.invalid/token"',
    });
    expect(
      await refusal(imageRef(`${fake.host}/acme/private@${fake.digest}`), "unauthorized", allow),
    ).toContain("token realm http://auth.example.invalid/token is not https");
    expect(realmHits(fake)).toBe(0);
  });
});

describe("auth and transport rules", () => {
  const quote = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;

  it("parses any Bearer challenge back, quoted strings unescaped, in any order", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.option(fc.string()),
        fc.option(fc.string()),
        fc.boolean(),
        fc.constantFrom("Bearer", "bearer", "BEARER"),
        (realm, service, scope, reversed, scheme) => {
          const params = [
            `realm=${quote(realm)}`,
            ...(service === null ? [] : [`service=${quote(service)}`]),
            ...(scope === null ? [] : [`scope=${quote(scope)}`]),
          ];
          if (reversed) params.reverse();
          expect(parseBearerChallenge(`${scheme} ${params.join(",")}`)).toStrictEqual({
            realm,
            ...(service !== null && { service }),
            ...(scope !== null && { scope }),
          });
        },
      ),
    );
  });

  it("finds no Bearer challenge in other schemes or without a realm", () => {
    expect(parseBearerChallenge('Basic realm="x"')).toBeNull();
    expect(parseBearerChallenge('Bearer service="x"')).toBeNull();
    expect(parseBearerChallenge("")).toBeNull();
    expect(parseBearerChallenge("Bearer realm=https://a/t,service=s")).toStrictEqual({
      realm: "https://a/t",
      service: "s",
    });
  });

  it("asks a realm for a pull of the repository alone, over https unless the host is allowed", () => {
    const challenge = { realm: "https://auth.test/token?x=1", service: "reg", scope: "push" };
    const strict = { allowPrivate: false, insecure: () => true };
    const url = tokenUrl(challenge, "acme/miner", strict);
    expect(String(url)).toBe(
      "https://auth.test/token?x=1&service=reg&scope=repository%3Aacme%2Fminer%3Apull",
    );
    expect(tokenUrl({ realm: "http://auth.test/t" }, "a", strict)).toBe(
      "token realm http://auth.test/t is not https",
    );
    const lax = (insecure: (h: string) => boolean) => ({ allowPrivate: true, insecure });
    expect(
      tokenUrl(
        { realm: "http://auth.test/t" },
        "a",
        lax(() => false),
      ),
    ).toBe("token realm http://auth.test/t is not https");
    expect(
      String(
        tokenUrl(
          { realm: "http://auth.test/t" },
          "a",
          lax((h) => h === "auth.test"),
        ),
      ),
    ).toBe("http://auth.test/t?scope=repository%3Aa%3Apull");
    expect(
      tokenUrl(
        { realm: "file:///etc/passwd" },
        "a",
        lax(() => true),
      ),
    ).toBe("token realm file:///etc/passwd is not https");
    expect(tokenUrl({ realm: "not a url" }, "a", strict)).toBe(
      'token realm "not a url" is not a URL',
    );
  });

  it("reads a token answer, 60 s when it gives no lifetime", () => {
    expect(parseTokenAnswer({ token: "a", expires_in: 300 })).toStrictEqual({
      token: "a",
      expiresInS: 300,
    });
    expect(parseTokenAnswer({ access_token: "b" })).toStrictEqual({ token: "b", expiresInS: 60 });
    expect(parseTokenAnswer({ expires_in: 5 })).toBe("<root>: has no token");
    expect(parseTokenAnswer({ token: 5 })).toMatch(/^token: /);
  });

  it("keeps a token exactly until it expires", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 0, max: 2 * 86_400_000 }),
        (now, expiresInS, later) => {
          const cache = new TokenCache();
          cache.set("r/a", "tok", expiresInS, now);
          expect(cache.get("r/a", now + later)).toBe(later < expiresInS * 1000 ? "tok" : undefined);
          expect(cache.get("r/b", now)).toBeUndefined();
        },
      ),
    );
  });

  it("speaks plain http only to loopback registries by default", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)),
        fc.option(fc.integer({ min: 1, max: 65535 })),
        fc.ipV4().filter((ip) => !ip.startsWith("127.")),
        ([a, b, c], port, other) => {
          const withPort = (h: string) => (port === null ? h : `${h}:${port}`);
          expect(isLoopbackRegistry(withPort(`127.${a}.${b}.${c}`))).toBe(true);
          expect(isLoopbackRegistry(withPort(other))).toBe(false);
        },
      ),
    );
    for (const host of ["localhost", "LOCALHOST:5000", "[::1]:5000", "[0:0::1]", "127.1"])
      expect(isLoopbackRegistry(host)).toBe(true);
    for (const host of [
      "registry-1.docker.io",
      "ghcr.io",
      "localhost.evil.test",
      "127.0.0.1.nip.io",
      "[::2]",
      "::1",
    ])
      expect(isLoopbackRegistry(host)).toBe(false);
  });
});
