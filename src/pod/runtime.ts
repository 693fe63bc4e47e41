// The runtime a pod runs its servers with: Docker (the miners' images; reference servers and URLs
// go to the local runtime) or local processes only (no Docker: tests, a laptop). The GPU list option.

import { catalogueRuntime, type ImageCatalogue } from "../runtime/catalogue.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { localRuntime } from "../runtime/local.js";
import type { Runtime } from "../runtime/runtime.js";

export interface PodRuntime extends Runtime {
  /** The Docker runtime's host firewall (absent for local processes). */
  readonly firewall?: { readonly enabled: boolean };
  /** Removes what a killed worker left behind (containers, networks); awaited before serving. */
  cleanup?(): Promise<void>;
}

export const RUNTIME_KINDS = ["docker", "local"] as const;

export const FIREWALL_MODES = ["auto", "iptables", "off"] as const;

export interface PodRuntimeOptions {
  kind: (typeof RUNTIME_KINDS)[number];
  /** The model weights on the host; the Docker runtime mounts them read-only. */
  modelsDir: string | undefined;
  gpus: GpuSelection;
  /** Labels what this pod starts, so a restarted pod cleans up only its own. */
  podId: string;
  /** The Docker runtime's host firewall (default auto). */
  firewall?: (typeof FIREWALL_MODES)[number];
  /** The local runtime's image catalogue: images it runs as reference servers. */
  images?: ImageCatalogue;
  /** The operator's log: what a public failure reason leaves out. */
  log?: (line: string) => void;
}

/** Rejects with one line when the runtime cannot be had (no Docker engine). */
export async function createPodRuntime(o: PodRuntimeOptions): Promise<PodRuntime> {
  if (o.kind === "local") return o.images ? catalogueRuntime(localRuntime, o.images) : localRuntime;
  if (o.modelsDir === undefined) throw new Error("the docker runtime needs --models DIR");
  // Loaded only here: dockerode is not needed by a local pod.
  const { createDockerRuntime } = await import("../runtime/docker/runtime.js");
  return createDockerRuntime({
    modelsDir: o.modelsDir,
    gpus: o.gpus,
    podId: o.podId,
    firewall: o.firewall,
    log: o.log,
  });
}
