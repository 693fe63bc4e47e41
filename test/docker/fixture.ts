// What every Docker test file needs: the suite's fixture, a skip when there is no engine, and a
// runtime on this machine (no GPUs, small limits) labelled for the file so cleanup is its own.
import { readFileSync } from "node:fs";
import Dockerode from "dockerode";
import { inject } from "vitest";
import type { Arena } from "../../src/arena/index.js";
import { createDockerRuntime, type DockerRuntime } from "../../src/runtime/docker/runtime.js";
import { tinyArena } from "../helpers/arenas.js";

export const fixture = inject("docker");
export const SKIP = fixture.skip !== null;
export const docker = new Dockerode();

export const TEST_LIMITS = {
  memoryBytes: 1 << 30,
  pids: 512,
  shmBytes: 64 << 20,
  tmpBytes: 64 << 20,
};

export function dockerRuntime(podId: string): Promise<DockerRuntime> {
  return createDockerRuntime({
    modelsDir: fixture.modelsDir,
    gpus: "none",
    podId,
    limits: TEST_LIMITS,
  });
}

/** The tiny arena with a longer startup timeout (a container loads the vocabulary first). */
export function dockerArena(
  overrides: { maxBytes?: number; startupTimeoutMs?: number } = {},
): Arena {
  const a = tinyArena();
  return {
    ...a,
    startupTimeoutMs: overrides.startupTimeoutMs ?? 60_000,
    image: { maxBytes: overrides.maxBytes ?? a.image.maxBytes },
  };
}

export async function podContainers(podId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`cacheon.pod=${podId}`] } });
}

export async function podNetworks(podId: string): Promise<Dockerode.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: [`cacheon.pod=${podId}`] } });
}

/** The routes of a process's network namespace, read from the host: [iface, destination, gateway]. */
export function routesOf(pid: number): { iface: string; destination: string; gateway: string }[] {
  return readFileSync(`/proc/${pid}/net/route`, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [iface, destination, gateway] = line.trim().split(/\s+/) as [string, string, string];
      return { iface, destination, gateway };
    });
}
