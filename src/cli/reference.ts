// `cacheon reference serve`: the reference inference server (a synthetic model, not a real LLM).
import { type Command, Option } from "commander";
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_PREFILL_TIE_FLIPS,
  DEFAULT_SERVED_MODEL_NAME,
} from "../reference/constants.js";
import {
  PROFILE_NAMES,
  ProfileError,
  resolveProfile,
  type SpeedProfile,
} from "../reference/profile.js";
import type { ReferenceServer } from "../reference/server.js";
import {
  isServerVariant,
  SERVER_VARIANTS,
  type ServerVariant,
  VARIANT_INFO,
} from "../reference/variants.js";
import { CliError } from "./errors.js";
import { integer, parsePort } from "./options.js";
import { exitWithParent, listenError, serveUntilSignal } from "./serve.js";

interface ServeOptions {
  host: string;
  port: number;
  profile: SpeedProfile;
  variant: ServerVariant;
  variantSeed: number;
  prefillTieFlips: number;
  modelDir?: string;
  servedModelName: string;
  seed: number;
  recordTimings?: boolean;
}

function parseProfileOption(value: string): SpeedProfile {
  try {
    return resolveProfile(value);
  } catch (err) {
    if (err instanceof ProfileError) throw new CliError(`--profile: ${err.message}`);
    throw err;
  }
}

function parseVariant(value: string): ServerVariant {
  if (!isServerVariant(value))
    throw new CliError(
      `--variant must be one of ${SERVER_VARIANTS.join(", ")}, got ${JSON.stringify(value)}`,
    );
  return value;
}

function parseShare(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !(n >= 0 && n <= 1))
    throw new CliError(
      `--prefill-tie-flips must be a number from 0 to 1, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** --variant's help: every variant, honest ones first. */
function variantHelp(): string {
  const line = (v: ServerVariant) => `${v}: ${VARIANT_INFO[v].what}`;
  const honest = SERVER_VARIANTS.filter((v) => VARIANT_INFO[v].honest).map(line);
  const negative = SERVER_VARIANTS.filter((v) => !VARIANT_INFO[v].honest).map(line);
  return `the model or engine variant. Honest (a gate must pass them): ${honest.join("; ")}. Negatives (a gate must fail them): ${negative.join("; ")}`;
}

export function registerReference(program: Command): void {
  const reference = program
    .command("reference")
    .description(
      "the reference inference server: a synthetic model (NOT a real LLM) behind the miner API",
    );
  reference
    .command("serve")
    .description(
      [
        "Serve the miner API contract (DESIGN §2.1) with a deterministic SYNTHETIC language model,",
        "and a teacher's endpoints as vLLM serves them (POST /tokenize, POST /v1/completions with a",
        "token-id prompt and prompt_logprobs);",
        "it is not a real LLM. It emits word tokens of the real Qwen vocabulary from a hash of the",
        "context, so its answers are reproducible nonsense prose with plausible logprobs. The speed",
        "profile makes it behave like an inference engine under load (prefill cost, batch-dependent",
        "step time, a batch limit, continuous or static batching). It is the demo's miners and",
        "baseline, the tests' server and a template for a miner's own server.",
        `Requests without max_tokens get at most ${DEFAULT_MAX_TOKENS} tokens; temperature defaults to`,
        "1 (OpenAI's default), 0 is greedy.",
        "When listening it prints one line: cacheon reference server listening on http://HOST:PORT",
      ].join(" "),
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, 8000)
    .addOption(
      new Option(
        "--profile <name|file>",
        `speed profile: ${PROFILE_NAMES.join(", ")}, or a JSON file with prefillBaseMs, prefillMsPerToken, decodeStepMs, decodePerSeqMs, maxBatch, continuousBatching`,
      )
        .argParser(parseProfileOption)
        .default(resolveProfile("baseline"), "baseline"),
    )
    .option("--variant <variant>", variantHelp(), parseVariant, "none" as ServerVariant)
    .option(
      "--variant-seed <n>",
      "moves an engine variant's choices (which requests fork, where it misbehaves): a bench runs a variant under many seeds",
      integer("--variant-seed", 0, 0xffffffff),
      0,
    )
    .option(
      "--prefill-tie-flips <share>",
      "share of near-ties at which /v1/completions' prompt_logprobs (a prefill) ranks the runner-up first, as a real engine's prefill disagrees with its decode (vLLM issue 48271: 1.5-3% of positions)",
      parseShare,
      DEFAULT_PREFILL_TIE_FLIPS,
    )
    .option(
      "--model-dir <dir>",
      "read the vocabulary from DIR/tokenizer.json (default: the packaged Qwen vocabulary)",
    )
    .option("--served-model-name <name>", "model name to serve", DEFAULT_SERVED_MODEL_NAME)
    .option(
      "--seed <n>",
      "model seed (servers that must agree use the same one)",
      integer("--seed", 0, 0xffffffff),
      0,
    )
    .option(
      "--record-timings",
      "record when each request was received and its first token written; served at GET /debug/timings",
    )
    .action(async (opts: ServeOptions) => {
      // Before the slow start: a parent that spawned us and dies meanwhile takes us with it.
      exitWithParent();
      // Loaded here, not at the top: the vocabulary takes seconds, --help and option errors don't.
      const { startReferenceServer } = await import("../reference/server.js");
      const { TokenizerError } = await import("../contract/tokenizer.js");
      let server: ReferenceServer;
      try {
        server = await startReferenceServer({
          host: opts.host,
          port: opts.port,
          profile: opts.profile,
          variant: opts.variant,
          variantSeed: opts.variantSeed,
          prefillTieFlips: opts.prefillTieFlips,
          seed: opts.seed,
          modelDir: opts.modelDir,
          servedModelName: opts.servedModelName,
          recordTimings: opts.recordTimings === true,
        });
      } catch (err) {
        if (err instanceof TokenizerError)
          throw new CliError(`--model-dir: ${(err as Error).message}`);
        throw listenError(err, opts.host, opts.port) ?? err;
      }
      serveUntilSignal(`cacheon reference server listening on ${server.url}`, () => server.close());
    });
}
