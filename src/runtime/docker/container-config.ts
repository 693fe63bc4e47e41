// What a candidate's container is created with (DESIGN §2.1): the contract's env and mount, and
// everything that keeps a miner's code from escaping — no capabilities, no new privileges, a
// read-only root with a tmpfs /tmp, pid/memory/shm limits, no published port and no network but
// its own internal one. A pure function, so the settings are checked without an engine.
import type Dockerode from "dockerode";

export interface ContainerLimits {
  /** Memory limit (swap included), bytes. */
  memoryBytes: number;
  /** Processes and threads. */
  pids: number;
  /** /dev/shm size, bytes (inference engines exchange tensors through it). */
  shmBytes: number;
  /** The writable tmpfs at /tmp, bytes. */
  tmpBytes: number;
}

export const DEFAULT_LIMITS: ContainerLimits = {
  memoryBytes: 256 * 2 ** 30,
  pids: 4096,
  shmBytes: 32 * 2 ** 30,
  tmpBytes: 32 * 2 ** 30,
};

/** Which GPUs a container gets: all of the host's, none (tests, CPU hosts), or these indices. */
export type GpuSelection = "all" | "none" | readonly number[];

/** `all`, `none` or a comma-separated list of distinct GPU indices (`0,1,2,3`). */
export function parseGpus(value: string): GpuSelection {
  if (value === "all" || value === "none") return value;
  const parts = value.split(",");
  if (!parts.every((p) => /^\d{1,3}$/.test(p)))
    throw new Error(`must be all, none or GPU indices like 0,1,2,3, got ${JSON.stringify(value)}`);
  const ids = parts.map(Number);
  if (new Set(ids).size !== ids.length) throw new Error(`names a GPU twice: ${value}`);
  return ids;
}

/** The user a container runs as when its image names none: nobody. */
export const NON_ROOT_USER = "65534:65534";

export interface ContainerInput {
  name: string;
  /** The image's id (sha256:…) as the engine knows it after the pull was verified. */
  imageId: string;
  /** The image's own USER, if it sets one (kept: the miner chose it). */
  imageUser: string;
  /** Arguments after the entrypoint (the baseline's pinned args); empty keeps the image's CMD. */
  args: readonly string[];
  network: string;
  modelsDir: string;
  mountPath: string;
  servedModelName: string;
  port: number;
  gpus: GpuSelection;
  limits: ContainerLimits;
  labels: Record<string, string>;
}

function deviceRequests(gpus: GpuSelection): Dockerode.DeviceRequest[] {
  if (gpus === "none") return [];
  const base = { Driver: "nvidia", Capabilities: [["gpu"]] };
  return gpus === "all"
    ? [{ ...base, Count: -1 }]
    : [{ ...base, DeviceIDs: gpus.map((i) => String(i)) }];
}

export function containerCreateOptions(c: ContainerInput): Dockerode.ContainerCreateOptions {
  return {
    name: c.name,
    Image: c.imageId,
    ...(c.args.length > 0 ? { Cmd: [...c.args] } : {}),
    User: c.imageUser.trim() === "" ? NON_ROOT_USER : c.imageUser,
    Env: [
      `MODEL_PATH=${c.mountPath}`,
      `SERVED_MODEL_NAME=${c.servedModelName}`,
      `PORT=${c.port}`,
      // The root is read-only: caches (torch, triton, HF) go to the tmpfs.
      "HOME=/tmp",
    ],
    Labels: c.labels,
    ExposedPorts: { [`${c.port}/tcp`]: {} },
    HostConfig: {
      NetworkMode: c.network,
      PortBindings: {},
      PublishAllPorts: false,
      Binds: [`${c.modelsDir}:${c.mountPath}:ro`],
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${c.limits.tmpBytes}` },
      ShmSize: c.limits.shmBytes,
      Memory: c.limits.memoryBytes,
      MemorySwap: c.limits.memoryBytes,
      PidsLimit: c.limits.pids,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      IpcMode: "private",
      // No IPv6 inside: its link-local address on the bridge would be a second way to the host.
      Sysctls: { "net.ipv6.conf.all.disable_ipv6": "1" },
      PidMode: "",
      DeviceRequests: deviceRequests(c.gpus),
      RestartPolicy: { Name: "no" },
      // A minimal init as PID 1: signals reach the server with their default action (a PID 1
      // process ignores SIGTERM unless it handles it) and zombies are reaped.
      Init: true,
      LogConfig: { Type: "json-file", Config: { "max-size": "20m", "max-file": "1" } },
    },
  };
}
