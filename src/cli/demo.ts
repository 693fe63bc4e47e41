// `cacheon demo`: the arena in miniature on one machine. Two reference servers with different speed
// profiles are benchmarked with the same workload and compared with the arena's score formula.
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { loadVocabulary } from "../contract/tokenizer.js";
import type { BenchReport } from "../harness/report.js";
import { runBench } from "../harness/run.js";
import {
  defaultWorkload,
  loadWorkload,
  type Workload,
  WorkloadError,
} from "../harness/workload.js";
import { spawnReferenceServer } from "../reference/spawn.js";
import { score } from "../score/score.js";
import { progressLine } from "./bench.js";
import { CliError } from "./errors.js";
import { formatTable } from "./table.js";

interface DemoOptions {
  baseline: string;
  candidate: string;
  workload?: string;
  out?: string;
  quiet?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "start two local reference servers (a baseline and a faster candidate), benchmark both with the same workload and print the comparison with the score the candidate would get",
    )
    .option("--baseline <profile>", "speed profile of the baseline server", "baseline")
    .option("--candidate <profile>", "speed profile of the candidate server", "fast")
    .option("--workload <file>", "workload JSON file (default: the built-in default workload)")
    .option(
      "--out <prefix>",
      "write both bench reports as <prefix>-baseline.json and <prefix>-candidate.json",
    )
    .option("--quiet", "no progress lines on stderr")
    .addHelpText(
      "after",
      "\nThe servers are `cacheon reference serve` processes: a synthetic model over the real Qwen\nvocabulary, not a real LLM. Profiles: baseline, fast, slow, instant, or a JSON file.",
    )
    .action(async (opts: DemoOptions) => {
      await demo(opts);
    });
}

async function demo(opts: DemoOptions): Promise<void> {
  let workload: Workload;
  try {
    workload = opts.workload ? loadWorkload(opts.workload) : defaultWorkload();
  } catch (err) {
    if (err instanceof WorkloadError) throw new CliError(err.message);
    throw err;
  }
  const latency = workload.phases[0]?.name;
  const throughput = workload.phases.at(-1)?.name;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => {
    if (!opts.quiet) process.stderr.write(`  ${line}\n`);
  };

  say("Cacheon demo: a baseline and a candidate reference server, benchmarked and compared.");
  say("(The reference server is a synthetic model over the Qwen vocabulary, not a real LLM.)");
  const servers = await Promise.all(
    [opts.baseline, opts.candidate].map((profile) =>
      spawnReferenceServer({ profile }).catch((err: Error) => {
        throw new CliError(
          `cannot start a reference server with profile ${profile}: ${err.message}`,
        );
      }),
    ),
  );
  const vocab = loadVocabulary();
  const reports: BenchReport[] = [];
  try {
    for (const [i, role] of ["baseline", "candidate"].entries()) {
      const server = servers[i];
      if (!server) continue;
      const profile = i === 0 ? opts.baseline : opts.candidate;
      say(`\nBenchmarking the ${role} (profile ${profile}) at ${server.url}`);
      const report = await runBench({
        origin: server.url,
        model: "Qwen/Qwen2.5-72B-Instruct",
        workload,
        vocab,
        onProgress: (e) => progress(progressLine(e, workload.trials)),
      });
      reports.push(report);
      if (opts.out) writeFileSync(`${opts.out}-${role}.json`, `${JSON.stringify(report)}\n`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }

  const [base, cand] = reports.map((r) => measured(r, latency, throughput));
  if (!base || !cand) throw new CliError("a benchmark produced no result");
  const s = score(base, cand);
  const failed = reports.reduce(
    (n, r) => n + r.requests.filter((q) => q.status !== "ok").length,
    0,
  );
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  say("");
  say(
    `TTFT: median of the ${latency} phase; tok/s: ${throughput} phase (median of ${workload.trials} trials)`,
  );
  say(
    formatTable(
      [
        ["server", "profile", "TTFT p50 ms", "tok/s", "TTFT gain", "tok/s gain", "score"],
        [
          "baseline",
          opts.baseline,
          base.ttftMs.toFixed(1),
          base.tokensPerSec.toFixed(0),
          "",
          "",
          "",
        ],
        [
          "candidate",
          opts.candidate,
          cand.ttftMs.toFixed(1),
          cand.tokensPerSec.toFixed(0),
          pct(s.ttftImprovement),
          pct(s.tpsImprovement),
          s.score.toFixed(4),
        ],
      ],
      2,
    ),
  );
  say("");
  say("score = 0.5*max(0,(b_ttft-m_ttft)/b_ttft) + 0.5*max(0,(m_tps-b_tps)/b_tps)");
  say(
    s.score > 0
      ? `The candidate beats the baseline: it would score ${s.score.toFixed(4)} (if it passes the correctness gate).`
      : "The candidate does not beat the baseline: it would score 0.",
  );
  if (failed > 0) {
    say(`${failed} request(s) failed; see the reports (--out) for the reasons.`);
    process.exitCode = 1;
  }
}

function measured(r: BenchReport, latency: string | undefined, throughput: string | undefined) {
  const lat = r.summary.find((s) => s.phase === latency);
  const thr = r.summary.find((s) => s.phase === throughput);
  if (lat?.ttftP50Ms == null || thr?.tokensPerSec == null) return undefined;
  return { ttftMs: lat.ttftP50Ms, tokensPerSec: thr.tokensPerSec };
}
