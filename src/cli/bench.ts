// `cacheon bench`: runs a benchmark workload against a server and reports per-phase latency and
// throughput, with every request's timings in the JSON report.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { fetchJson, fetchText } from "../contract/http.js";
import { ModelListSchema } from "../contract/schemas.js";
import { loadVocabulary, TokenizerError, type Vocabulary } from "../contract/tokenizer.js";
import type { BenchReport, PhaseStats } from "../harness/report.js";
import { type ProgressEvent, runBench } from "../harness/run.js";
import {
  defaultWorkload,
  loadWorkload,
  parseWorkload,
  type Workload,
  WorkloadError,
} from "../harness/workload.js";
import { formatTable as table } from "../table.js";
import { CliError } from "./errors.js";
import { integer, parseEndpoint } from "./options.js";
import { withAbortOnSignal } from "./signals.js";

interface BenchOptions {
  endpoint: string;
  workload?: string;
  out?: string;
  model?: string;
  tokenizer?: string;
  trials?: number;
  seed?: number;
  quiet?: boolean;
}

const HELP_AFTER = `
The workload file is JSON; every field has a default except "phases" and, in each phase,
"name", "scheduling", "requests" and "maxTokens":
  {
    "name": "mine", "seed": 0, "trials": 3,
    "warmup": { "requests": 4, "concurrency": 4, "maxTokens": 16 },
    "phases": [
      { "name": "latency", "scheduling": { "kind": "concurrency", "streams": 4 },
        "requests": 8, "maxTokens": 32, "timeLimitMs": 30000 },
      { "name": "throughput", "scheduling": { "kind": "concurrency", "streams": 64 },
        "requests": 128, "maxTokens": 32, "fixedLength": true, "timeLimitMs": 60000 },
      { "name": "open-loop", "scheduling": { "kind": "poisson", "ratePerSec": 20 },
        "requests": 100, "maxTokens": 32, "timeLimitMs": 30000 }
    ],
    "tokenTolerance": { "relative": 0.05, "absolute": 3 }
  }
  Phase fields: prompts ({"source":"builtin","lengths":["short","medium","long"]}),
  timeLimitMs (120000: the phase's hard limit), topLogprobs (default 5),
  requestDeadlineMs (60000), headersTimeoutMs (30000),
  idleTimeoutMs (30000: the longest silence allowed inside a stream).
Without --workload the default runs: warmup, then "latency" (4 streams, 8 requests of 32
tokens) and "throughput" (64 streams, 128 fixed-length requests of 32 tokens), 3 trials.

Every request is greedy (temperature 0) with logprobs. Output tokens are counted from the
logprobs and checked against the text and the tokenizer, never taken from "usage".
TTFT runs from the request's last byte written to the first non-empty token.
Exit status: 0 when every measured request succeeded, 1 when some failed (the report is
still written), 2 for a usage error or an unreachable server.`;

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description(
      "benchmark a server: TTFT, inter-token latency and throughput per phase, with validator-counted tokens",
    )
    .requiredOption(
      "--endpoint <url>",
      "base URL of the server, e.g. http://127.0.0.1:8000",
      parseEndpoint,
    )
    .option("--workload <file>", "workload JSON file (default: the built-in default workload)")
    .option("--out <file>", "write the full JSON report (phase stats and every request) here")
    .option("--model <name>", "model name to request (default: the first one /v1/models lists)")
    .option(
      "--tokenizer <dir>",
      "model directory whose tokenizer.json counts tokens (default: the packaged Qwen vocabulary)",
    )
    .option("--trials <n>", "override the workload's number of trials", integer("--trials", 1))
    .option("--seed <n>", "override the workload's seed", integer("--seed", 0))
    .option("--quiet", "no progress lines on stderr")
    .addHelpText("after", HELP_AFTER)
    .action(async (opts: BenchOptions) => {
      const code = await bench(opts);
      if (code !== 0) process.exitCode = code;
    });
}

/** The server origin: the endpoint without a trailing /v1 (the client adds the API paths). */
export function originOf(endpoint: string): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, "");
  if (path !== "" && path !== "/v1")
    throw new CliError(
      `--endpoint must be the server's base URL (e.g. http://127.0.0.1:8000), not ${JSON.stringify(url.pathname)}`,
    );
  if (url.search || url.hash) throw new CliError("--endpoint must not have a query or fragment");
  return url.origin;
}

function resolveWorkload(opts: BenchOptions): Workload {
  try {
    let w = opts.workload ? loadWorkload(opts.workload) : defaultWorkload();
    if (opts.trials !== undefined || opts.seed !== undefined) {
      w = parseWorkload(
        { ...w, trials: opts.trials ?? w.trials, seed: opts.seed ?? w.seed },
        "workload",
      );
    }
    return w;
  } catch (err) {
    if (err instanceof WorkloadError) throw new CliError(err.message);
    throw err;
  }
}

/** GET /health must answer 200; anything else is a one-line CliError naming what happened. */
export async function checkHealth(origin: string, timeoutMs = 5000): Promise<void> {
  const res = await fetchText(`${origin}/health`, { timeoutMs });
  if (res.ok) return;
  throw new CliError(
    res.unreachable
      ? `cannot reach the server at ${origin}: ${res.reason} (is it running? GET /health failed)`
      : `the server at ${origin} is not ready: GET /health answered ${res.reason}`,
  );
}

async function firstModel(origin: string, timeoutMs = 5000): Promise<string> {
  const res = await fetchJson(`${origin}/v1/models`, ModelListSchema, { timeoutMs });
  const id = res.ok ? res.value.data[0]?.id : undefined;
  if (id) return id;
  throw new CliError(
    `GET ${origin}/v1/models ${res.ok ? "lists no model" : `failed: ${res.reason}`}; pass --model`,
  );
}

const fmt = (x: number | null, digits = 1) => (x === null ? "-" : x.toFixed(digits));

export function progressLine(e: ProgressEvent, trials: number): string {
  switch (e.type) {
    case "warmup-start":
      return `warmup: ${e.requests} requests`;
    case "warmup-end":
      return `warmup: ${e.ok} ok, ${e.failed} failed in ${(e.wallMs / 1000).toFixed(1)} s`;
    case "phase-start":
      return `[trial ${e.trial}/${e.trials}] ${e.phase}: ${e.requests} requests`;
    case "phase-progress":
      return `[trial ${e.trial}/${trials}] ${e.phase}: ${e.done}/${e.requests} done, ${e.failed} failed`;
    case "phase-end": {
      const s = e.stats;
      const kinds = Object.entries(s.failures)
        .map(([k, n]) => `${k}=${n}`)
        .join(" ");
      return (
        `[trial ${s.trial}/${trials}] ${s.phase}: ${s.ok} ok, ${s.failed} failed` +
        `${kinds ? ` (${kinds})` : ""}${s.hitTimeLimit ? ", hit its time limit" : ""}` +
        ` in ${(s.wallMs / 1000).toFixed(1)} s; TTFT p50 ${fmt(s.ttftMs.p50)} ms, ${fmt(s.tokensPerSec, 0)} tok/s`
      );
    }
  }
}

/** The human-readable result: one row per phase and trial, then the median trial per phase. */
export function formatReport(report: BenchReport): string {
  const header = [
    "phase",
    "trial",
    "ok",
    "failed",
    "TTFT p50",
    "p90",
    "p99 ms",
    "ITL p50 ms",
    "e2e p50 ms",
    "tok/s",
  ];
  const row = (s: PhaseStats) => [
    s.phase,
    String(s.trial),
    String(s.ok),
    String(s.failed),
    fmt(s.ttftMs.p50),
    fmt(s.ttftMs.p90),
    fmt(s.ttftMs.p99),
    fmt(s.itlMs.p50, 2),
    fmt(s.e2eMs.p50),
    fmt(s.tokensPerSec, 0),
  ];
  const lines = [
    `${report.endpoint}  model ${report.model}  workload ${report.workload.name}  ${report.workload.trials} trial(s)`,
    "",
    table([header, ...report.phases.map(row)]),
  ];
  if (report.summary.length > 0) {
    lines.push(
      "",
      "Per phase (median trial; TTFT median over all requests with 95% bootstrap CI):",
    );
    const rows = [["phase", "ok", "failed", "TTFT p50 ms", "TTFT median [CI] ms", "tok/s"]];
    for (const s of report.summary) {
      const ci = s.ttftMs.medianCi;
      rows.push([
        s.phase,
        String(s.ok),
        String(s.failed),
        fmt(s.ttftP50Ms),
        `${fmt(s.ttftMs.p50)} [${fmt(ci?.lo ?? null)}, ${fmt(ci?.hi ?? null)}]`,
        fmt(s.tokensPerSec, 0),
      ]);
    }
    lines.push(table(rows));
  }
  const failures: Record<string, number> = {};
  for (const r of report.requests)
    if (r.failure) failures[r.failure.kind] = (failures[r.failure.kind] ?? 0) + 1;
  const kinds = Object.entries(failures);
  if (kinds.length > 0)
    lines.push("", `Failures by kind: ${kinds.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (report.cancelled) lines.push("", "The run was cancelled before it finished.");
  return `${lines.join("\n")}\n`;
}

async function bench(opts: BenchOptions): Promise<number> {
  const origin = originOf(opts.endpoint);
  const workload = resolveWorkload(opts);
  const out = opts.out ? resolve(opts.out) : undefined;
  if (out) {
    try {
      mkdirSync(dirname(out), { recursive: true });
    } catch (err) {
      throw new CliError(`cannot create the directory of --out ${out}: ${(err as Error).message}`);
    }
  }
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  await checkHealth(origin);
  const model = opts.model ?? (await firstModel(origin));
  let vocab: Vocabulary;
  try {
    vocab = loadVocabulary(opts.tokenizer);
  } catch (err) {
    if (err instanceof TokenizerError) throw new CliError(err.message);
    throw err;
  }
  log(`bench: ${origin} is healthy; model ${model}; workload ${workload.name}`);

  // Ctrl-C only: the report of what ran is still written. SIGTERM ends the process as usual.
  const report = await withAbortOnSignal(
    (signal) => {
      signal.addEventListener("abort", () =>
        log("bench: interrupted; finishing the report (Ctrl-C again to quit)"),
      );
      return runBench({
        origin,
        model,
        workload,
        vocab,
        signal,
        onProgress: (e) => {
          if (e.type !== "phase-start") log(progressLine(e, workload.trials));
        },
      });
    },
    ["SIGINT"],
  );
  process.stdout.write(formatReport(report));
  if (out) {
    try {
      writeFileAtomic(out, `${JSON.stringify(report, null, 1)}\n`);
    } catch (err) {
      throw new CliError(`cannot write the report to ${out}: ${(err as Error).message}`);
    }
    log(`bench: report written to ${out}`);
  }
  const failed = report.phases.reduce((s, p) => s + p.failed, 0);
  return failed > 0 || report.cancelled ? 1 : 0;
}
