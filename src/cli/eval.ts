// `cacheon eval`: one eval session from the command line — a baseline and candidates given as URLs
// of running servers, as local reference-server processes or as images — with the verdict a
// validator would reach, and the full EvalReport written to --out.
import type { Command } from "commander";
import type { Arena } from "../arena/index.js";
import type { NamedServer } from "../eval/session.js";
import { TOKEN_ENV } from "../pod/auth.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { CliError } from "./errors.js";
import {
  arenaOption,
  baselineSpec,
  parseCandidate,
  parseGpusOption,
  podAddressOption,
  podToken,
  randomSeed,
  seedOption,
} from "./options.js";
import { runSessionHere, runSessionOnPod, type SessionCliOptions } from "./session.js";
import { formatVerdict } from "./verdict.js";

interface EvalCliOptions {
  baseline: string;
  candidate: NamedServer[];
  seed?: string;
  arena?: Arena;
  king?: string;
  models?: string;
  gpus: GpuSelection;
  pod?: string;
  podTokenFile?: string;
  podInsecureHttp?: boolean;
  out?: string;
  quiet?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description(
      "run one eval session as a validator does: the baseline, then each candidate on the same prompts; prints the verdict (TTFT, throughput, gains, gate, score, who would be king) and writes the EvalReport",
    )
    .requiredOption(
      "--baseline <server>",
      "the baseline: an http(s) URL, reference:PROFILE or docker://IMAGE@sha256:DIGEST",
    )
    .option(
      "--candidate <name=server>",
      "a candidate, NAME=URL, NAME=reference:PROFILE[:VARIANT[@SEED]] or NAME=docker://IMAGE@sha256:DIGEST; repeat for more",
      (v: string, prev: NamedServer[]) => parseCandidate(v, prev),
      [] as NamedServer[],
    )
    .option("--seed <hex>", "session seed, e.g. a block hash (default: random)", seedOption)
    .option("--arena <v1|local|file>", "arena preset or JSON file (default: v1)", arenaOption)
    .option("--king <name>", "the candidate that is king now (challengers must beat it by m0)")
    .option(
      "--models <dir>",
      "the model weights directory, mounted read-only into docker:// servers (needed for them)",
    )
    .option(
      "--gpus <all|none|ids>",
      "GPUs docker:// servers get: all, none or 0,1,2,3",
      parseGpusOption,
      "all",
    )
    .option(
      "--pod <url>",
      "run the session on a GPU pod (cacheon pod serve) instead of here: https://HOST:PORT#sha256=FINGERPRINT, or http:// on loopback",
    )
    .option(
      "--pod-insecure-http",
      "allow an http:// --pod on another host (the token in the clear)",
    )
    .option("--pod-token-file <file>", `the pod's bearer token (default: $${TOKEN_ENV})`)
    .option("--out <file>", "write the EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .addHelpText(
      "after",
      "\nServers: an http(s) URL of a running OpenAI-compatible server; reference:PROFILE[:VARIANT[@SEED]]\nfor a local `cacheon reference serve` process (profiles baseline, fast, slow, instant or a JSON\nfile; variants and their seeds as `cacheon reference serve --help` lists them);\ndocker://IMAGE@sha256:DIGEST for a container image, pulled by digest and run isolated\non this machine's Docker engine (needs --models) or on --pod.\nExits 0 when the session ran, 1 when the baseline failed.",
    )
    .action(async (opts: EvalCliOptions) => {
      if (opts.candidate.length === 0) throw new CliError("give at least one --candidate NAME=URL");
      if (opts.king && !opts.candidate.some((c) => c.name === opts.king))
        throw new CliError(`--king ${opts.king} is not one of the candidates`);
      const arena = opts.arena ?? arenaOption("v1");
      const session: SessionCliOptions = {
        arena,
        seed: opts.seed ?? randomSeed(),
        baseline: { name: "baseline", spec: baselineSpec(opts.baseline, arena) },
        candidates: opts.candidate,
        incumbent: opts.king,
        quiet: opts.quiet,
        out: opts.out,
      };
      const report = opts.pod
        ? await runSessionOnPod({
            ...session,
            pod: podAddressOption("--pod", opts.pod, opts.podInsecureHttp === true),
            token: podToken(opts.podTokenFile, "--pod-token-file"),
          })
        : await runSessionHere(session, opts);
      process.stdout.write(`${formatVerdict(report)}\n`);
      if (opts.out) process.stdout.write(`Report: ${opts.out}\n`);
      if (report.status !== "ok") process.exitCode = 1;
    });
}
