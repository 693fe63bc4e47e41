// Assembles a running validator from its parts, for `cacheon validator run` and `cacheon demo`:
// the state directory (locked, one validator per directory) with the SQLite store, the artifact
// store (local folder or S3 from the environment, spooled in the state dir), metrics, pods (a static
// list, or rented on demand), and the loop. The chain is connected by the caller.
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
import { type PodProvider, type StaticPod, StaticPods } from "../validator/pods.js";
import {
  type RentConfig,
  RentConfigError,
  rentalProvider,
  rentLaunch,
  rentPolicy,
} from "../validator/rent-config.js";
import { RentedPods, rentalAddresses } from "../validator/rented-pods.js";
import { Validator, type ValidatorChain } from "../validator/validator.js";
import { VERSION } from "../version.js";
import { createWebServer } from "../web/server.js";

export interface ServiceOptions {
  stateDir: string;
  chain: ValidatorChain;
  pair: KeyringPair;
  netuid: number;
  pods: StaticPod[];
  /** Rent pods on demand instead (`pods` then stays empty); tagged with the validator's hotkey. */
  rent?: RentConfig;
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
  /** Rented pods, when renting: the loop is done only once none is left (`idle`). */
  rented: RentedPods | null;
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
    const metrics = createMetrics(
      store,
      o.rent ? { dailySpendCapCents: rentPolicy(o.rent).dailySpendCapCents } : {},
    );
    const emit = (e: ValidatorEvent) => {
      metrics.observe(e);
      o.onEvent(e);
    };
    const rented = o.rent
      ? new RentedPods({
          store,
          provider: rentalProvider(o.rent, o.env),
          policy: rentPolicy(o.rent),
          hardware: o.arena.hardware,
          launch: rentLaunch(o.rent),
          identity: o.pair.address,
          maxRentalMs: o.rent.maxRentalHours * 3_600_000,
          retryMs: o.rent.retrySeconds * 1000,
          emit,
        })
      : null;
    const pods: PodProvider = rented ?? new StaticPods(o.pods);
    const validator = new Validator({
      store,
      artifacts,
      chain: o.chain,
      pods,
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
      emit,
    });
    // Adopt or delete what a previous run left before the first job is placed; when the provider
    // does not answer now, the first ticks try again and place no new job until it does.
    await rented
      ?.reconcile()
      .catch((err: unknown) =>
        emit({ type: "error", where: "pods", message: (err as Error).message }),
      );
    let httpUrl: string | null = null;
    if (o.http) {
      const rentals = store;
      server = createWebServer({
        store,
        artifacts,
        registry: metrics.registry,
        arena: o.arena.name,
        rules: o.arena.king,
        redact: rented
          ? () => rentalAddresses(rentals.rentalsSince(0))
          : o.pods.flatMap((p) => [p.name, p.url]),
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
      rented,
      httpUrl,
      async close() {
        await rented?.close();
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
    err instanceof RentConfigError ||
    err instanceof StoreError ||
    err instanceof DirectoryLockedError
  )
    return err.message;
  const code = http && (err as NodeJS.ErrnoException).code;
  if (!code) return null;
  const why = code === "EADDRINUSE" ? "the address is already in use" : code;
  return `--http ${hostPort(http.host, http.port)}: ${why}`;
}
