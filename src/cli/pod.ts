// `cacheon pod serve`: the GPU pod worker. A validator sends it one eval job at a time over HTTP;
// it runs the session with its runtime and keeps every job's events, report and logs in its state
// directory, so a restarted worker still answers for the jobs of the one before it.
import { statSync } from "node:fs";
import { type Command, Option } from "commander";
import { TOKEN_ENV } from "../pod/auth.js";
import { FIREWALL_MODES, RUNTIME_KINDS } from "../pod/runtime.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { CliError } from "./errors.js";
import { parseGpusOption, parsePort, podToken } from "./options.js";
import { listenError, serveUntilSignal } from "./serve.js";

interface PodServeOptions {
  host: string;
  port: number;
  tokenFile?: string;
  stateDir: string;
  models?: string;
  gpus: GpuSelection;
  runtime: (typeof RUNTIME_KINDS)[number];
  images?: string;
  firewall: (typeof FIREWALL_MODES)[number];
}

function modelsDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir) throw new CliError(`--models ${dir} is not a directory`);
  return dir;
}

export function registerPod(program: Command): void {
  const pod = program
    .command("pod")
    .description("the GPU pod worker: runs a validator's eval jobs on this machine's GPUs");
  pod
    .command("serve")
    .description(
      [
        "Serve the pod's HTTP API: a validator submits one eval job at a time (arena, seed, baseline,",
        "candidates), follows its progress and fetches its EvalReport and server logs. Every route but",
        "GET /health needs `Authorization: Bearer <token>`. Jobs are kept in the state directory; a job",
        "that was running when a worker stopped is reported interrupted at the next start.",
        "When listening it prints one line: cacheon pod listening on http://HOST:PORT",
      ].join(" "),
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, 8750)
    .option(
      "--token-file <file>",
      `file holding the bearer token, at least 16 characters (default: $${TOKEN_ENV})`,
    )
    .option("--state-dir <dir>", "where jobs, events, reports and logs are kept", "./pod-state")
    .option(
      "--models <dir>",
      "the model weights directory, mounted read-only into containers (required with --runtime docker)",
    )
    .option(
      "--gpus <list>",
      "GPUs a server gets: all, none or indices like 0,1,2,3",
      parseGpusOption,
      "all" as GpuSelection,
    )
    .addOption(
      new Option("--runtime <kind>", "docker (miners' images) or local (processes only, no Docker)")
        .choices(RUNTIME_KINDS)
        .default("docker"),
    )
    .option(
      "--images <file>",
      'with --runtime local: a JSON catalogue { "sha256:…": { kind: "reference", profile, variant } } of images run as reference servers (the demo\'s miners)',
    )
    .addOption(
      new Option(
        "--firewall <mode>",
        "host firewall rule per candidate network, so containers cannot open connections to this host: iptables (required), auto (iptables when usable, else a warning), off",
      )
        .choices(FIREWALL_MODES)
        .default("auto"),
    )
    .addHelpText(
      "after",
      `\nThe API and the state directory: docs/validators/pod.md. Example:\n  openssl rand -hex 32 > pod.token && chmod 600 pod.token\n  cacheon pod serve --token-file pod.token --models /data/Qwen2.5-72B-Instruct --gpus 0,1,2,3`,
    )
    .action(async (opts: PodServeOptions) => {
      const token = podToken(opts.tokenFile);
      const models = modelsDir(opts.models);
      if (opts.runtime === "docker" && models === undefined)
        throw new CliError("--runtime docker needs --models DIR (the model weights directory)");
      if (opts.images !== undefined && opts.runtime !== "local")
        throw new CliError("--images is for --runtime local (Docker runs the images themselves)");
      // Loaded here, not at the top: --help and option errors need none of it.
      const { claimStateDir, StateDirError } = await import("../pod/state.js");
      const { createPodRuntime } = await import("../pod/runtime.js");
      const { readImageCatalogue } = await import("../runtime/catalogue.js");
      let images: ReturnType<typeof readImageCatalogue> | undefined;
      try {
        images = opts.images === undefined ? undefined : readImageCatalogue(opts.images);
      } catch (err) {
        throw new CliError(`--images ${(err as Error).message}`);
      }
      const { JobStore } = await import("../pod/jobs.js");
      const { PodWorker } = await import("../pod/worker.js");
      const { startPodServer } = await import("../pod/server.js");
      const { loadVocabulary } = await import("../contract/tokenizer.js");
      const { loadPromptPool } = await import("../arena/pool.js");
      const log = (line: string) => process.stderr.write(`cacheon pod: ${line}\n`);

      let state: ReturnType<typeof claimStateDir>;
      try {
        state = claimStateDir(opts.stateDir);
      } catch (err) {
        if (err instanceof StateDirError) throw new CliError(err.message);
        throw new CliError(`--state-dir ${opts.stateDir}: ${(err as Error).message}`);
      }
      try {
        let runtime: Awaited<ReturnType<typeof createPodRuntime>>;
        try {
          runtime = await createPodRuntime({
            kind: opts.runtime,
            modelsDir: models,
            gpus: opts.gpus,
            podId: state.podId,
            firewall: opts.firewall,
            images,
            log,
          });
        } catch (err) {
          throw new CliError(`--runtime ${opts.runtime}: ${(err as Error).message}`);
        }
        if (runtime.firewall?.enabled === false)
          log(
            "WARNING: no host firewall (iptables is not usable here): candidates can open connections to services listening on this host's bridge addresses",
          );
        // What a killed worker left running goes first, then its jobs are marked interrupted.
        await runtime.cleanup?.();
        const store = new JobStore(opts.stateDir, log);
        for (const job of store.recover()) log(`job ${job.id}: interrupted: ${job.error}`);
        const worker = new PodWorker({
          store,
          runtime,
          vocab: loadVocabulary(),
          pool: loadPromptPool(),
          log,
        });
        const server = await startPodServer({
          host: opts.host,
          port: opts.port,
          token,
          store,
          worker,
        }).catch((err: unknown) => {
          throw listenError(err, opts.host, opts.port) ?? err;
        });
        serveUntilSignal(`cacheon pod listening on ${server.url}`, async () => {
          await worker.close();
          await server.close();
          state.release();
        });
      } catch (err) {
        state.release();
        throw err;
      }
    });
}
