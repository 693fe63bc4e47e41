// `cacheon demo`: one real eval session on this machine, no GPU, chain or Docker needed. Four
// reference-server processes take part: the baseline, a faster correct miner, a slower correct
// one, and a fast one whose model is subtly different (it must fail the gate). The verdict shows
// who would be crowned and why the wrong model failed.
import type { Command } from "commander";
import type { Arena } from "../arena/index.js";
import type { CandidateRun } from "../eval/report.js";
import type { NamedServer } from "../eval/session.js";
import { explainRequest } from "../gate/index.js";
import { arenaOption, randomSeed, runSessionCli, seedOption } from "./eval.js";
import { formatVerdict } from "./verdict.js";

interface DemoOptions {
  arena?: Arena;
  seed?: string;
  out?: string;
  quiet?: boolean;
}

export const DEMO_CANDIDATES: NamedServer[] = [
  { name: "fast", spec: { kind: "reference", profile: "fast", variant: "none" } },
  { name: "slow", spec: { kind: "reference", profile: "slow", variant: "none" } },
  { name: "wrong-model", spec: { kind: "reference", profile: "fast", variant: "diverge" } },
];

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run one eval session on this machine with local reference servers: a baseline, a faster correct miner, a slower one and one whose model is subtly different; prints the verdict",
    )
    .option("--arena <local|v1|file>", "arena preset or JSON file (default: local)", arenaOption)
    .option("--seed <hex>", "session seed (default: random)", seedOption)
    .option("--out <file>", "write the EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .addHelpText(
      "after",
      "\nThe servers are `cacheon reference serve` processes: a synthetic model over the real Qwen\nvocabulary, not a real LLM. The session is the one `cacheon eval` and a validator run.",
    )
    .action(async (opts: DemoOptions) => {
      const say = (line = "") => process.stdout.write(`${line}\n`);
      say("Cacheon demo: one eval session with four local reference servers.");
      say("(The reference server is a synthetic model over the Qwen vocabulary, not a real LLM.)");
      const report = await runSessionCli({
        arena: opts.arena ?? arenaOption("local"),
        seed: opts.seed ?? randomSeed(),
        baseline: {
          name: "baseline",
          spec: { kind: "reference", profile: "baseline", variant: "none" },
        },
        candidates: DEMO_CANDIDATES,
        quiet: opts.quiet,
        out: opts.out,
      });
      say("");
      say(formatVerdict(report));
      for (const c of report.candidates) explainFirstFailure(c, say);
      if (opts.out)
        say(`\nReport: ${opts.out} (check it with: cacheon report rescore ${opts.out})`);
      if (report.status !== "ok") process.exitCode = 1;
    });
}

function explainFirstFailure(c: CandidateRun, say: (s?: string) => void): void {
  const v = c.gate.verdicts.find((x) => x.status === "fail");
  if (!v) return;
  say(`\nWhy ${c.name} failed the gate:`);
  say(explainRequest(v).replace(/^/gm, "  "));
}
