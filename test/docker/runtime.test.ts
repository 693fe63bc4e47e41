// The Docker runtime against a real engine and a real loopback registry: images pinned by digest,
// run isolated as DESIGN §2.1 says, refused when they are not what was committed or too large, and
// always removed. Isolation is checked by inspecting the container, its namespace and the host's
// rules; no packet is sent anywhere but to the containers these tests start.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseImageRef } from "../../src/contract/image-ref.js";
import { fetchManifestSummary } from "../../src/runtime/docker/registry.js";
import type { DockerRuntime } from "../../src/runtime/docker/runtime.js";
import { HealthTimeout, waitForHealth } from "../../src/runtime/health.js";
import { ImageRefused, type RunningServer } from "../../src/runtime/runtime.js";
import { LOOPBACK } from "../helpers/manifests.js";
import {
  docker,
  dockerArena,
  dockerRuntime,
  fixture,
  podContainers,
  podNetworks,
  routesOf,
  SKIP,
} from "./fixture.js";

const POD = "rt-test";
const image = (name: keyof typeof fixture.images) => ({
  kind: "image" as const,
  image: fixture.images[name],
  args: [],
});
const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const present = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

describe.skipIf(SKIP)("the Docker runtime", () => {
  let rt: DockerRuntime;
  beforeAll(async () => {
    rt = await dockerRuntime(POD);
    await rt.cleanup();
  });
  afterAll(async () => {
    await rt?.cleanup();
  });

  async function started(name: keyof typeof fixture.images): Promise<RunningServer> {
    const server = await rt.start(image(name), { arena: dockerArena() });
    await waitForHealth(server, 60_000).catch(async (err: Error) => {
      await server.stop();
      throw new Error(`${err.message}; logs: ${server.logs()}`);
    });
    return server;
  }

  test("runs a pinned image as the contract says, isolated, and removes everything on stop", async () => {
    const server = await started("good");
    let bridge = "";
    try {
      const models = await request(`${server.origin}/v1/models`);
      expect(await models.body.text()).toContain(dockerArena().model.servedModelName);
      const [c] = await podContainers(POD);
      const info = await docker.getContainer(c?.Id ?? "").inspect();
      // Who and what it runs as.
      expect(info.Config.User).toBe("65534:65534");
      expect(info.Config.Env).toEqual(
        expect.arrayContaining([
          "MODEL_PATH=/models",
          `SERVED_MODEL_NAME=${dockerArena().model.servedModelName}`,
          "PORT=8000",
        ]),
      );
      const host = info.HostConfig;
      expect(host.ReadonlyRootfs).toBe(true);
      expect(host.CapDrop).toEqual(["ALL"]);
      expect(host.SecurityOpt).toContain("no-new-privileges");
      expect(host.Privileged).toBe(false);
      expect(host.PidsLimit).toBe(512);
      expect(host.Memory).toBe(1 << 30);
      expect(host.Tmpfs).toHaveProperty("/tmp");
      const status = readFileSync(`/proc/${info.State.Pid}/status`, "utf8");
      expect(status).toMatch(/^Uid:\s+65534\s/m);
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      // The weights: one read-only bind mount.
      expect(info.Mounts).toEqual([
        expect.objectContaining({ Type: "bind", Destination: "/models", RW: false }),
      ]);
      // The network: one, internal, nothing published.
      const nets = Object.keys(info.NetworkSettings.Networks);
      expect(nets).toHaveLength(1);
      const net = await docker.getNetwork(nets[0] as string).inspect();
      expect(net.Internal).toBe(true);
      bridge = net.Options?.["com.docker.network.bridge.name"] ?? "";
      expect(bridge).toMatch(/^cn-[0-9a-f]{8}$/);
      expect(host.PortBindings ?? {}).toEqual({});
      for (const bindings of Object.values(info.NetworkSettings.Ports ?? {}))
        expect(bindings).toBeNull();
      // Inside its namespace: lo and one interface, no IPv6, and no route off its own subnet except
      // (engines before 25) a default route to the host's bridge address, which the firewall closes.
      const ifaces = readFileSync(`/proc/${info.State.Pid}/net/dev`, "utf8")
        .split("\n")
        .slice(2)
        .map((l) => l.split(":")[0]?.trim())
        .filter(Boolean);
      expect(ifaces.sort()).toEqual(["eth0", "lo"]);
      expect(readFileSync(`/proc/${info.State.Pid}/net/if_inet6`, "utf8").trim()).toBe("");
      const gateway = net.IPAM?.Config?.[0]?.Gateway ?? "";
      const hexIp = (ip: string) =>
        ip
          .split(".")
          .map((o) => Number(o).toString(16).padStart(2, "0").toUpperCase())
          .reverse()
          .join("");
      for (const r of routesOf(info.State.Pid))
        expect(["00000000", hexIp(gateway)]).toContain(r.gateway);
      if (process.getuid?.() === 0) {
        expect(rt.firewall.enabled).toBe(true);
        expect(execFileSync("iptables", ["-S", "INPUT"], { encoding: "utf8" })).toContain(
          `-i ${bridge} -m conntrack ! --ctstate RELATED,ESTABLISHED`,
        );
      }
    } finally {
      await server.stop();
    }
    expect(await podContainers(POD)).toEqual([]);
    expect(await podNetworks(POD)).toEqual([]);
    if (rt.firewall.enabled)
      expect(execFileSync("iptables", ["-S", "INPUT"], { encoding: "utf8" })).not.toContain(bridge);
  });

  test("a tag without a digest is refused before anything is asked of the registry", async () => {
    const tagged = `${fixture.registry}/cacheon-test/good:t`;
    await expect(
      rt.start({ kind: "image", image: tagged, args: [] }, { arena: dockerArena() }),
    ).rejects.toThrow(ImageRefused);
    await expect(
      rt.start({ kind: "image", image: tagged, args: [] }, { arena: dockerArena() }),
    ).rejects.toThrow(/names a tag without a digest/);
  });

  test("a digest the repository does not have is refused", async () => {
    const missing = `${fixture.registry}/cacheon-test/good@sha256:${"0".repeat(64)}`;
    await expect(
      rt.start({ kind: "image", image: missing, args: [] }, { arena: dockerArena() }),
    ).rejects.toThrow(ImageRefused);
    expect(await present(missing)).toBe(false);
  });

  describe("a registry that answers a digest with other content", () => {
    let proxy: Server;
    beforeAll(async () => {
      // Serves the crash image's manifest when asked for the good image's digest; passes the rest.
      const good = parseImageRef(fixture.images.good);
      const crash = parseImageRef(fixture.images.crash);
      if (!good.ok || !crash.ok) throw new Error("bad fixture references");
      proxy = createServer(async (req, res) => {
        const lie = req.url === `/v2/cacheon-test/good/manifests/${good.ref.digest}`;
        const path = lie
          ? `/v2/cacheon-test/crash/manifests/${crash.ref.digest}`
          : (req.url ?? "/");
        const up = await request(`http://${fixture.registry}${path}`, {
          method: req.method as "GET",
          headers: { accept: req.headers.accept ?? "*/*" },
        });
        const body = Buffer.from(await up.body.arrayBuffer());
        const type = up.headers["content-type"];
        res.writeHead(up.statusCode, typeof type === "string" ? { "content-type": type } : {});
        res.end(body);
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    });
    afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

    test("is refused for the digest mismatch and nothing is pulled", async () => {
      const port = (proxy.address() as AddressInfo).port;
      const digest = fixture.images.good.slice(fixture.images.good.indexOf("@"));
      const lying = `127.0.0.1:${port}/cacheon-test/good${digest}`;
      const err = await rt
        .start({ kind: "image", image: lying, args: [] }, { arena: dockerArena() })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageRefused);
      expect((err as Error).message).toMatch(/digest/);
      expect(await present(lying)).toBe(false);
    });
  });

  test("an image whose manifest is over the limit is refused unpulled", async () => {
    const ref = fixture.images["never-healthy"];
    // Another file of the suite may have pulled it already: "unpulled" is about this start.
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
    expect(await present(ref)).toBe(false);
    const err = await rt
      .start(image("never-healthy"), { arena: dockerArena({ maxBytes: 1_000_000 }) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRefused);
    expect((err as Error).message).toMatch(/compressed in its registry, above .* \(not pulled\)/);
    expect(await present(ref)).toBe(false);
  });

  test("an image that fits compressed but not unpacked is refused after the pull and removed", async () => {
    const ref = fixture.images["listen-extra"];
    const parsed = parseImageRef(ref);
    if (!parsed.ok) throw new Error(parsed.reason);
    const compressed = (await fetchManifestSummary(parsed.ref, LOOPBACK)).compressedBytes;
    const unpacked = (await docker.getImage("cacheon-test/base:local").inspect()).Size;
    expect(compressed).toBeLessThan(unpacked);
    const limit = Math.round((compressed + unpacked) / 2);
    const err = await rt
      .start(image("listen-extra"), { arena: dockerArena({ maxBytes: limit }) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRefused);
    expect((err as Error).message).toMatch(/unpacked, above the arena's/);
    expect(await present(ref)).toBe(false);
    expect(await podContainers(POD)).toEqual([]);
  });

  test("a server that writes to /models fails to, and the weights are untouched", async () => {
    const weights = join(fixture.modelsDir, "model.safetensors");
    const before = sha256File(weights);
    const server = await started("write-models");
    try {
      const logs = server.logs();
      expect(logs).toContain("create in /models: EROFS");
      expect(logs).toContain("overwrite in /models: EROFS");
    } finally {
      await server.stop();
    }
    expect(sha256File(weights)).toBe(before);
    expect(existsSync(join(fixture.modelsDir, "planted"))).toBe(false);
  });

  test("a server that listens on another port publishes nothing and has no way out", async () => {
    const server = await started("listen-extra");
    try {
      const [c] = await podContainers(POD);
      const info = await docker.getContainer(c?.Id ?? "").inspect();
      expect(info.HostConfig.PortBindings ?? {}).toEqual({});
      expect(info.HostConfig.PublishAllPorts).toBe(false);
      expect(info.HostConfig.NetworkMode).toBe(Object.keys(info.NetworkSettings.Networks)[0]);
      // What it saw of its routes is what the host sees of its namespace.
      const seen = routesOf(info.State.Pid).map((r) => r.destination);
      for (const d of seen) expect(server.logs()).toContain(d);
    } finally {
      await server.stop();
    }
  });

  test("a server that never becomes healthy times out and its container is removed", async () => {
    const server = await rt.start(image("never-healthy"), { arena: dockerArena() });
    await expect(waitForHealth(server, 3_000)).rejects.toThrow(HealthTimeout);
    expect(server.logs()).toContain("starting forever");
    await server.stop();
    expect(await podContainers(POD)).toEqual([]);
  });

  test("cleanup removes what a runtime that was never stopped left behind", async () => {
    const server = await rt.start(image("never-healthy"), { arena: dockerArena() });
    expect(await podContainers(POD)).toHaveLength(1);
    const fresh = await dockerRuntime(POD);
    await fresh.cleanup();
    expect(await podContainers(POD)).toEqual([]);
    expect(await podNetworks(POD)).toEqual([]);
    await server.stop();
  });
});
