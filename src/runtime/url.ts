// Servers that are already running: the runtime only points at them and never stops them.
import type { Runtime } from "./runtime.js";

export const urlRuntime: Runtime = {
  async start(spec) {
    if (spec.kind !== "url") throw new Error(`the URL runtime cannot start a ${spec.kind} server`);
    return {
      origin: spec.url.replace(/\/+$/, ""),
      exited: new Promise<string>(() => {}),
      logs: () => "",
      stop: async () => {},
    };
  },
};
