// Assembles a running validator from its parts, for `cacheon validator run` and `cacheon demo`:
// the state directory (locked, one validator per directory) with the SQLite store, the artifact
// store (local folder or S3 from the environment, spooled in the state dir), metrics, pods, and the
// loop. The chain is connected by the caller.
import type { Server } from "node:http";
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { Arena } from "../arena/index.js";
import type { TimelockOptions } from "../chain/timelocked-weights.js";
import { hostPort } from "../contract/host.js";
import { listen } from "../contract/http-toolkit.js";
import type { JobRequestInput } from "../pod/schema.js";
import type { ServerSpec } from "../runtime/spec.js";
import { ArtifactConfigError, artifactStoreFromEnv } from "../store/artifacts/index.js";
import type { ArtifactLog, ArtifactStore } from "../store/artifacts/types.js";
import { StoreError } from "../store/db.js";
import { DirectoryLockedError, lockDirectory } from "../store/lock.js";
import { ValidatorStore } from "../store/store.js";
import type { ValidatorEvent } from "../validator/events.js";
import { createMetrics, type ValidatorMetrics } from "../validator/metrics.js";
import { type StaticPod, StaticPods } from "../validator/pods.js";
import { Validator, type ValidatorChain } from "../validator/validator.js";
import { VERSION } from "../version.js";
import { createWebServer } from "../web/server.js";

export interface ServiceOptions {
  stateDir: string;
  chain: ValidatorChain;
  pair: KeyringPair;
  netuid: number;
  pods: StaticPod[];
  arena: Arena;
  /** What jobs name as their arena (a preset name, or the arena object). */
  arenaValue: JobRequestInput["arena"];
  baseline?: ServerSpec;
  batch: number;
  maxAttempts: number;
  scanEveryBlocks: number;
  weightsEveryBlocks?: number;
  /** Timelocked weights (commit-reveal v4 subnets): the drand beacon (default quicknet). */
  timelock?: TimelockOptions;
  tickMs: number;
  podPollMs: number;
  podLostMs: number;
  /** Serve the API, the dashboard, /metrics and /healthz here (port 0: any free port). */
  http?: { host: string; port: number };
  env: Record<string, string | undefined>;
  onEvent: (e: ValidatorEvent) => void;
  artifactLog?: ArtifactLog;
}

export interface ValidatorService {
  validator: Validator;
  store: ValidatorStore;
  artifacts: ArtifactStore;
  metrics: ValidatorMetrics;
  /** Where the dashboard, the API and /metrics are served, when they are. */
  httpUrl: string | null;
  close(): Promise<void>;
}

export const STORE_FILE = "validator.sqlite";

export async function openValidatorService(o: ServiceOptions): Promise<ValidatorService> {
  const lock = lockDirectory(o.stateDir, "validator.lock", "validator");
  let store: ValidatorStore | undefined;
  let artifacts: ArtifactStore | undefined;
  let server: Server | undefined;
  try {
    store = ValidatorStore.open(join(o.stateDir, STORE_FILE));
    artifacts = artifactStoreFromEnv(o.env, join(o.stateDir, "artifacts"), {
      log: o.artifactLog,
    });
    const metrics = createMetrics(store);
    const validator = new Validator({
      store,
      artifacts,
      chain: o.chain,
      pods: new StaticPods(o.pods),
      pair: o.pair,
      netuid: o.netuid,
      arena: o.arenaValue,
      rules: o.arena.king,
      baseline: o.baseline,
      batch: o.batch,
      maxAttempts: o.maxAttempts,
      scanEveryBlocks: o.scanEveryBlocks,
      weightsEveryBlocks: o.weightsEveryBlocks,
      pendingRevealsPath: join(o.stateDir, "pending-reveals.json"),
      tickMs: o.tickMs,
      podPollMs: o.podPollMs,
      podLostMs: o.podLostMs,
      weightsRetry: { baseMs: 2_000, maxMs: 300_000 },
      ...(o.timelock ? { timelock: o.timelock } : {}),
      emit: (e) => {
        metrics.observe(e);
        o.onEvent(e);
      },
    });
    let httpUrl: string | null = null;
    if (o.http) {
      server = createWebServer({
        store,
        artifacts,
        registry: metrics.registry,
        arena: o.arena.name,
        rules: o.arena.king,
        redact: o.pods.flatMap((p) => [p.name, p.url]),
        version: VERSION,
        // A request that broke the server's handling is logged like the loop's errors (and counted
        // in /metrics by the server).
        onError: (err, req) =>
          o.onEvent({
            type: "error",
            where: "http",
            message: `${req ? `${req.method} ${JSON.stringify((req.url ?? "").slice(0, 200))}` : "server"}: ${(err as Error)?.message ?? String(err)}`,
          }),
      });
      const { host, port } = o.http;
      httpUrl = `http://${hostPort(host, await listen(server, { host, port }))}`;
    }
    const s = store;
    const a = artifacts;
    const srv = server;
    return {
      validator,
      store,
      artifacts,
      metrics,
      httpUrl,
      async close() {
        if (srv) await new Promise<void>((r) => srv.close(() => r()));
        await a.close();
        s.close();
        lock.release();
      },
    };
  } catch (err) {
    server?.close();
    await artifacts?.close();
    store?.close();
    lock.release();
    throw err;
  }
}

/**
 * Why the service could not start, in one line, when the reason is the user's to fix (the artifact
 * settings, a store or state directory that cannot be used, the --http address); null for anything
 * else, a bug to show as it is.
 */
export function serviceStartProblem(
  err: unknown,
  http?: { host: string; port: number },
): string | null {
  if (
    err instanceof ArtifactConfigError ||
    err instanceof StoreError ||
    err instanceof DirectoryLockedError
  )
    return err.message;
  const code = http && (err as NodeJS.ErrnoException).code;
  if (!code) return null;
  const why = code === "EADDRINUSE" ? "the address is already in use" : code;
  return `--http ${hostPort(http.host, http.port)}: ${why}`;
}
