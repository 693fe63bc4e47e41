// `cacheon validator run`: the always-on CPU host. Scans the subnet's commitments, queues them,
// runs eval jobs on GPU pods, crowns the king and sets weights; every step recorded in the state
// directory's SQLite store, so it can be killed and restarted at any moment.
import { type Command, Option } from "commander";
import type { Arena } from "../arena/index.js";
import { ARENA_PRESETS, type ArenaPresetName } from "../arena/presets.js";
import { TOKEN_ENV } from "../pod/auth.js";
import type { ServerSpec } from "../runtime/spec.js";
import type { RentConfig } from "../validator/rent-config.js";
import {
  addDrandBeaconOption,
  addNetworkOptions,
  addWalletOptions,
  type DrandBeaconOptions,
  loadWalletHotkey,
  type WalletOptions,
} from "./chain-options.js";
import { CliError } from "./errors.js";
import {
  arenaOption,
  baselineSpec,
  integer,
  parseListen,
  parsePositive,
  podAddressOption,
  podToken,
} from "./options.js";
import { withAbortOnSignal } from "./signals.js";

interface RunOptions extends WalletOptions, DrandBeaconOptions {
  network: string;
  netuid: number;
  pod?: string[];
  rent?: string;
  podTokenFile?: string;
  podInsecureHttp?: boolean;
  stateDir: string;
  arena: string;
  baseline?: string;
  batch: number;
  maxAttempts: number;
  scanEvery: number;
  weightsEvery?: number;
  tickMs: number;
  podPollMs: number;
  podLost: number;
  http?: { host: string; port: number };
  logLevel: string;
  exitWhenIdle?: boolean;
}

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

const isPreset = (v: string): v is ArenaPresetName => Object.hasOwn(ARENA_PRESETS, v);

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerValidatorRun(validator: Command): void {
  const cmd = validator
    .command("run")
    .description(
      "run the validator: scan the subnet's commitments every few blocks, evaluate the queue on GPU pods (challengers in commit order plus the king), crown the king and set weights; all state in --state-dir, safe to kill and restart at any moment",
    );
  addDrandBeaconOption(addNetworkOptions(addWalletOptions(cmd), true))
    .option(
      "--pod <url>",
      "a GPU pod (`cacheon pod serve`) to run eval jobs on, one job at a time: https://HOST:PORT#sha256=FINGERPRINT (the certificate fingerprint the pod prints), or http:// on loopback; repeat for several",
      collect,
    )
    .option(
      "--rent <file>",
      "rent pods on demand instead of --pod: a JSON file naming the provider (shadeform, or commands), Cacheon's image by digest and the limits (maxPods, idleSeconds, dailySpendCapUsd, …; docs/validators/pods.md); the Shadeform API key from $SHADEFORM_API_KEY",
    )
    .option(
      "--pod-insecure-http",
      "allow http:// pods on other hosts: the token and the reports cross the network in the clear",
    )
    .option("--pod-token-file <file>", `the pods' bearer token (default: $${TOKEN_ENV})`)
    .option(
      "--state-dir <dir>",
      "the store (SQLite), artifacts and pending reveals",
      "./validator-state",
    )
    .option("--arena <v1|local|file>", "the arena every job runs", "v1")
    .option(
      "--baseline <server>",
      "the baseline each session measures (default: the arena's pinned vLLM image); reference:PROFILE for a pod without Docker",
    )
    .option(
      "--batch <n>",
      "challengers per eval job (the king comes on top)",
      integer("--batch", 1),
      4,
    )
    .option(
      "--max-attempts <n>",
      "attempts of a job (pod lost, baseline failed) before it fails for good",
      integer("--max-attempts", 1),
      3,
    )
    .option(
      "--scan-every <blocks>",
      "scan the commitments every N blocks",
      integer("--scan-every", 1),
      5,
    )
    .option(
      "--weights-every <blocks>",
      "set weights once every N blocks (default: the subnet's tempo; never below its rate limit)",
      integer("--weights-every", 1),
    )
    .option("--tick-ms <ms>", "how often the chain head is read", integer("--tick-ms", 10), 3_000)
    .option(
      "--pod-poll-ms <ms>",
      "how often a pod is asked about its job",
      integer("--pod-poll-ms", 10),
      5_000,
    )
    .option(
      "--pod-lost <seconds>",
      "a pod that does not answer for this long has lost its job (it runs again elsewhere)",
      parsePositive("--pod-lost"),
      600,
    )
    .option(
      "--http <[host:]port>",
      "serve the dashboard, the read-only API (/api/…), /metrics (Prometheus) and /healthz here",
      parseListen,
    )
    .addOption(new Option("--log-level <level>", "log level").choices(LOG_LEVELS).default("info"))
    .option(
      "--exit-when-idle",
      "exit 0 once nothing is queued or running and the king's weights are set (tests, one-shot runs)",
    )
    .addHelpText(
      "after",
      "\nWith --rent, a pod is rented while jobs wait and none is free, and given back when idle; a stopped\nvalidator keeps its pods (the next start adopts them; the provider's auto-delete is the backstop),\nand --exit-when-idle waits until every rented pod is given back. `cacheon pods ls` shows them.\nLogs are JSON lines (pino) on stdout. S3 for artifacts: CACHEON_S3_BUCKET, CACHEON_S3_ENDPOINT,\nAWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (docs/validators/validator.md).",
    )
    .action(async (opts: RunOptions) => {
      const arena: Arena = arenaOption(opts.arena);
      const baseline: ServerSpec | undefined =
        opts.baseline === undefined ? undefined : baselineSpec(opts.baseline, arena);
      if ((opts.pod === undefined) === (opts.rent === undefined))
        throw new CliError(
          "give --pod (one or more pods of your own) or --rent (rented on demand)",
        );
      const pods = (opts.pod ?? []).map((v) =>
        podAddressOption("--pod", v, opts.podInsecureHttp === true),
      );
      const token = opts.pod ? podToken(opts.podTokenFile, "--pod-token-file") : "";
      let rent: RentConfig | undefined;
      try {
        const { readRentConfig } = await import("../validator/rent-config.js");
        rent = opts.rent === undefined ? undefined : readRentConfig(opts.rent);
      } catch (err) {
        throw new CliError(`--rent ${(err as Error).message}`);
      }
      const hotkey = await loadWalletHotkey(opts);
      const { pino } = await import("pino");
      const log = pino({ level: opts.logLevel, base: { service: "cacheon-validator" } });
      const { describeEvent } = await import("../validator/describe.js");
      const { openValidatorService, serviceStartProblem } = await import(
        "../app/validator-service.js"
      );
      const { Subtensor } = await import("../chain/subtensor.js");

      const chain = await Subtensor.connect(opts.network, {
        log: (line) => log.warn({ event: "chain" }, line),
      }).catch((err: Error) => {
        throw new CliError(`--network ${opts.network}: ${err.message}`, 1);
      });
      let service: Awaited<ReturnType<typeof openValidatorService>>;
      try {
        service = await openValidatorService({
          stateDir: opts.stateDir,
          chain,
          pair: hotkey.pair,
          netuid: opts.netuid,
          pods: pods.map((p) => ({ name: p.url, url: p.url, fingerprint: p.fingerprint, token })),
          ...(rent ? { rent } : {}),
          arena,
          arenaValue: isPreset(opts.arena)
            ? opts.arena
            : (arena as unknown as Record<string, unknown>),
          baseline,
          batch: opts.batch,
          maxAttempts: opts.maxAttempts,
          scanEveryBlocks: opts.scanEvery,
          weightsEveryBlocks: opts.weightsEvery,
          timelock: { beacon: opts.drandBeacon },
          tickMs: opts.tickMs,
          podPollMs: opts.podPollMs,
          podLostMs: opts.podLost * 1000,
          http: opts.http,
          env: process.env,
          onEvent: (e) => {
            for (const line of describeEvent(e)) log[line.level](line.fields, line.msg);
          },
          artifactLog: (obj) => log.warn({ event: "artifacts", ...obj }, String(obj.msg ?? "")),
        });
      } catch (err) {
        await chain.close();
        const problem = serviceStartProblem(err, opts.http);
        throw problem === null ? err : new CliError(problem);
      }
      log.info(
        {
          event: "start",
          hotkey: hotkey.address,
          netuid: opts.netuid,
          pods: rent ? `rented from ${rent.provider.kind}` : pods.map((p) => p.url),
          arena: arena.name,
          artifacts: service.artifacts.describe(),
          metrics: service.httpUrl && `${service.httpUrl}/metrics`,
        },
        `validator ${hotkey.address} on subnet ${opts.netuid}, ${rent ? `pods rented from ${rent.provider.kind} (at most ${rent.maxPods}, $${rent.dailySpendCapUsd}/day)` : `${pods.length} pod(s)`}, arena ${arena.name}`,
      );
      let stop: AbortSignal | undefined;
      try {
        await withAbortOnSignal((signal) => {
          stop = signal;
          return service.validator.run(
            signal,
            opts.exitWhenIdle
              ? () => service.validator.idle() && (service.rented?.idle() ?? true)
              : undefined,
          );
        });
      } finally {
        await service.close();
        await chain.close();
        log.info({ event: "stop" }, stop?.aborted ? "stopped by signal" : "idle: exiting");
      }
    });
}
