// `cacheon gate calibrate`: the baseline judged against itself. A session with the baseline as the
// reference and N more runs of the same server as candidates (their batch compositions differ run
// to run, as high concurrency makes them) shows how much room each gate threshold leaves: DESIGN
// §2.4 requires that the baseline always passes.
import type { Command } from "commander";
import type { Arena } from "../arena/index.js";
import { type GateMargin, gateMargins } from "../gate/index.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { formatTable } from "../table.js";
import { CliError } from "./errors.js";
import {
  arenaOption,
  baselineSpec,
  integer,
  parseGpusOption,
  randomSeed,
  seedOption,
} from "./options.js";
import { cliDockerRuntime, runSessionCli } from "./session.js";

interface CalibrateOptions {
  baseline: string;
  models?: string;
  gpus: GpuSelection;
  runs: number;
  arena?: Arena;
  seed?: string;
  out?: string;
  quiet?: boolean;
}

const show = (x: number | null) => (x === null ? "-" : Number(x.toPrecision(4)).toString());

export function registerGate(program: Command): void {
  program
    .command("gate")
    .description("the correctness gate")
    .command("calibrate")
    .description(
      "run the baseline against itself several times in one session and report, for each gate threshold, the worst value observed and the headroom left; exits 1 if any run fails the gate",
    )
    .requiredOption(
      "--baseline <server>",
      "the baseline: an http(s) URL, reference:PROFILE or docker://IMAGE@sha256:DIGEST (the arena's pinned image runs with its pinned args)",
    )
    .option("--models <dir>", "the model weights directory, for a docker:// baseline")
    .option("--gpus <all|none|ids>", "GPUs a docker:// baseline gets", parseGpusOption, "all")
    .option("--runs <n>", "candidate runs of the baseline", integer("--runs", 1, 50), 3)
    .option("--arena <v1|local|file>", "arena preset or JSON file (default: v1)", arenaOption)
    .option("--seed <hex>", "session seed (default: random)", seedOption)
    .option("--out <file>", "write the EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .action(async (opts: CalibrateOptions) => {
      const arena = opts.arena ?? arenaOption("v1");
      const spec = baselineSpec(opts.baseline, arena);
      const runtime =
        spec.kind === "image" ? await cliDockerRuntime(opts.models, opts.gpus) : undefined;
      const report = await runSessionCli({
        runtime,
        arena,
        seed: opts.seed ?? randomSeed(),
        baseline: { name: "baseline", spec },
        candidates: Array.from({ length: opts.runs }, (_, i) => ({ name: `run-${i + 1}`, spec })),
        quiet: opts.quiet,
        out: opts.out,
      }).finally(() => runtime?.cleanup?.());
      if (report.status !== "ok")
        throw new CliError(`the baseline failed: ${report.baseline.failure?.message}`);
      const margins = report.candidates.map((c) => gateMargins(c.gate, arena.gate));
      const rows = [["metric", "threshold", "worst observed", "headroom", "where"]];
      for (const key of Object.keys(margins[0] ?? {}) as (keyof (typeof margins)[0])[]) {
        const worst = margins
          .map((m) => m[key] as GateMargin)
          .reduce((a, b) => ((b.headroom ?? Infinity) < (a.headroom ?? Infinity) ? b : a));
        rows.push([
          key,
          show(worst.threshold),
          show(worst.observed),
          show(worst.headroom),
          worst.at ?? "",
        ]);
      }
      process.stdout.write(`${formatTable(rows, 1)}\n`);
      const failed = report.candidates.filter((c) => !c.gate.passed);
      for (const c of failed)
        process.stdout.write(`${c.name} FAILED the gate: ${c.gate.reasons.join("; ")}\n`);
      process.stdout.write(
        failed.length === 0
          ? `The baseline passed against itself in all ${opts.runs} runs.\n`
          : `${failed.length} of ${opts.runs} runs failed: the thresholds are too strict for this baseline.\n`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });
}
