// `cacheon eval`: one eval session from the command line — a baseline and candidates given as URLs
// of running servers or as local reference-server processes — with the verdict a validator would
// reach, and the full EvalReport written to --out. `cacheon report rescore` checks a report.
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { type Arena, ArenaError, loadArena } from "../arena/index.js";
import { loadPromptPool, normalizeSeed } from "../arena/pool.js";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { parseImageRef } from "../contract/image-ref.js";
import { readJsonFile } from "../contract/json-file.js";
import { loadVocabulary } from "../contract/tokenizer.js";
import { StoredOutputError } from "../eval/outputs.js";
import { EVAL_REPORT_SCHEMA, type EvalReport, EvalReportSchema } from "../eval/report.js";
import { type RescoreResult, rescore } from "../eval/rescore.js";
import { type NamedServer, runEvalSession } from "../eval/session.js";
import { createPodRuntime, type PodRuntime } from "../pod/runtime.js";
import { SERVER_NAME } from "../pod/schema.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { localRuntime } from "../runtime/local.js";
import type { Runtime } from "../runtime/runtime.js";
import { type ServerSpec, ServerSpecSchema } from "../runtime/spec.js";
import { formatTable } from "../table.js";
import { parseGpusOption } from "./args.js";
import { CliError } from "./errors.js";
import { runSessionOnPod } from "./eval-pod.js";
import { evalProgress } from "./eval-progress.js";
import { podToken, TOKEN_ENV } from "./pod.js";
import { formatVerdict } from "./verdict.js";

/**
 * `http(s)://…` (a running server), `reference:PROFILE[:VARIANT]` (a local process) or
 * `docker://IMAGE@sha256:…` (a container image, run by the Docker runtime).
 */
export function parseServerSpec(value: string, what: string): ServerSpec {
  if (value.startsWith("docker://")) {
    const parsed = parseImageRef(value.slice("docker://".length));
    if (!parsed.ok) throw new CliError(`${what}: ${parsed.reason}`);
    return { kind: "image", image: parsed.ref.text, args: [] };
  }
  const ref = /^reference:([^:]+)(?::(.+))?$/.exec(value);
  const candidate = ref
    ? { kind: "reference", profile: ref[1], variant: ref[2] ?? "none" }
    : { kind: "url", url: value.replace(/\/+$/, "") };
  const parsed = ServerSpecSchema.safeParse(candidate);
  if (!parsed.success)
    throw new CliError(
      `${what} ${JSON.stringify(value)} is not an http(s) URL, reference:PROFILE[:none|ties|diverge] or docker://IMAGE@sha256:DIGEST`,
    );
  return parsed.data;
}

/** The arena's pinned baseline image runs with its pinned arguments, as a pod runs it. */
export function baselineSpec(value: string, arena: Arena): ServerSpec {
  const spec = parseServerSpec(value, "--baseline");
  return spec.kind === "image" && spec.image === arena.baseline.image
    ? { ...spec, args: arena.baseline.args }
    : spec;
}

export function parseCandidate(value: string, previous: NamedServer[] = []): NamedServer[] {
  const eq = value.indexOf("=");
  if (eq <= 0)
    throw new CliError(
      `--candidate ${JSON.stringify(value)} must be NAME=URL or NAME=reference:PROFILE`,
    );
  const name = value.slice(0, eq);
  if (!SERVER_NAME.test(name) || name === "baseline")
    throw new CliError(
      `--candidate name ${JSON.stringify(name)} must be 1-40 letters, digits, . _ - (and not "baseline")`,
    );
  if (previous.some((c) => c.name === name))
    throw new CliError(`--candidate name ${name} is given twice`);
  return [...previous, { name, spec: parseServerSpec(value.slice(eq + 1), `--candidate ${name}`) }];
}

export function arenaOption(value: string): Arena {
  try {
    return loadArena(value);
  } catch (err) {
    if (err instanceof ArenaError) throw new CliError(err.message);
    throw err;
  }
}

export function seedOption(value: string): string {
  try {
    return normalizeSeed(value);
  } catch (err) {
    throw new CliError(`--seed: ${(err as Error).message}`);
  }
}

/** A fresh random seed, for sessions not tied to a block. */
export const randomSeed = () => `0x${randomBytes(32).toString("hex")}`;

export interface SessionCliOptions {
  arena: Arena;
  seed: string;
  baseline: NamedServer;
  candidates: NamedServer[];
  incumbent?: string;
  quiet?: boolean;
  out?: string;
  /** Default: the local runtime (URLs and reference servers). */
  runtime?: Runtime;
}

/** Runs a session in this process, Ctrl-C cancelling it cleanly; writes --out. */
export async function runSessionCli(o: SessionCliOptions): Promise<EvalReport> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const report = await runEvalSession({
      arena: o.arena,
      seed: o.seed,
      baseline: o.baseline,
      candidates: o.candidates,
      runtime: o.runtime ?? localRuntime,
      vocab: loadVocabulary(),
      pool: loadPromptPool(),
      incumbent: o.incumbent,
      onProgress: evalProgress(o.quiet === true),
      signal: controller.signal,
    });
    if (o.out) writeFileAtomic(o.out, `${JSON.stringify(report)}\n`);
    return report;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** This machine's Docker engine as a pod would use it, for docker:// servers of a CLI command. */
export async function cliDockerRuntime(
  models: string | undefined,
  gpus: GpuSelection,
): Promise<PodRuntime> {
  if (models === undefined)
    throw new CliError("docker:// servers need --models DIR (the weights, mounted read-only)");
  return createPodRuntime({
    kind: "docker",
    modelsDir: models,
    gpus,
    podId: `cli-${process.pid}`,
    log: (line) => process.stderr.write(`cacheon: ${line}\n`),
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
}

/** In this process: the Docker runtime when a server is an image, else local processes. */
async function runSessionHere(
  session: SessionCliOptions,
  opts: Pick<EvalCliOptions, "models" | "gpus">,
): Promise<EvalReport> {
  const specs = [session.baseline, ...session.candidates].map((s) => s.spec);
  if (!specs.some((s) => s.kind === "image")) return runSessionCli(session);
  const runtime = await cliDockerRuntime(opts.models, opts.gpus);
  try {
    return await runSessionCli({ ...session, runtime });
  } finally {
    await runtime.cleanup?.();
  }
}

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
      "a candidate, NAME=URL, NAME=reference:PROFILE[:VARIANT] or NAME=docker://IMAGE@sha256:DIGEST; repeat for more",
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
    .option("--pod <url>", "run the session on a GPU pod (cacheon pod serve) instead of here")
    .option("--pod-token-file <file>", `the pod's bearer token (default: $${TOKEN_ENV})`)
    .option("--out <file>", "write the EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .addHelpText(
      "after",
      "\nServers: an http(s) URL of a running OpenAI-compatible server; reference:PROFILE[:VARIANT]\nfor a local `cacheon reference serve` process (profiles baseline, fast, slow, instant or a JSON\nfile; variants none, ties, diverge); docker://IMAGE@sha256:DIGEST for a container image, pulled\nby digest and run isolated on this machine's Docker engine (needs --models) or on --pod.\nExits 0 when the session ran, 1 when the baseline failed.",
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
            pod: opts.pod,
            token: podToken(opts.podTokenFile, "--pod-token-file"),
          })
        : await runSessionHere(session, opts);
      process.stdout.write(`${formatVerdict(report)}\n`);
      if (opts.out) process.stdout.write(`Report: ${opts.out}\n`);
      if (report.status !== "ok") process.exitCode = 1;
    });

  program
    .command("report")
    .description("work with EvalReport files")
    .command("rescore")
    .description(
      "recompute every gate verdict and score of an EvalReport offline from its records and answers, and check them against the stored ones; exits 1 on any difference",
    )
    .argument("<file>", "an EvalReport JSON file (cacheon eval --out)")
    .option("--json", "print the result as JSON")
    .action((file: string, opts: { json?: boolean }) => {
      const report = readReport(file);
      let r: RescoreResult;
      try {
        r = rescore(report);
      } catch (err) {
        if (err instanceof StoredOutputError) throw new CliError(`${file}: ${err.message}`);
        throw err;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const rows = [["candidate", "stored score", "recomputed", "passed", "reproduced"]];
        for (const c of r.candidates)
          rows.push([
            c.name,
            c.stored.score.toFixed(6),
            c.recomputed.score.toFixed(6),
            `${c.stored.passed} / ${c.recomputed.passed}`,
            c.differences.length === 0 ? "yes" : "NO",
          ]);
        process.stdout.write(`${formatTable(rows, 1)}\n`);
        for (const d of [...r.baseline.differences, ...r.candidates.flatMap((c) => c.differences)])
          process.stdout.write(`  ${d}\n`);
        process.stdout.write(
          r.reproduced
            ? "Every score was reproduced exactly.\n"
            : "Some stored values were NOT reproduced.\n",
        );
      }
      if (!r.reproduced) process.exitCode = 1;
    });
}

function readReport(file: string): EvalReport {
  const json = readJsonFile(file, "report", (m) => new CliError(m));
  const parsed = EvalReportSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CliError(
      `${file} is not a ${EVAL_REPORT_SCHEMA} report: ${i?.path.join(".") || "<root>"}: ${i?.message}`,
    );
  }
  return parsed.data;
}
