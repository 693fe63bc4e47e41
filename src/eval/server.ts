// Starting one server of a session: the runtime fetches and checks its image (container runtimes)
// and starts it, then the session waits for GET /health. What goes wrong here is the server's
// failure (image, start, health, or the session cancelled). Any pass that needs a server up —
// the session's slots, or the teacher pass on the baseline's spec — starts it here.
import type { Arena } from "../arena/index.js";
import { round3 } from "../harness/stats.js";
import { HealthTimeout, waitForHealth } from "../runtime/health.js";
import { ImageRefused, type RunningServer, type Runtime } from "../runtime/runtime.js";
import type { ServerSpec } from "../runtime/spec.js";
import type { ServerFailure, ServerRun } from "./report.js";

/** teacher: the baseline spec started once more to score forked requests (teacher.ts). */
export type ServerRole = "baseline" | "candidate" | "teacher";

export const TEACHER_SERVER = "teacher";
/** The names of the session's own servers (progress events name servers): no candidate's. */
export const RESERVED_SERVER_NAMES: readonly string[] = ["baseline", TEACHER_SERVER];

export type StartProgress =
  | { type: "server-start"; server: string; role: ServerRole; spec: ServerSpec }
  | { type: "status"; server: string; line: string }
  | { type: "healthy"; server: string; waitedMs: number };

export interface ServerStartOptions {
  arena: Arena;
  runtime: Runtime;
  onProgress?: (e: StartProgress) => void;
  signal?: AbortSignal;
}

export interface StartedServer {
  /** The server, also when it never became healthy (stop it either way); null if it never started. */
  server: RunningServer | null;
  /** Why it cannot take requests; null when it is healthy. */
  failure: ServerFailure | null;
  timing: Pick<ServerRun["timing"], "startMs" | "healthWaitMs" | "pullMs">;
}

/** Milliseconds since a performance.now() reading, as reports store them. */
export const msSince = (t: number) => round3(performance.now() - t);

/** Starts the server and waits until it is healthy; throws only on an unexpected error. */
export async function startServer(
  opts: ServerStartOptions,
  name: string,
  spec: ServerSpec,
  role: ServerRole,
): Promise<StartedServer> {
  const emit = (e: StartProgress) => opts.onProgress?.(e);
  const t0 = performance.now();
  const timing: StartedServer["timing"] = { startMs: 0, healthWaitMs: 0 };
  emit({ type: "server-start", server: name, role, spec });
  let server: RunningServer;
  try {
    server = await opts.runtime.start(spec, {
      arena: opts.arena,
      signal: opts.signal,
      onStatus: (line) => emit({ type: "status", server: name, line }),
    });
  } catch (err) {
    timing.startMs = msSince(t0);
    const failure: ServerFailure =
      err instanceof ImageRefused
        ? { stage: "image", kind: "image", message: err.message }
        : { stage: "start", kind: "start", message: (err as Error).message };
    return { server: null, failure, timing };
  }
  timing.startMs = msSince(t0);
  if (server.pullMs !== undefined) timing.pullMs = server.pullMs;
  const t1 = performance.now();
  try {
    timing.healthWaitMs = await waitForHealth(
      server,
      opts.arena.startupTimeoutMs,
      opts.signal,
      opts.arena.limits.maxInfoBodyBytes,
    );
    emit({ type: "healthy", server: name, waitedMs: timing.healthWaitMs });
    return { server, failure: null, timing };
  } catch (err) {
    if (!(err instanceof HealthTimeout)) {
      await server.stop().catch(() => {});
      throw err;
    }
    timing.healthWaitMs = msSince(t1);
    const failure: ServerFailure = opts.signal?.aborted
      ? { stage: "health", kind: "cancelled", message: "the session was cancelled" }
      : { stage: "health", kind: "health", message: err.message };
    return { server, failure, timing };
  }
}
