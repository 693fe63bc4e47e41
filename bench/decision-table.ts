// `npm run bench` (decision table, issue 16 item 7): does the gate pass every honest engine and fail
// every negative one, every time? Every reference-server variant (src/reference/variants.ts: the
// honest ones fork at near-ties, take exact ties, report noisy logprobs; the negatives flip clear
// positions, run a broken kernel, emit junk or planted bad tokens after a fork, skip or fake the end
// of sequence, or are another model) is a candidate against the reference model as the baseline, in
// full sessions teacher pass included, under N seeds (default 20): session i draws its own prompts
// and gives every variant the variant seed i (which moves where it forks or misbehaves). All
// variants run in one session per seed, so the teacher starts once per seed.
//
// Bounded to a few minutes on 2 cores: the `local` arena's rules (its gate thresholds, phases and
// request shapes) with one trial per phase instead of three and a gate pass of 16 requests of up
// to 64 tokens instead of 8 of 32 (the untimed requests where a negative that misbehaves only at an
// answer's end, EOS skipping, gets its chances: with 8 of 32 it had none in 2 of 20 sessions and
// passed, emitting exactly the model's tokens), the reference server's `instant`
// speed profile, and every server (the teacher too) in this process rather than one process each,
// which saves a process start and a vocabulary load per server (~20 per session); the output says
// so. Verdicts do not depend on where a server runs; timings do, so the teacher's share is the
// scoring work's against the requests', without process starts. Prints variant | kind | passed |
// failed | first failing rule(s), and the teacher pass's time as a share of the session. A bench,
// not a test, but it exits 1 when any honest variant fails or any negative passes, and says so.
// Usage: node dist/bench/decision-table.js [--seeds N] [--seed HEX] [--json FILE]
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  failingRule,
  HONEST_VARIANTS,
  inProcessRuntime,
  seriesSeed,
  variantCandidates,
} from "../src/app/controls.js";
import { deepMerge, parseArena } from "../src/arena/index.js";
import { loadPromptPool } from "../src/arena/pool.js";
import { ARENA_PRESETS } from "../src/arena/presets.js";
import { writeFileAtomic } from "../src/contract/atomic-write.js";
import { loadVocabulary } from "../src/contract/tokenizer.js";
import { runEvalSession } from "../src/eval/session.js";
import { mean } from "../src/harness/stats.js";
import { SERVER_VARIANTS, type ServerVariant, VARIANT_INFO } from "../src/reference/variants.js";
import { formatTable } from "../src/table.js";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) =>
  args.includes(name) ? (args[args.indexOf(name) + 1] ?? fallback) : fallback;
const seeds = Number(opt("--seeds", "20"));
const baseSeed = opt("--seed", "0xdec1");
const jsonOut = opt("--json", "bench-out/decision-table.json");
const PROFILE = "instant";

const log = (s: string) => process.stdout.write(`${s}\n`);

/** The local arena with one trial per phase and a longer gate pass (see above). */
const arena = parseArena(
  deepMerge(ARENA_PRESETS.local, {
    name: "local-decision-table",
    workload: { trials: 1, gate: { requests: 16, maxTokens: 64 } },
  }),
  "the decision table's arena",
);

/** "a ×3, b ×1", most first; "-" when empty. */
const counts = (m: ReadonlyMap<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(", ") || "-";

interface Row {
  variant: ServerVariant;
  honest: boolean;
  passed: number;
  failed: number;
  /** Failing rule → runs it failed by. */
  rules: Map<string, number>;
  /** Every request failure reason seen → sessions it was seen in (the gate runs the whole session
   *  unless the reference's list stops it, so later rules show too). */
  seen: Map<string, number>;
}

async function main(): Promise<void> {
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error("--seeds must be a positive integer");
  const variants = [...SERVER_VARIANTS];
  const rows = new Map<ServerVariant, Row>(
    variants.map((v) => [
      v,
      {
        variant: v,
        honest: VARIANT_INFO[v].honest,
        passed: 0,
        failed: 0,
        rules: new Map(),
        seen: new Map(),
      },
    ]),
  );
  const w = arena.workload;
  log(
    `cacheon decision table: ${variants.length} reference-server variants (${HONEST_VARIANTS.length} honest) × ${seeds} seeds, each a candidate against the reference model, teacher pass included.`,
  );
  log(
    `Bounded: the local arena's rules with ${w.trials} trial per phase (local has ${ARENA_PRESETS.local.workload.trials}) and a gate pass of ${w.gate.requests} requests of up to ${w.gate.maxTokens} tokens (local: ${ARENA_PRESETS.local.workload.gate.requests} of ${ARENA_PRESETS.local.workload.gate.maxTokens}), the "${PROFILE}" speed profile, the servers in this process; one session per seed.`,
  );
  const started = performance.now();
  const shares: number[] = [];
  let teacherMs = 0;
  let wallMs = 0;
  const vocab = loadVocabulary();
  const pool = loadPromptPool();
  for (let i = 0; i < seeds; i++) {
    const seed = seriesSeed(baseSeed, i);
    const report = await runEvalSession({
      arena,
      seed,
      baseline: {
        name: "baseline",
        spec: { kind: "reference", profile: PROFILE, variant: "none" },
      },
      candidates: variantCandidates(variants, PROFILE, i),
      runtime: inProcessRuntime,
      vocab,
      pool,
    });
    if (report.status !== "ok")
      throw new Error(
        `session ${i + 1} (seed ${seed}) is ${report.status}: ${report.baseline.failure?.message ?? report.teacher.failure?.message ?? ""}`,
      );
    shares.push(report.timing.teacherShare);
    teacherMs += report.timing.teacherMs;
    wallMs += report.timing.wallMs;
    const wrong: string[] = [];
    for (const c of report.candidates) {
      const row = rows.get(c.name as ServerVariant) as Row;
      const rule = failingRule(c, arena);
      if (rule === null) row.passed++;
      else {
        row.failed++;
        row.rules.set(rule, (row.rules.get(rule) ?? 0) + 1);
        for (const reason of Object.keys(c.gate.failures))
          row.seen.set(reason, (row.seen.get(reason) ?? 0) + 1);
      }
      // A negative that passed with every answer equal to the model's never misbehaved: the
      // workload gave it no chance, which says so rather than blaming the gate.
      const same = c.gate.verdicts.every((v) => v.status === "match");
      if ((rule === null) !== row.honest)
        wrong.push(
          `${c.name} ${rule === null ? `passed${same ? " (every answer equal to the model's: it never misbehaved)" : ""}` : `failed (${rule})`}`,
        );
    }
    log(
      `  seed ${i + 1}/${seeds}: ${(report.timing.wallMs / 1000).toFixed(1)} s, teacher ${(100 * report.timing.teacherShare).toFixed(1)}% (${report.teacher.requests} forked requests)${wrong.length ? `; WRONG: ${wrong.join(", ")}` : ""}`,
    );
  }

  const all = [...rows.values()].sort((a, b) => Number(b.honest) - Number(a.honest));
  log("");
  log(
    formatTable(
      [
        [
          "variant",
          "kind",
          "passed",
          "failed",
          "first failing rule(s)",
          "every rule that failed a request",
        ],
        ...all.map((r) => [
          r.variant,
          r.honest ? "honest" : "negative",
          `${r.passed}/${seeds}`,
          `${r.failed}/${seeds}`,
          counts(r.rules),
          counts(r.seen),
        ]),
      ],
      2,
    ),
  );
  const share = teacherMs / wallMs;
  log("");
  log(
    `Teacher pass: ${(teacherMs / 1000).toFixed(1)} s of ${(wallMs / 1000).toFixed(1)} s of sessions = ${(100 * share).toFixed(1)}% (per session: mean ${(100 * (mean(shares) ?? 0)).toFixed(1)}%, max ${(100 * Math.max(...shares)).toFixed(1)}%).`,
  );
  const honestFailed = all.filter((r) => r.honest && r.failed > 0);
  const negativePassed = all.filter((r) => !r.honest && r.passed > 0);
  const ok = honestFailed.length === 0 && negativePassed.length === 0;
  log(
    ok
      ? `DECISION TABLE OK: every honest variant passed all ${seeds} seeds and every negative failed all ${seeds}.`
      : `DECISION TABLE FAILED: ${[
          ...honestFailed.map((r) => `honest ${r.variant} failed ${r.failed}/${seeds}`),
          ...negativePassed.map((r) => `negative ${r.variant} passed ${r.passed}/${seeds}`),
        ].join("; ")}.`,
  );
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileAtomic(
    jsonOut,
    `${JSON.stringify(
      {
        arena: arena.name,
        profile: PROFILE,
        seeds,
        baseSeed,
        rows: all.map((r) => ({
          ...r,
          rules: Object.fromEntries(r.rules),
          seen: Object.fromEntries(r.seen),
        })),
        teacherShare: share,
        teacherSharePerSession: shares,
        ok,
        benchWallMs: performance.now() - started,
      },
      null,
      2,
    )}\n`,
  );
  log(`Results: ${jsonOut} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
