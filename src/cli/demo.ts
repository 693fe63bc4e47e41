// `cacheon demo`: the whole arena on this machine (app/demo.ts runs it), its story on stdout, the
// eval jobs' progress on stderr; Ctrl-C cleans up, then exits.
import type { Command } from "commander";
import type { Arena } from "../arena/index.js";
import { CliError } from "./errors.js";
import { evalProgress } from "./eval-progress.js";
import { arenaOption, integer, parseListen } from "./options.js";
import { withAbortOnSignal } from "./signals.js";

interface DemoCliOptions {
  arena?: Arena;
  out?: string;
  quiet?: boolean;
  docker?: boolean;
  rent?: boolean;
  blockMs: number;
  serve?: boolean;
  http: { host: string; port: number };
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run the whole arena on this machine: a local chain, a local pod, four miners that commit their images and the validator loop, until the king is crowned and its weights are set; prints the story and the leaderboard",
    )
    .option("--arena <local|v1|file>", "arena preset or JSON file (default: local)", arenaOption)
    .option("--out <file>", "write the last eval job's EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .option(
      "--docker",
      "run the miners' engines as container images: built here, pushed to a registry on loopback, pulled by digest and run isolated by the pod's Docker runtime (needs a Docker engine and docker-registry)",
    )
    .option(
      "--rent",
      "rent the pod on demand instead of starting one: from a Shadeform double on loopback whose instances are `cacheon pod serve` processes, through the validator's own renting (the policy, the store's intents, pinned TLS); a pod appears once jobs wait, runs them and is given back when idle (not with --docker)",
    )
    .option(
      "--block-ms <ms>",
      "the local chain's block time",
      integer("--block-ms", 20, 60_000),
      250,
    )
    .option(
      "--serve",
      "serve the dashboard and the API while the round runs, and keep serving after it until Ctrl-C",
    )
    .option(
      "--http <[host:]port>",
      "where --serve listens (port 0: any free port)",
      parseListen,
      parseListen("127.0.0.1:8014"),
    )
    .addHelpText(
      "after",
      "\nThe miners' engines are `cacheon reference serve` processes (a synthetic model over the real Qwen\nvocabulary, not a real LLM). The chain is Cacheon's local subtensor double, not a subtensor node.\nWith --rent the marketplace is a double too (docs/validators/pods.md). Nothing leaves this machine.",
    )
    .action(async (opts: DemoCliOptions) => {
      const { DemoError, runDemo } = await import("../app/demo.js");
      if (opts.rent && opts.docker)
        throw new CliError("--rent runs the miners as processes: not with --docker");
      const { quiet, ...options } = opts;
      await withAbortOnSignal((signal) =>
        runDemo(
          { ...options, arena: opts.arena ?? arenaOption("local"), signal },
          {
            say: (line = "") => process.stdout.write(`${line}\n`),
            progress: (line) => {
              if (!quiet) process.stderr.write(`${line}\n`);
            },
            jobProgress: quiet ? undefined : () => evalProgress(false),
            interrupted: () => process.exit(130),
          },
        ),
      ).catch((err: unknown) => {
        throw err instanceof DemoError ? new CliError(err.message) : err;
      });
    });
}
