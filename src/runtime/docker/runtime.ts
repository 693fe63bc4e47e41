// The Docker runtime: runs container images pinned by digest as DESIGN §2.1 says, each on a Docker
// network of its own that is internal (no gateway out, no NAT, no published port). The harness runs
// in the host's network namespace (the pod process, or its container with host networking) and
// reaches the server at its address on that network; the host firewall rule (firewall.ts) closes
// the other direction. Containers, networks and rules carry this pod's label, so `cleanup()`
// removes whatever a killed worker left behind. URLs and reference servers go to the local runtime.
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { PassThrough } from "node:stream";
import Dockerode from "dockerode";
import { SERVER_PORT } from "../../arena/config.js";
import { hostPort } from "../../contract/host.js";
import { localRuntime } from "../local.js";
import type { RunningServer, Runtime, StartOptions } from "../runtime.js";
import type { ServerSpec } from "../spec.js";
import {
  type ContainerLimits,
  containerCreateOptions,
  DEFAULT_LIMITS,
  type GpuSelection,
} from "./container-config.js";
import { type HostFirewall, hostFirewall } from "./firewall.js";
import { pullPinnedImage } from "./image.js";
import { LogKeeper } from "./logs.js";

export interface DockerRuntimeOptions {
  /** The host directory with the model weights, mounted read-only at the arena's mount path. */
  modelsDir: string;
  gpus: GpuSelection;
  /** Labels this pod's containers and networks (cleanup removes only its own). Default "default". */
  podId?: string;
  limits?: Partial<ContainerLimits>;
  /** Host firewall for candidate bridges: auto (iptables when usable), iptables (required), off. */
  firewall?: "auto" | "iptables" | "off";
  /** The engine; default: the local socket (or DOCKER_HOST). */
  docker?: Dockerode;
  /** Registries spoken to over plain http (default: loopback ones). */
  insecureRegistry?: (registry: string) => boolean;
  /** The operator's log, for what a public reason leaves out (how a registry was unreachable). */
  log?: (line: string) => void;
}

export interface DockerRuntime extends Runtime {
  readonly firewall: HostFirewall;
  /** Removes this pod's containers, networks and firewall rules (a killed worker's included). */
  cleanup(): Promise<void>;
}

const LABEL_MANAGED = "cacheon.managed";
const LABEL_POD = "cacheon.pod";
const STOP_GRACE_S = 5;

/** Docker's 404 / 304 ("no such container", "already stopped") are fine while cleaning up. */
function ignoreGone(err: unknown): void {
  const code = (err as { statusCode?: number }).statusCode;
  if (code !== 404 && code !== 304) throw err;
}

/** Containers run as nobody unless their image names a user: the weights must be readable by all. */
function checkModelsDir(dir: string): void {
  let mode: number;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new Error("not a directory");
    mode = st.mode;
  } catch (err) {
    throw new Error(`the model directory ${dir} cannot be used: ${(err as Error).message}`);
  }
  if ((mode & 0o005) !== 0o005)
    throw new Error(
      `the model directory ${dir} must be readable by every user (chmod o+rx): containers run as uid 65534 unless their image names a user`,
    );
}

/** Connects to the engine and sets up the firewall; rejects with one line when there is no engine. */
export async function createDockerRuntime(opts: DockerRuntimeOptions): Promise<DockerRuntime> {
  const docker = opts.docker ?? new Dockerode();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `no Docker engine answers (${(err as Error).message}); start dockerd or set DOCKER_HOST`,
    );
  }
  checkModelsDir(opts.modelsDir);
  const firewall = await hostFirewall(opts.firewall ?? "auto");
  const podId = opts.podId ?? "default";
  const limits: ContainerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const labels = { [LABEL_MANAGED]: "true", [LABEL_POD]: podId };

  async function startImage(
    spec: Extract<ServerSpec, { kind: "image" }>,
    o: StartOptions,
  ): Promise<RunningServer> {
    const image = await pullPinnedImage(docker, spec.image, {
      maxBytes: o.arena.image.maxBytes,
      signal: o.signal,
      onStatus: o.onStatus,
      insecure: opts.insecureRegistry,
      allowPrivateHosts: o.arena.registry.allowPrivateHosts,
      log: opts.log,
    });
    const suffix = randomBytes(4).toString("hex");
    const name = `cacheon-${podId}-${suffix}`;
    const bridge = `cn-${suffix}`;
    const network = await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      Internal: true,
      CheckDuplicate: true,
      Labels: labels,
      Options: { "com.docker.network.bridge.name": bridge },
    });
    const cleanups: (() => Promise<void>)[] = [
      () => network.remove().catch(ignoreGone),
      () => firewall.release(bridge),
    ];
    let stopped: Promise<void> | null = null;
    const stop = () => {
      stopped ??= (async () => {
        const errors: string[] = [];
        for (const step of cleanups.reverse())
          await step().catch((err: Error) => errors.push(err.message));
        if (errors.length > 0) throw new Error(`cleaning up ${name}: ${errors.join("; ")}`);
      })();
      return stopped;
    };
    try {
      await firewall.isolate(bridge);
      const container = await docker.createContainer(
        containerCreateOptions({
          name,
          imageId: image.id,
          imageUser: image.user,
          args: spec.args,
          network: name,
          modelsDir: opts.modelsDir,
          mountPath: o.arena.model.mountPath,
          servedModelName: o.arena.model.servedModelName,
          port: SERVER_PORT,
          gpus: opts.gpus,
          limits,
          labels,
        }),
      );
      cleanups.push(async () => {
        await container.stop({ t: STOP_GRACE_S }).catch(ignoreGone);
        await container.remove({ force: true, v: true }).catch(ignoreGone);
      });
      const logs = new LogKeeper();
      const output = new PassThrough();
      output.setEncoding("utf8");
      output.on("data", (s: string) => logs.append(s));
      const logStream = (await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
      })) as NodeJS.ReadableStream;
      docker.modem.demuxStream(logStream, output, output);
      await container.start();
      const info = await container.inspect();
      const ip = info.NetworkSettings.Networks[name]?.IPAddress;
      if (!ip) throw new Error(`container ${name} has no address on its network`);
      const exited = container.wait().then(async (r: { StatusCode: number }) => {
        const state = await container.inspect().then(
          (i) => i.State,
          () => null,
        );
        return `the container exited with code ${r.StatusCode}${state?.OOMKilled ? " (out of memory)" : ""}`;
      });
      return {
        origin: `http://${hostPort(ip, SERVER_PORT)}`,
        pullMs: image.pullMs,
        exited,
        logs: () => logs.text(),
        stop,
      };
    } catch (err) {
      await stop().catch(() => {});
      throw err;
    }
  }

  return {
    firewall,
    start(spec, o) {
      return spec.kind === "image" ? startImage(spec, o) : localRuntime.start(spec, o);
    },
    async cleanup() {
      const filters = { label: [`${LABEL_POD}=${podId}`] };
      for (const c of await docker.listContainers({ all: true, filters }))
        await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone);
      for (const n of await docker.listNetworks({ filters }))
        await docker.getNetwork(n.Id).remove().catch(ignoreGone);
      await firewall.cleanup();
    },
  };
}
