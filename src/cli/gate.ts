// `cacheon gate calibrate`: the gate's controls (DESIGN §2.4). Sessions in which the baseline is
// judged against itself and, on a reference-server baseline, against every honest engine variant
// (forks at near-ties as speculative decoding and other TP degrees make them, exact ties, noisy
// logprobs), one session per seed with the teacher pass, show how much room each threshold leaves:
// an honest engine must always pass.
import type { Command } from "commander";
import {
  HONEST_VARIANTS,
  inProcessRuntime,
  seriesSeed,
  variantCandidates,
  worstMargins,
} from "../app/controls.js";
import type { Arena } from "../arena/index.js";
import type { NamedServer } from "../eval/session.js";
import { gateMargins } from "../gate/index.js";
import { isServerVariant, type ServerVariant, VARIANT_INFO } from "../reference/variants.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { formatTable } from "../table.js";
import { CliError } from "./errors.js";
import {
  arenaOption,
  baselineSpec,
  integer,
  parseGpusOption,
  parseServerSpec,
  randomSeed,
  seedOption,
} from "./options.js";
import { cliDockerRuntime, runSessionCli } from "./session.js";

interface CalibrateOptions {
  baseline: string;
  variants?: ServerVariant[];
  models?: string;
  gpus: GpuSelection;
  runs: number;
  seeds: number;
  arena?: Arena;
  seed?: string;
  out?: string;
  quiet?: boolean;
}

const show = (x: number | null) => (x === null ? "-" : Number(x.toPrecision(4)).toString());

/** `--variants a,b`: honest engine variants only (a negative one is not a control). */
function parseVariants(value: string): ServerVariant[] {
  const names = value.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!isServerVariant(n))
      throw new CliError(
        `--variants: unknown variant ${JSON.stringify(n)}; honest ones: ${HONEST_VARIANTS.join(", ")}`,
      );
    if (!VARIANT_INFO[n].honest)
      throw new CliError(
        `--variants: ${n} is a negative variant (${VARIANT_INFO[n].what}), not a control; honest ones: ${HONEST_VARIANTS.join(", ")}`,
      );
  }
  return [...new Set(names as ServerVariant[])];
}

export function registerGate(program: Command): void {
  program
    .command("gate")
    .description("the correctness gate")
    .command("calibrate")
    .description(
      "run the gate's controls — the baseline against itself and, on a reference-server baseline, every honest engine variant — over a few seeds, teacher pass included, and report for each gate threshold the worst value observed and the headroom left; exits 1 if any control fails the gate",
    )
    .option(
      "--baseline <server>",
      "the baseline: reference:PROFILE (a local reference server), an http(s) URL or docker://IMAGE@sha256:DIGEST (the arena's pinned image runs with its pinned args)",
      "reference:instant",
    )
    .option(
      "--variants <list>",
      `honest engine variants to run against a reference-server baseline, comma-separated (default: all: ${HONEST_VARIANTS.join(", ")})`,
      parseVariants,
    )
    .option("--models <dir>", "the model weights directory, for a docker:// baseline")
    .option("--gpus <all|none|ids>", "GPUs a docker:// baseline gets", parseGpusOption, "all")
    .option(
      "--runs <n>",
      "runs of the baseline against itself per session",
      integer("--runs", 1, 50),
      1,
    )
    .option(
      "--seeds <n>",
      "sessions, each with its own prompts and variant seed",
      integer("--seeds", 1, 100),
      3,
    )
    .option(
      "--arena <v1|local|file>",
      "arena preset or JSON file (default: local for a reference-server baseline, else v1)",
      arenaOption,
    )
    .option(
      "--seed <hex>",
      "the first session's seed; the others derive from it (default: random)",
      seedOption,
    )
    .option("--out <file>", "write the last session's EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .addHelpText(
      "after",
      "\nHonest variants are behaviours of the reference server (cacheon reference serve --help lists\nthem): with a URL or docker:// baseline only the baseline against itself runs. Each threshold's\nrow: its configured value, the worst value any control reached, and the headroom between them\n(negative: a control broke it).",
    )
    .action(async (opts: CalibrateOptions) => {
      const local = parseServerSpec(opts.baseline, "--baseline").kind === "reference";
      const arena = opts.arena ?? arenaOption(local ? "local" : "v1");
      const spec = baselineSpec(opts.baseline, arena);
      if (opts.variants && !local)
        throw new CliError(
          "--variants needs a reference-server baseline (reference:PROFILE): the variants are its engine behaviours",
        );
      // "none" is the reference model itself: the same as a run of the baseline against itself.
      const variants = local ? (opts.variants ?? HONEST_VARIANTS).filter((v) => v !== "none") : [];
      const docker =
        spec.kind === "image" ? await cliDockerRuntime(opts.models, opts.gpus) : undefined;
      const runtime = local ? inProcessRuntime : docker;
      const first = opts.seed ?? randomSeed();
      const controls: { name: string; margins: ReturnType<typeof gateMargins> }[] = [];
      const failed: string[] = [];
      try {
        for (let i = 0; i < opts.seeds; i++) {
          const self: NamedServer[] = Array.from({ length: opts.runs }, (_, k) => ({
            name: `self-${k + 1}`,
            spec,
          }));
          const profile = spec.kind === "reference" ? spec.profile : "";
          const report = await runSessionCli({
            runtime,
            arena,
            seed: i === 0 ? first : seriesSeed(first, i),
            baseline: { name: "baseline", spec },
            candidates: [...self, ...variantCandidates(variants, profile, i)],
            quiet: opts.quiet,
            out: i === opts.seeds - 1 ? opts.out : undefined,
          });
          if (report.status !== "ok")
            throw new CliError(
              `session ${i + 1} (seed ${report.seed}) is ${report.status}: ${report.baseline.failure?.message ?? report.teacher.failure?.message ?? "cancelled"}`,
            );
          for (const c of report.candidates) {
            const name = `${c.name} (seed ${i + 1})`;
            controls.push({ name, margins: gateMargins(c.gate, arena.gate) });
            if (!c.gate.passed) failed.push(`${name}: ${c.gate.reasons.join("; ")}`);
          }
        }
      } finally {
        await docker?.cleanup?.();
      }
      const who = `${opts.runs} run${opts.runs === 1 ? "" : "s"} of the baseline against itself${variants.length ? ` and ${variants.length} honest variants (${variants.join(", ")})` : ""}`;
      process.stdout.write(
        `Controls: ${who}, in ${opts.seeds} session${opts.seeds === 1 ? "" : "s"} of arena ${arena.name}.\n\n`,
      );
      const rows = [["threshold", "configured", "worst observed", "headroom", "control", "where"]];
      for (const { key, worst, from } of worstMargins(controls))
        rows.push([
          key,
          show(worst.threshold),
          show(worst.observed),
          show(worst.headroom),
          from ?? "",
          worst.at ?? "",
        ]);
      process.stdout.write(`${formatTable(rows, 1)}\n\n`);
      for (const f of failed) process.stdout.write(`FAILED ${f}\n`);
      process.stdout.write(
        failed.length === 0
          ? `Every control passed (${controls.length} runs).\n`
          : `${failed.length} of ${controls.length} control runs failed: the gate fails honest engines here (thresholds too strict, or a fault in the gate or the controls).\n`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });
}
