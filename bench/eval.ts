// `npm run bench` (second part): how noisy the arena's verdict is, and what a session costs beyond
// the servers' own time.
//
// (a) Score noise: one session with the reference server's `baseline` profile as the baseline, as an
//     incumbent king and as N challengers (default 10) — identical servers, so every true gain is 0.
//     Prints the challengers' score mean and standard deviation and how many would have been
//     crowned over the identical king under the full margin m0 (a false crowning).
//     Targets: std ≤ 0.003, no false crowning.
// (b) Eval overhead: the share of the session's wall time spent outside server start, health waits
//     and requests (planning, token counting, gate comparisons, stats, report). Target ≤ 5 %.
//
// Bounded: one session of the `local` arena (or --arena), N+2 servers run one after another.
// Usage: node dist/bench/eval.js [--runs N] [--arena local|v1|FILE] [--json FILE]
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { loadArena } from "../src/arena/index.js";
import { loadPromptPool } from "../src/arena/pool.js";
import { writeFileAtomic } from "../src/contract/atomic-write.js";
import { loadVocabulary } from "../src/contract/tokenizer.js";
import { runEvalSession } from "../src/eval/session.js";
import { mean } from "../src/harness/stats.js";
import { localRuntime } from "../src/runtime/local.js";
import { formatTable } from "../src/table.js";

const TARGET_SCORE_STD = 0.003;
const TARGET_OVERHEAD_SHARE = 0.05;

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) =>
  args.includes(name) ? (args[args.indexOf(name) + 1] ?? fallback) : fallback;
const runs = Number(opt("--runs", "10"));
const arenaName = opt("--arena", "local");
const jsonOut = opt("--json", "bench-out/eval.json");

const log = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const arena = loadArena(arenaName);
  const spec = { kind: "reference", profile: "baseline", variant: "none" } as const;
  log(
    `cacheon eval bench: arena ${arena.name}, ${runs} challengers identical to the king and the baseline`,
  );
  const started = performance.now();
  const report = await runEvalSession({
    arena,
    seed: "0xbe0c4",
    baseline: { name: "baseline", spec },
    candidates: [
      { name: "king", spec },
      ...Array.from({ length: runs }, (_, i) => ({ name: `run-${i + 1}`, spec })),
    ],
    runtime: localRuntime,
    vocab: loadVocabulary(),
    pool: loadPromptPool(),
    incumbent: "king",
    onProgress: (e) => {
      if (e.type === "server-end")
        log(
          `  ${e.server}: ${e.failure ? `FAILED ${e.failure.message}` : "done"} (${(e.measuredMs / 1000).toFixed(1)} s of requests)`,
        );
    },
  });
  const king = report.candidates[0];
  const challengers = report.candidates.slice(1);
  if (!king || report.status !== "ok")
    throw new Error(`session failed: ${report.baseline.failure?.message}`);
  const scores = challengers.map((c) => c.score);
  const m = mean(scores) ?? 0;
  const std = Math.sqrt(mean(scores.map((s) => (s - m) ** 2)) ?? 0);
  const m0 = arena.king.marginM0;
  const falseCrowns = challengers.filter((c) => c.gate.passed && c.score > king.score + m0).length;
  const b = report.baseline.measured;
  log("");
  log(
    formatTable(
      [
        ["server", "TTFT ms", "tok/s", "TTFT ratio", "tok/s ratio", "score"],
        ...[report.baseline, ...report.candidates].map((c) => [
          c.name,
          (c.measured?.ttftMs ?? 0).toFixed(2),
          (c.measured?.tokensPerSec ?? 0).toFixed(1),
          b && c.measured ? (c.measured.ttftMs / b.ttftMs).toFixed(4) : "-",
          b && c.measured ? (c.measured.tokensPerSec / b.tokensPerSec).toFixed(4) : "-",
          "score" in c ? (c.score as number).toFixed(4) : "",
        ]),
      ],
      1,
    ),
  );
  const t = report.timing;
  const met = (ok: boolean) => (ok ? "met" : "MISSED");
  log("");
  log(
    `Score of ${runs} identical challengers: mean ${m.toFixed(4)}, std ${std.toFixed(4)} (target ≤ ${TARGET_SCORE_STD}: ${met(std <= TARGET_SCORE_STD)})`,
  );
  log(
    `False crownings over the identical king (score > king ${king.score.toFixed(4)} + m0 ${m0}): ${falseCrowns} of ${runs} (target 0: ${met(falseCrowns === 0)})`,
  );
  log(
    `Eval overhead: ${(t.overheadMs / 1000).toFixed(1)} s of ${(t.wallMs / 1000).toFixed(1)} s = ${(100 * t.overheadShare).toFixed(1)}% (target ≤ ${100 * TARGET_OVERHEAD_SHARE}%: ${met(t.overheadShare <= TARGET_OVERHEAD_SHARE)}); start ${(t.startMs / 1000).toFixed(1)} s, health ${(t.healthWaitMs / 1000).toFixed(1)} s, requests ${(t.requestsMs / 1000).toFixed(1)} s`,
  );
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileAtomic(
    jsonOut,
    `${JSON.stringify({ arena: arena.name, runs, scores, mean: m, std, falseCrowns, kingScore: king.score, timing: t, benchWallMs: performance.now() - started }, null, 2)}\n`,
  );
  const reportOut = `${jsonOut.replace(/\.json$/, "")}-report.json`;
  writeFileAtomic(reportOut, `${JSON.stringify(report)}\n`);
  log(`Results: ${jsonOut}; the session's EvalReport: ${reportOut}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
