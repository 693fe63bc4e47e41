// `cacheon pod serve`: the GPU pod worker. A validator sends it one eval job at a time over HTTP;
// it runs the session with its runtime and keeps every job's events, report and logs in its state
// directory, so a restarted worker still answers for the jobs of the one before it. Off loopback it
// speaks HTTPS only (pod/tls.ts), unless told otherwise.
import { mkdirSync, statSync } from "node:fs";
import { type Command, Option } from "commander";
import { certificateLine, listeningLine } from "../pod/announce.js";
import { TOKEN_ENV } from "../pod/auth.js";
import { FIREWALL_MODES, RUNTIME_KINDS } from "../pod/runtime.js";
import {
  isLoopbackHost,
  type PodTlsIdentity,
  podTransport,
  TLS_CERT_ENV,
  TLS_KEY_ENV,
  tlsIdentity,
} from "../pod/tls.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { CliError } from "./errors.js";
import { arenaOption, parseGpusOption, parsePort, podToken, readOptionFile } from "./options.js";
import { defaultHubUrl, HUB_URL_HELP, registerPodWeights } from "./pod-weights.js";
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
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  insecureHttp?: boolean;
  weights?: string;
  hubUrl?: string;
  download: boolean;
}

/** The key pair given by --tls-cert/--tls-key, else by the environment (PEM text); none: undefined. */
function givenTls(opts: PodServeOptions): PodTlsIdentity | undefined {
  let key: string | undefined;
  let cert: string | undefined;
  let source: string;
  if (opts.tlsCert !== undefined || opts.tlsKey !== undefined) {
    if (opts.tlsCert === undefined || opts.tlsKey === undefined)
      throw new CliError("--tls-cert and --tls-key go together");
    key = readOptionFile("--tls-key", opts.tlsKey);
    cert = readOptionFile("--tls-cert", opts.tlsCert);
    source = `--tls-cert ${opts.tlsCert} and --tls-key ${opts.tlsKey}`;
  } else {
    key = process.env[TLS_KEY_ENV];
    cert = process.env[TLS_CERT_ENV];
    if (key === undefined && cert === undefined) return undefined;
    if (key === undefined || cert === undefined)
      throw new CliError(`set both ${TLS_KEY_ENV} and ${TLS_CERT_ENV} (PEM text), or neither`);
    source = `$${TLS_CERT_ENV} and $${TLS_KEY_ENV}`;
  }
  try {
    return tlsIdentity(key, cert, source);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
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
        "Off loopback it serves HTTPS: with --tls-cert/--tls-key (or $CACHEON_POD_TLS_CERT and",
        "$CACHEON_POD_TLS_KEY, PEM text), else with a key pair and self-signed certificate it makes at",
        "its first start and keeps in the state directory. It prints the certificate's fingerprint,",
        "cacheon pod certificate sha256 AB:CD:…, for the validator to pin (--pod",
        "https://HOST:PORT#sha256=AB:CD:…), then one line when listening: cacheon pod listening on",
        "https://HOST:PORT (http:// on loopback, or with --insecure-http).",
      ].join(" "),
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, 8750)
    .option(
      "--token-file <file>",
      `file holding the bearer token, at least 16 characters (default: $${TOKEN_ENV})`,
    )
    .option(
      "--tls-cert <file>",
      `the certificate to serve HTTPS with, PEM (default: $${TLS_CERT_ENV})`,
    )
    .option("--tls-key <file>", `its private key, PEM (default: $${TLS_KEY_ENV})`)
    .option(
      "--self-signed",
      "serve HTTPS with the state directory's self-made certificate on loopback too (off loopback it is the default)",
    )
    .option(
      "--insecure-http",
      "serve plain HTTP on a non-loopback --host: the token and the reports cross the network in the clear (a private network or a tunnel of your own)",
    )
    .option("--state-dir <dir>", "where jobs, events, reports and logs are kept", "./pod-state")
    .option(
      "--models <dir>",
      "the model weights directory, mounted read-only into containers (required with --runtime docker)",
    )
    .option(
      "--weights <arena>",
      "get the arena's pinned model weights (a preset or a JSON file: its model.weights) into --models before taking jobs: files the folder holds are verified, missing ones downloaded from the hub and verified; /health shows the progress, and a file that does not match stops every job with the reason",
    )
    .option("--hub-url <url>", `with --weights: ${HUB_URL_HELP}`)
    .option(
      "--no-download",
      "with --weights: verify the folder only (a provider volume), never download",
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
      `\nThe API and the state directory: docs/validators/pod.md. Example:\n  openssl rand -hex 32 > pod.token && chmod 600 pod.token\n  cacheon pod serve --token-file pod.token --models /data/Qwen2.5-72B-Instruct --gpus 0,1,2,3\nOn a fresh machine, with the weights fetched and verified first (docs/validators/pod.md, The weights):\n  cacheon pod serve --host 0.0.0.0 --token-file pod.token --models /models --weights v1`,
    )
    .action(async (opts: PodServeOptions) => {
      const token = podToken(opts.tokenFile);
      const given = givenTls(opts);
      let transport: ReturnType<typeof podTransport>;
      try {
        transport = podTransport({
          host: opts.host,
          given: given !== undefined,
          selfSigned: opts.selfSigned === true,
          insecureHttp: opts.insecureHttp === true,
        });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const weightsPin =
        opts.weights === undefined ? undefined : arenaOption(opts.weights).model.weights;
      if (weightsPin !== undefined) {
        if (opts.models === undefined)
          throw new CliError("--weights needs --models DIR (where the weights are, or are to go)");
        if (opts.download) mkdirSync(opts.models, { recursive: true, mode: 0o755 });
      }
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
      const { selfMadeIdentity } = await import("../pod/tls.js");
      const { loadVocabulary } = await import("../contract/tokenizer.js");
      const { loadPromptPool } = await import("../arena/pool.js");
      const { hubHeaders, startWeightsSetup } = await import("../pod/weights/setup.js");
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
        let tls = given;
        if (transport === "self-made") {
          try {
            const self = await selfMadeIdentity(opts.stateDir);
            if (self.made) log(`made a TLS key pair and a self-signed certificate: ${self.file}`);
            tls = self.identity;
          } catch (err) {
            throw new CliError((err as Error).message);
          }
        }
        // Runs while the pod already answers, so /health can say why no job is taken yet.
        const weights =
          weightsPin === undefined || models === undefined
            ? undefined
            : startWeightsSetup({
                pin: weightsPin,
                dir: models,
                hub: opts.download ? (opts.hubUrl ?? defaultHubUrl()) : null,
                headers: hubHeaders(),
                stateDir: opts.stateDir,
                log,
              });
        const server = await startPodServer({
          host: opts.host,
          port: opts.port,
          token,
          store,
          worker,
          tls,
          weights: weights?.tracker,
        }).catch(async (err: unknown) => {
          await weights?.stop();
          throw listenError(err, opts.host, opts.port) ?? err;
        });
        if (tls) {
          // On stdout, before the ready line, for whoever starts the pod and pins it.
          process.stdout.write(`${certificateLine(tls.fingerprint)}\n`);
          const port = new URL(server.url).port;
          log(
            `pin it on the validator: --pod 'https://<this host>:${port}#sha256=${tls.fingerprint}'`,
          );
        } else if (isLoopbackHost(opts.host))
          log("plain HTTP, on loopback only: the token does not leave this machine");
        else
          log(
            `WARNING: plain HTTP on ${opts.host} (--insecure-http): the token and every report cross the network in the clear`,
          );
        serveUntilSignal(listeningLine(server.url), async () => {
          await weights?.stop();
          await worker.close();
          await server.close();
          state.release();
        });
      } catch (err) {
        state.release();
        throw err;
      }
    });
  registerPodWeights(pod);
}
