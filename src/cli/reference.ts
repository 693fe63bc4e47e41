// `cacheon reference serve`: the reference inference server (a synthetic model, not a real LLM).
import { type Command, Option } from "commander";
import { DEFAULT_MAX_TOKENS, DEFAULT_SERVED_MODEL_NAME } from "../reference/constants.js";
import { VARIANTS, type Variant } from "../reference/model.js";
import {
  PROFILE_NAMES,
  ProfileError,
  resolveProfile,
  type SpeedProfile,
} from "../reference/profile.js";
import type { ReferenceServer } from "../reference/server.js";
import { CliError } from "./errors.js";
import { integer, parsePort } from "./options.js";
import { exitWithParent, listenError, serveUntilSignal } from "./serve.js";

interface ServeOptions {
  host: string;
  port: number;
  profile: SpeedProfile;
  variant: Variant;
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

function parseVariant(value: string): Variant {
  if (!(VARIANTS as readonly string[]).includes(value))
    throw new CliError(
      `--variant must be one of ${VARIANTS.join(", ")}, got ${JSON.stringify(value)}`,
    );
  return value as Variant;
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
        "Serve the miner API contract (DESIGN §2.1) with a deterministic SYNTHETIC language model;",
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
    .option(
      "--variant <variant>",
      "none: the reference model; ties: prefers the runner-up at every near-tie (the gate tolerates each such divergence, but on long outputs too little is left to compare and it fails the matched-fraction rule); diverge: prefers the runner-up at ~2% of clear positions (a gate must reject it)",
      parseVariant,
      "none" as Variant,
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
