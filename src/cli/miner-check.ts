// `cacheon miner check`: a miner's pre-flight before paying for a commit. It runs what a validator
// runs — the image's pull and checks and its isolated start (with --image), the contract probes,
// then (with a baseline) a full eval session with the arena's gate, its teacher pass and score — and
// says for each failure what to do next.
import type { Command } from "commander";
import type { Arena } from "../arena/index.js";
import type { EvalReport } from "../eval/report.js";
import { explainRequest, type GateFailReason } from "../gate/index.js";
import { checkContract, type ProbeResult, type RequirementId } from "../probes/contract.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { waitForHealth } from "../runtime/health.js";
import { ImageRefused, type RunningServer, type Runtime } from "../runtime/runtime.js";
import type { ServerSpec } from "../runtime/spec.js";
import { CliError } from "./errors.js";
import {
  arenaOption,
  baselineSpec,
  parseEndpoint,
  parseGpusOption,
  parseServerSpec,
  randomSeed,
  seedOption,
} from "./options.js";
import { cliDockerRuntime, runSessionCli } from "./session.js";
import { formatVerdict } from "./verdict.js";

const CONTRACT_ADVICE: Record<RequirementId, string> = {
  health: "serve GET /health and answer 200 only once the model is loaded",
  models: "list the served model name (env SERVED_MODEL_NAME) in GET /v1/models",
  stream: "stream SSE `data: <chunk>` events and end with `data: [DONE]`",
  non_stream: "answer stream:false with one chat.completion, the same greedy text as streaming",
  logprobs:
    "with logprobs:true, emit every generated token once in choices[0].logprobs.content with top_logprobs",
  greedy: "temperature 0 must be deterministic: same prompt, same tokens",
  max_tokens: "stop at max_tokens (and max_completion_tokens) exactly",
  fixed_length: "honour vLLM's ignore_eos and min_tokens: the benchmark needs fixed-length outputs",
  stop: "end the output at a stop string",
  usage: "send a final usage chunk when stream_options.include_usage is set",
  sampling: "accept temperature, top_p and seed",
};

const GATE_ADVICE: Record<GateFailReason, string> = {
  request_failed:
    "the request itself failed: fix the error shown (timeouts, crashes, contract breaks)",
  reference_invalid: "the baseline's answer was unusable: check the baseline server, not yours",
  missing_logprobs:
    "return logprobs with the requested number of top_logprobs for every generated token",
  text_mismatch: "the logprobs tokens must concatenate to exactly the streamed text",
  extra_tokens: "never generate more than max_tokens",
  too_few_tokens:
    "end an answer only at the model's EOS or max_tokens: honour ignore_eos/min_tokens exactly",
  divergence:
    "your greedy tokens differ from the pinned model's where it is not a near-tie: check weights, dtype, quantization and kernels",
  premature_stop: "stop only where the model's own EOS is its top choice (within the tie gap)",
  teacher_rank:
    "after your first near-tie every token must still be one the model would choose: check sampling, weights and kernels",
  teacher_hard_floor:
    "a token the model finds nearly impossible: check what your engine emits after its first near-tie",
  teacher_soft_floor: "several tokens the model finds very unlikely: check weights and kernels",
  eos_skip: "stop where the model's EOS is its clear choice unless the request set ignore_eos",
  teacher_invalid:
    "the teacher's scores did not fit your answer: a validator-side problem, not yours",
  logprob_error:
    "report the model's true logprobs (log-softmax of the raw logits) for the token and the top list",
};

/** The teacher's part of the verdict for the miner's server: its forks and how they were judged. */
function printTeacher(report: EvalReport): void {
  const c = report.candidates[0];
  if (!c) return;
  const forked = c.gate.verdicts.filter((v) => v.fork);
  if (forked.length === 0) {
    say("  Teacher: every request matched the reference token for token; nothing to score.");
    return;
  }
  const failed = forked.filter((v) => v.status === "fail").length;
  const waiting = forked.filter((v) => v.status === "forked").length;
  say(
    `  Teacher: ${forked.length} requests forked from the reference at a near-tie or past it; the teacher (the baseline image, scoring your tokens from the fork on) passed ${c.gate.counts.tolerated}, failed ${failed}${waiting > 0 ? `, and never judged ${waiting}` : ""}.`,
  );
  const { candidate: m, control: k, judged } = c.gate.teacher;
  if (m.tokens > 0)
    say(
      `  Your ${m.tokens} scored tokens: ${(100 * m.notFineShare).toFixed(2)}% outside the tie gap of the model's top-1, mean NLL excess ${m.nllExcess.toFixed(4)}; the stock control's ${k.tokens}: ${(100 * k.notFineShare).toFixed(2)}%, ${k.nllExcess.toFixed(4)}${judged ? "" : ` (too few tokens to compare: ${report.arena.gate.control.minTokens} needed)`}.`,
    );
}

interface MinerCheckOptions {
  endpoint?: string;
  image?: string;
  models?: string;
  gpus: GpuSelection;
  baseline?: string;
  arena?: Arena;
  seed?: string;
  out?: string;
  quiet?: boolean;
}

const say = (s = "") => process.stdout.write(`${s}\n`);

function printGateFailures(report: EvalReport): void {
  const c = report.candidates[0];
  if (!c || c.gate.passed) return;
  const failing = c.gate.verdicts.filter((v) => v.status === "fail");
  for (const v of failing.slice(0, 3)) {
    say(explainRequest(v).replace(/^/gm, "  "));
    if (v.reason) say(`  next step: ${GATE_ADVICE[v.reason]}`);
  }
  if (failing.length > 3) say(`  … and ${failing.length - 3} more failing requests (see --out)`);
}

export function registerMinerCheck(miner: Command): void {
  miner
    .command("check")
    .description(
      "pre-flight for a miner's server: the contract probes, then (with --baseline) a full eval session against the baseline with the arena's gate, and the projected score; says what to fix for each failure",
    )
    .option("--endpoint <url>", "your running server, e.g. http://127.0.0.1:8000", parseEndpoint)
    .option(
      "--image <ref@sha256:digest>",
      "your image instead of --endpoint: pulled by digest and run exactly as a validator's pod runs it (needs --models)",
    )
    .option("--models <dir>", "the model weights directory, mounted read-only into containers")
    .option(
      "--gpus <all|none|ids>",
      "GPUs containers get: all, none or 0,1,2,3",
      parseGpusOption,
      "all",
    )
    .option(
      "--baseline <server>",
      "the pinned vLLM baseline: an http(s) URL, reference:PROFILE or docker://IMAGE@sha256:DIGEST",
    )
    .option("--arena <v1|local|file>", "arena preset or JSON file (default: v1)", arenaOption)
    .option("--seed <hex>", "session seed (default: random)", seedOption)
    .option("--out <file>", "write the EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .addHelpText(
      "after",
      "\nWith --image, step 0 pulls and checks your image and starts it isolated, as the pod does (the\nsame checks, user, read-only root, network and limits: docs/miners/contract.md); the contract is\nprobed on it, it is stopped, and the eval session starts it again after the baseline, as a\nvalidator's session does, so it never shares the GPUs with the baseline.",
    )
    .action(async (opts: MinerCheckOptions) => {
      if ((opts.endpoint === undefined) === (opts.image === undefined))
        throw new CliError(
          "give --endpoint URL (your running server) or --image REF@sha256:DIGEST (your image), one of them",
        );
      const arena = opts.arena ?? arenaOption("v1");
      const candidate: ServerSpec = opts.image
        ? parseServerSpec(`docker://${opts.image.replace(/^docker:\/\//, "")}`, "--image")
        : { kind: "url", url: opts.endpoint as string };
      const baseline = opts.baseline ? baselineSpec(opts.baseline, arena) : undefined;
      const needsDocker = candidate.kind === "image" || baseline?.kind === "image";
      const runtime = needsDocker ? await cliDockerRuntime(opts.models, opts.gpus) : undefined;
      try {
        if (!(await contractStep(candidate, arena, runtime))) {
          process.exitCode = 1;
          return;
        }
        if (!baseline) {
          say("\n2. Gate and score: skipped (no --baseline).");
          say(
            "   next step: start the pinned vLLM baseline on the same GPUs (docs/miners/check.md) and pass --baseline URL",
          );
          return;
        }
        say(`\n2. Eval session: baseline ${opts.baseline}, then your server`);
        const report = await runSessionCli({
          arena,
          seed: opts.seed ?? randomSeed(),
          baseline: { name: "baseline", spec: baseline },
          candidates: [{ name: "miner", spec: candidate }],
          quiet: opts.quiet,
          out: opts.out,
          runtime,
        });
        say(formatVerdict(report));
        printTeacher(report);
        const c = report.candidates[0];
        if (report.status !== "ok" || !c) {
          say(
            report.status === "teacher_failed"
              ? "\nThe teacher (the baseline image, started again to score forked requests) failed, so forked requests have no verdict: check the baseline, then run the check again."
              : "\nThe baseline failed, so nothing could be judged: check the baseline server.",
          );
          process.exitCode = 1;
          return;
        }
        if (c.failure) {
          printGateFailures(report);
          say(
            `\nA validator would give this server score 0 (${c.failure.kind} at ${c.failure.stage}).`,
          );
          process.exitCode = 1;
          return;
        }
        say(
          c.score > 0
            ? `\nProjected score: ${c.score.toFixed(4)}. To be crowned it must also beat the king's fresh score by the margin (up to ${report.arena.king.marginM0}).`
            : "\nThe server is correct but not faster than the baseline: projected score 0.",
        );
      } finally {
        await runtime?.cleanup?.();
      }
    });
}

/**
 * Step 0 for an image (pull, checks, start, health, as the pod does) and step 1, the contract
 * probes; the image's container is stopped after. False when either fails (already said why).
 */
async function contractStep(
  candidate: ServerSpec,
  arena: Arena,
  runtime: Runtime | undefined,
): Promise<boolean> {
  let endpoint = candidate.kind === "url" ? candidate.url : "";
  let server: RunningServer | undefined;
  try {
    if (candidate.kind === "image" && runtime) {
      say(`0. Image: ${candidate.image}, pulled and started as a validator's pod does`);
      try {
        server = await runtime.start(candidate, { arena, onStatus: (l) => say(`   ${l}`) });
        const waited = await waitForHealth(
          server,
          arena.startupTimeoutMs,
          undefined,
          arena.limits.maxInfoBodyBytes,
        );
        say(`   PASS  healthy after ${(waited / 1000).toFixed(1)} s at ${server.origin}`);
      } catch (err) {
        say(`   FAIL  ${(err as Error).message}`);
        const logs = server?.logs().trim();
        if (logs) say(`   its output ended with:\n${logs.slice(-2000).replace(/^/gm, "     ")}`);
        say(
          err instanceof ImageRefused
            ? "   next step: fix the image as the reason says (docs/miners/contract.md); a validator refuses it the same way"
            : "   next step: make the server answer GET /health with 200 within the arena's startup timeout, under the container's rules (docs/miners/contract.md)",
        );
        return false;
      }
      endpoint = server.origin;
    }
    say(`1. Contract: probing ${endpoint}`);
    const contract = await checkContract({
      endpoint,
      timeoutMs: 60_000,
      limits: arena.limits,
      onResult: (r: ProbeResult) =>
        say(`   ${r.passed ? "PASS" : "FAIL"}  ${r.id.padEnd(13)} ${r.title}`),
    });
    const broken = contract.results.filter((r) => !r.passed);
    for (const r of broken) {
      say(`   ${r.id}: ${r.evidence}`);
      say(`   next step: ${CONTRACT_ADVICE[r.id as RequirementId]}`);
    }
    if (broken.length > 0)
      say("\nFix the contract first: a validator would fail this server before measuring it.");
    return broken.length === 0;
  } finally {
    await server?.stop();
  }
}
