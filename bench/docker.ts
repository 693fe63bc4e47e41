// `npm run bench` (third part): what running servers as containers costs the pod, per candidate, on
// top of the server's own startup (container start to healthy) and its requests; the pull is timed
// apart. One session of the tiny test arena: a containerised baseline and N candidates (the test
// suite's `fast` image, pulled by digest from a loopback registry). The overhead is the candidate's
// wall time less its pull, its own startup and its requests: network, firewall rule and container
// creation, judging between slots, stop and removal. Target: ≤ 10 s per candidate.
// Skipped, with the reason, where no Docker engine can be had.
// Usage: node dist/bench/docker.js [--runs N] [--json FILE]
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { loadPromptPool } from "../src/arena/pool.js";
import { writeFileAtomic } from "../src/contract/atomic-write.js";
import { loadVocabulary } from "../src/contract/tokenizer.js";
import type { ServerRun } from "../src/eval/report.js";
import { type NamedServer, runEvalSession } from "../src/eval/session.js";
import { createDockerRuntime } from "../src/runtime/docker/runtime.js";
import type { Runtime } from "../src/runtime/runtime.js";
import { formatTable } from "../src/table.js";
import { ensureEngine } from "../test/docker/engine.js";
import { buildBaseImage, makeModelsDir, pushBehaviour } from "../test/docker/images.js";
import { tinyArena } from "../test/helpers/arenas.js";
import { HAS_REGISTRY, startLocalRegistry } from "../test/helpers/registry.js";

const TARGET_OVERHEAD_S = 10;
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) =>
  args.includes(name) ? (args[args.indexOf(name) + 1] ?? fallback) : fallback;
const runs = Number(opt("--runs", "3"));
const jsonOut = opt("--json", "bench-out/docker.json");
const log = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Wall time of a server outside its pull, its own startup and its requests, seconds. */
const overheadS = (r: ServerRun) =>
  (r.timing.wallMs - (r.timing.pullMs ?? 0) - r.timing.healthWaitMs - r.timing.requestsMs) / 1000;

async function session(runtime: Runtime, baseline: NamedServer, candidates: NamedServer[]) {
  const arena = { ...tinyArena(), startupTimeoutMs: 60_000 };
  const report = await runEvalSession({
    arena,
    seed: "0xd0c6e4",
    baseline,
    candidates,
    runtime,
    vocab: loadVocabulary(),
    pool: loadPromptPool(),
  });
  const failed = [report.baseline, ...report.candidates].find((r) => r.status !== "ok");
  if (failed) throw new Error(`${failed.name} failed: ${failed.failure?.message}`);
  return report.candidates;
}

async function main(): Promise<void> {
  if (!HAS_REGISTRY) return log("cacheon docker bench: SKIPPED (docker-registry is not installed)");
  const engine = await ensureEngine();
  if (!engine.ok) return log(`cacheon docker bench: SKIPPED (${engine.reason})`);
  const registry = await startLocalRegistry();
  const modelsDir = makeModelsDir();
  try {
    log(`cacheon docker bench: a containerised baseline and ${runs} containerised candidates`);
    buildBaseImage();
    const good = pushBehaviour(registry.host, "good");
    const fast = pushBehaviour(registry.host, "fast");
    const runtime = await createDockerRuntime({ modelsDir, gpus: "none", podId: "bench" });
    const names = Array.from({ length: runs }, (_, i) => `c${i + 1}`);
    const image = (ref: string) => ({ kind: "image" as const, image: ref, args: [] });
    const inDocker = await session(
      runtime,
      { name: "baseline", spec: image(good) },
      names.map((name) => ({ name, spec: image(fast) })),
    ).finally(() => runtime.cleanup());
    const rows = [
      ["candidate", "pull s", "create s", "own startup s", "requests s", "wall s", "overhead s"],
    ];
    for (const c of inDocker)
      rows.push([
        c.name,
        ((c.timing.pullMs ?? 0) / 1000).toFixed(2),
        ((c.timing.startMs - (c.timing.pullMs ?? 0)) / 1000).toFixed(2),
        (c.timing.healthWaitMs / 1000).toFixed(2),
        (c.timing.requestsMs / 1000).toFixed(2),
        (c.timing.wallMs / 1000).toFixed(2),
        overheadS(c).toFixed(2),
      ]);
    log(formatTable(rows, 2));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const overhead = mean(inDocker.map(overheadS));
    const wall = mean(inDocker.map((c) => c.timing.wallMs / 1000));
    log(
      `Pod overhead per candidate: ${overhead.toFixed(2)} s (${((overhead / wall) * 100).toFixed(1)} % of its wall time; target ≤ ${TARGET_OVERHEAD_S} s: ${overhead <= TARGET_OVERHEAD_S ? "met" : "NOT met"}); pull ${mean(inDocker.map((c) => (c.timing.pullMs ?? 0) / 1000)).toFixed(2)} s on average, apart`,
    );
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileAtomic(
      jsonOut,
      `${JSON.stringify({ runs, overheadS: overhead, candidates: inDocker.map((c) => c.timing) }, null, 2)}\n`,
    );
  } finally {
    await registry.stop();
    rmSync(modelsDir, { recursive: true, force: true });
    await engine.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`cacheon docker bench failed: ${err.message}\n`);
  process.exit(1);
});
