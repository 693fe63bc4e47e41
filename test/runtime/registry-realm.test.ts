// Where a miner's registry may send the pod for a token (issue 14 part 4a): only https on a public
// host unless the arena allows private realms, so the pod's own loopback and private network
// cannot be probed through the reason an image fails with; and how a registry was unreachable stays
// out of that reason (it goes to the operator's log).
import type { LookupAddress } from "node:dns";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Server } from "node:net";
import type Dockerode from "dockerode";
import { Agent, request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { arenaPreset } from "../../src/arena/load.js";
import { pullPinnedImage } from "../../src/runtime/docker/image.js";
import { fetchManifestSummary, RegistryError } from "../../src/runtime/docker/registry.js";
import {
  isPublicAddress,
  NonPublicAddressError,
  nonPublicHost,
  PUBLIC_REALM_RULE,
  PUBLIC_REGISTRY_RULE,
  publicOnlyLookup,
  tokenUrl,
} from "../../src/runtime/docker/registry-auth.js";
import { ImageRefused } from "../../src/runtime/runtime.js";
import { imageRef } from "../helpers/manifests.js";
import { closedPort } from "../helpers/ports.js";
import { sha256Digest } from "../helpers/registry.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

/** A TCP server on loopback that counts the connections it gets and answers none of them. */
async function listener(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server: Server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A registry on loopback that answers every request 401 with `challenge`. */
async function challengingRegistry(challenge: string): Promise<string> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(401, { "www-authenticate": challenge }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const DIGEST = sha256Digest("some manifest");

describe("which addresses a token realm may have", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.255",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "not an address",
  ])("%s is not public", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "172.15.255.255",
    "100.128.0.1",
    "192.169.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("%s is public", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it("refuses loopback names and non-public literals in any spelling a URL accepts", () => {
    for (const realm of [
      "https://localhost/t",
      "https://LOCALHOST./t",
      "https://auth.localhost/t",
      "https://127.0.0.1:5000/t",
      "https://127.1/t",
      "https://0x7f000001/t",
      "https://2130706433/t",
      "https://[::1]/t",
      "https://[::ffff:127.0.0.1]/t",
      "https://[0:0:0:0:0:0:0:1]/t",
      "https://10.1.2.3/t",
      "https://169.254.169.254/latest/meta-data",
      "https://[fe80::1]/t",
      "https://[fd00::1]/t",
      "https://0.0.0.0/t",
    ])
      expect(nonPublicHost(new URL(realm).hostname), realm).not.toBeNull();
    for (const realm of [
      "https://auth.docker.io/token",
      "https://ghcr.io/token",
      "https://8.8.8.8/t",
    ])
      expect(nonPublicHost(new URL(realm).hostname), realm).toBeNull();
  });

  it("takes only https realms on public hosts unless the arena allows private ones", () => {
    const strict = { allowPrivate: false, insecure: () => true };
    const lax = { allowPrivate: true, insecure: (h: string) => h.startsWith("127.0.0.1") };
    expect(String(tokenUrl({ realm: "https://auth.docker.io/token" }, "a/b", strict))).toBe(
      "https://auth.docker.io/token?scope=repository%3Aa%2Fb%3Apull",
    );
    expect(tokenUrl({ realm: "https://127.0.0.1:22/t" }, "a/b", strict)).toBe(
      "token realm https://127.0.0.1:22/t is on a loopback, private or link-local address: a token realm must be https on a public host (an arena allows others with registry.allowPrivateHosts)",
    );
    expect(tokenUrl({ realm: "https://localhost:8000/t" }, "a/b", strict)).toMatch(
      /^token realm https:\/\/localhost:8000\/t is on a loopback name: /,
    );
    // Even where the registry client would speak http to the host.
    expect(tokenUrl({ realm: "http://127.0.0.1:22/t" }, "a/b", strict)).toBe(
      "token realm http://127.0.0.1:22/t is not https",
    );
    expect(String(tokenUrl({ realm: "http://127.0.0.1:22/t" }, "a/b", lax))).toBe(
      "http://127.0.0.1:22/t?scope=repository%3Aa%2Fb%3Apull",
    );
    expect(String(tokenUrl({ realm: "https://10.0.0.1/t" }, "a/b", lax))).toBe(
      "https://10.0.0.1/t?scope=repository%3Aa%2Fb%3Apull",
    );
  });

  it("is off in v1 and on in the local arena, whose registries are on loopback", () => {
    expect(arenaPreset("v1").registry.allowPrivateHosts).toBe(false);
    expect(arenaPreset("local").registry.allowPrivateHosts).toBe(true);
  });
});

describe("a realm name that resolves to a non-public address", () => {
  /** A resolver that knows a few names. */
  const fakeDns: Record<string, LookupAddress[]> = {
    "public.test": [
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ],
    "rebind.test": [
      { address: "93.184.216.34", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ],
    "loop.test": [{ address: "127.0.0.1", family: 4 }],
    "empty.test": [],
  };
  const resolver = publicOnlyLookup((hostname, _options, callback) => {
    const found = fakeDns[hostname];
    if (found) callback(null, found);
    else
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }),
        [],
      );
  });
  const lookup = (hostname: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown; family?: number }>((resolve) =>
      resolver(hostname, { all }, (err, address, family) => resolve({ err, address, family })),
    );

  it("resolves a name whose every address is public, in both forms a connection asks", async () => {
    expect(await lookup("public.test", true)).toMatchObject({
      err: null,
      address: fakeDns["public.test"],
    });
    expect(await lookup("public.test", false)).toMatchObject({
      err: null,
      address: "93.184.216.34",
      family: 4,
    });
  });

  it("fails a name with any non-public address, or none, and passes resolver errors on", async () => {
    for (const name of ["rebind.test", "loop.test", "empty.test"]) {
      const { err } = await lookup(name, false);
      expect(err, name).toBeInstanceOf(NonPublicAddressError);
      expect(err?.message).toBe(`${name} resolves to a loopback, private or link-local address`);
    }
    expect((await lookup("nowhere.test", true)).err).toMatchObject({ code: "ENOTFOUND" });
  });

  it("opens no connection through undici to a name that resolves to loopback", async () => {
    const target = await listener();
    const agent = new Agent({ connect: { lookup: resolver } });
    closers.push(() => agent.close());
    const err = await request(`http://loop.test:${target.port}/token`, { dispatcher: agent }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonPublicAddressError);
    expect(target.connections()).toBe(0);
  });
});

describe("a miner's registry pointing the pod's token request at the pod's own ports", () => {
  /** The reason a fetch fails with, checked to be a RegistryError of `kind`. */
  async function reason(registry: string, opts = {}) {
    const err = await fetchManifestSummary(imageRef(`${registry}/acme/miner@${DIGEST}`), {
      timeoutMs: 2_000,
      allowPrivateRegistry: true, // the miner's registry here is on loopback; its realm is the point
      ...opts,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }

  it("is refused before any connection, with a reason that is the same whether the port listens or not", async () => {
    const open = await listener();
    const closed = await closedPort();
    const reasons: string[] = [];
    for (const scheme of ["http", "https"])
      for (const port of [open.port, closed]) {
        const registry = await challengingRegistry(
          `Bearer realm="${scheme}://127.0.0.1:${port}/token",service="x"`,
        );
        const err = await reason(registry);
        expect(err.kind).toBe("unauthorized");
        expect(err.publicMessage).toBe(err.message);
        expect(err.message).not.toMatch(/refused|ECONN|unreachable|TLS|timed out|no answer/i);
        // Told apart only by what the miner wrote: the port, and the scheme.
        reasons.push(
          err.message
            .replace(registry, "REGISTRY")
            .replace(`:${port}/`, ":PORT/")
            .replace(scheme, "SCHEME"),
        );
      }
    expect(new Set(reasons.slice(0, 2)).size).toBe(1);
    expect(new Set(reasons.slice(2)).size).toBe(1);
    expect(open.connections()).toBe(0);
  });

  it("is asked where the arena allows private realms, and then a closed port's detail stays out of the public reason", async () => {
    const closed = await closedPort();
    const registry = await challengingRegistry(`Bearer realm="http://127.0.0.1:${closed}/token"`);
    const err = await reason(registry, { allowPrivateRealm: true });
    expect(err.kind).toBe("unreachable");
    expect(err.message).toContain(`127.0.0.1:${closed} is unreachable: connection refused`);
    expect(err.publicMessage).toBe(
      `${registry}/acme/miner@${DIGEST}: 127.0.0.1:${closed} is unreachable`,
    );
  });
});

describe("the pull's public reason", () => {
  // The registry checks come before the engine is asked anything: no Docker needed here.
  const noEngine = {} as Dockerode;

  it("says an unreachable registry is unreachable, and only the operator's log says how", async () => {
    const port = await closedPort();
    const text = `127.0.0.1:${port}/acme/miner@${DIGEST}`;
    const logged: string[] = [];
    const err = await pullPinnedImage(noEngine, text, {
      maxBytes: 1e9,
      allowPrivateHosts: true,
      log: (line) => logged.push(line),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ImageRefused);
    expect((err as Error).message).toBe(`${text}: 127.0.0.1:${port} is unreachable`);
    expect(logged).toEqual([`${text}: 127.0.0.1:${port} is unreachable: connection refused`]);
  });

  it("refuses the image, naming the rule, when the registry is private and the arena does not allow it", async () => {
    const registry = await listener();
    for (const host of [
      `127.0.0.1:${registry.port}`,
      `localhost:${registry.port}`,
      `[::1]:${registry.port}`,
    ]) {
      const err = await pullPinnedImage(noEngine, `${host}/acme/miner@${DIGEST}`, {
        maxBytes: 1e9,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, host).toBeInstanceOf(ImageRefused);
      expect((err as Error).message).toBe(
        `${host}/acme/miner@${DIGEST}: ${host} is on ${host.startsWith("localhost") ? "a loopback name" : "a loopback, private or link-local address"}: ${PUBLIC_REGISTRY_RULE}`,
      );
    }
    expect(registry.connections()).toBe(0);
  });

  it("refuses the image, naming the rule, when only the realm is private and the arena does not allow it", async () => {
    const open = await listener();
    const registry = await challengingRegistry(`Bearer realm="https://127.0.0.1:${open.port}/t"`);
    const err = await fetchManifestSummary(imageRef(`${registry}/acme/miner@${DIGEST}`), {
      allowPrivateRegistry: true,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ kind: "unauthorized" });
    expect((err as Error).message).toContain(PUBLIC_REALM_RULE);
    expect(open.connections()).toBe(0);
  });
});
