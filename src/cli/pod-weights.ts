// `cacheon pod weights fetch|verify|pin`: the arena's model weights on a pod machine, by hand or in
// a setup script. fetch downloads what the folder lacks from the hub at the pinned revision and
// verifies every file; verify only verifies; pin computes the pin of files an operator has, to paste
// into an arena config. Progress goes to stderr, the record or pin (JSON) to stdout.
import { mkdirSync } from "node:fs";
import type { Command } from "commander";
import { CliError } from "./errors.js";
import { arenaOption } from "./options.js";

interface WeightsOptions {
  models: string;
  arena: string;
  hubUrl?: string;
  concurrency?: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CliError(`${value} is not a whole number from 1 to 64`);
  return n;
}

const log = (line: string) => process.stderr.write(`cacheon pod: ${line}\n`);

async function run(opts: WeightsOptions, download: boolean): Promise<void> {
  const { prepareWeights, WeightsError } = await import("../pod/weights/prepare.js");
  const { weightsLogger, weightsSummary } = await import("../pod/weights/log.js");
  const { hubHeaders } = await import("../pod/weights/setup.js");
  const arena = arenaOption(opts.arena);
  if (download) mkdirSync(opts.models, { recursive: true, mode: 0o755 });
  try {
    const record = await prepareWeights({
      pin: arena.model.weights,
      dir: opts.models,
      hub: download ? (opts.hubUrl ?? defaultHubUrl()) : null,
      headers: hubHeaders(),
      concurrency: opts.concurrency,
      onEvent: weightsLogger(log),
    });
    log(weightsSummary(record));
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  } catch (err) {
    if (err instanceof WeightsError) throw new CliError(`weights refused: ${err.message}`, 1);
    throw new CliError(`${opts.models}: ${(err as Error).message}`, 1);
  }
}

/** The options `pod serve --weights` shares with fetch: where missing files come from. */
export const HUB_URL_HELP =
  "where missing files are downloaded from: <hub>/<repo>/resolve/<revision>/<path> (default: $CACHEON_HUB_URL, else https://huggingface.co; $HF_TOKEN is sent for a gated repository)";

export function defaultHubUrl(): string {
  return process.env.CACHEON_HUB_URL ?? "https://huggingface.co";
}

export function registerPodWeights(pod: Command): void {
  const weights = pod
    .command("weights")
    .description("the arena's model weights on this machine: fetch, verify, or pin them");
  const common = (c: Command) =>
    c
      .requiredOption("--models <dir>", "the model weights folder (the pod's --models)")
      .option(
        "--arena <name|file>",
        "the arena whose model.weights pin applies: a preset or a JSON file",
        "v1",
      );
  common(
    weights
      .command("fetch")
      .description(
        "Download what the folder lacks from the hub at the arena's pinned revision (resumed after a cut, retried, each file renamed into place only when whole) and verify every file against its pinned sha256. Files without a pinned sha256 are hashed and reported unconfirmed. Prints the record (JSON); exits 1 naming the first file refused.",
      ),
  )
    .option("--hub-url <url>", HUB_URL_HELP, defaultHubUrl())
    .option("--concurrency <n>", "files downloaded at once", positiveInt, 4)
    .action((opts: WeightsOptions) => run(opts, true));
  common(
    weights
      .command("verify")
      .description(
        "Verify the folder against the arena's pin without downloading (a provider volume, a copy made by hand): every file present, of the pinned size and sha256. Prints the record (JSON); exits 1 naming the first file refused.",
      ),
  ).action((opts: WeightsOptions) => run(opts, false));
  common(
    weights
      .command("pin")
      .description(
        "Compute the pin of the weights this folder holds (size and sha256 of each file the arena lists, or of every file with --all-files) and print it as JSON, to paste as model.weights into an arena config once checked against the hub's listing for that revision.",
      ),
  )
    .option("--repo <owner/name>", "the hub repository (default: the arena's)")
    .option("--revision <commit>", "the hub commit the files are from (default: the arena's)")
    .option("--all-files", "pin every file in the folder, not only those the arena lists")
    .action(
      async (opts: WeightsOptions & { repo?: string; revision?: string; allFiles?: boolean }) => {
        const { WeightsPinSchema } = await import("../arena/config.js");
        const { formatZodIssues } = await import("../contract/json-file.js");
        const { pinFolder } = await import("../pod/weights/files.js");
        const pinnedBy = arenaOption(opts.arena).model.weights;
        let pin: unknown;
        try {
          pin = await pinFolder(opts.models, {
            repo: opts.repo ?? pinnedBy.repo,
            revision: opts.revision ?? pinnedBy.revision,
            paths: opts.allFiles ? undefined : pinnedBy.files.map((f) => f.path),
            onFile: (path) => log(`weights: hashing ${path}`),
          });
        } catch (err) {
          throw new CliError(`${opts.models}: ${(err as Error).message}`, 1);
        }
        const parsed = WeightsPinSchema.safeParse(pin);
        if (!parsed.success)
          throw new CliError(`not a valid pin: ${formatZodIssues(parsed.error)}`, 1);
        process.stdout.write(`${JSON.stringify(parsed.data, null, 2)}\n`);
        if (!/^[0-9a-f]{40}$/.test(parsed.data.revision))
          log(
            `weights: revision "${parsed.data.revision}" is not a commit id: pass --revision <40 hex digits>`,
          );
        log(
          'weights: paste it as "model": { "weights": … } in the arena config; check each sha256 against the hub (https://huggingface.co/api/models/<repo>/tree/<revision>, lfs.oid) before setting "confirmed": true',
        );
      },
    );
}
