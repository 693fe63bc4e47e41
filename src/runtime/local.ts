// Local processes: `cacheon reference serve` children on loopback, one per server, stopped after
// use (and killed when this process exits). The no-Docker default for the demo and for tests; URLs
// are passed through, images need the Docker runtime.
import type { z } from "zod";
import type { Arena } from "../arena/config.js";
import { spawnReferenceServer } from "../reference/spawn.js";
import type { Runtime } from "./runtime.js";
import type { ReferenceSpecSchema } from "./spec.js";
import { urlRuntime } from "./url.js";

/** How a reference spec starts its server, in a child process or (the gate's controls) in this one. */
export function referenceServerOptions(spec: z.infer<typeof ReferenceSpecSchema>, arena: Arena) {
  return {
    profile: spec.profile,
    variant: spec.variant,
    variantSeed: spec.variantSeed,
    servedModelName: arena.model.servedModelName,
  };
}

export const localRuntime: Runtime = {
  async start(spec, opts) {
    if (spec.kind === "url") return urlRuntime.start(spec, opts);
    if (spec.kind === "image")
      throw new Error(
        `${spec.image} is a container image: it needs the Docker runtime (a Docker engine on this machine)`,
      );
    const server = await spawnReferenceServer(referenceServerOptions(spec, opts.arena));
    return {
      origin: server.url,
      exited: server.exited,
      logs: () => server.stderrTail(),
      stop: () => server.close(),
    };
  },
};
