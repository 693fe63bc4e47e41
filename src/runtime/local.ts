// Local processes: `cacheon reference serve` children on loopback, one per server, stopped after
// use (and killed when this process exits). The no-Docker default for the demo and for tests; URLs
// are passed through, images need the Docker runtime.
import { spawnReferenceServer } from "../reference/spawn.js";
import type { Runtime } from "./runtime.js";
import { urlRuntime } from "./url.js";

export const localRuntime: Runtime = {
  async start(spec, opts) {
    if (spec.kind === "url") return urlRuntime.start(spec, opts);
    if (spec.kind === "image")
      throw new Error(
        `${spec.image} is a container image: it needs the Docker runtime (a Docker engine on this machine)`,
      );
    const server = await spawnReferenceServer({
      profile: spec.profile,
      variant: spec.variant,
      variantSeed: spec.variantSeed,
      servedModelName: opts.arena.model.servedModelName,
    });
    return {
      origin: server.url,
      exited: server.exited,
      logs: () => server.stderrTail(),
      stop: () => server.close(),
    };
  },
};
