// `cacheon pods ls` and `cacheon pods release NAME`: the operator's view of the pods a validator
// rents (`validator run --rent`), read from and written to its state directory's store. Safe while
// the validator runs: the store is SQLite in WAL mode, `ls` only reads, and `release` only marks a
// pod, which the running validator gives back (or the next start does). Never an address or a key.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { PodView } from "../validator/pod-view.js";
import { CliError } from "./errors.js";

const STATE_DIR = "./validator-state";

const say = (s = ""): void => {
  process.stdout.write(`${s}\n`);
};

/** The validator's store in `stateDir`; an error when there is none (never a new empty one). */
async function openStore(stateDir: string) {
  const { STORE_FILE } = await import("../app/validator-service.js");
  const path = join(stateDir, STORE_FILE);
  if (!existsSync(path))
    throw new CliError(`no validator store at ${path}: give the validator's --state-dir`);
  const { ValidatorStore } = await import("../store/store.js");
  const { StoreError } = await import("../store/db.js");
  try {
    return ValidatorStore.open(path);
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
}

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The table `pods ls` prints: one row per pod live now or ended today, and the day's total. */
export function podsTable(views: readonly PodView[]): string[] {
  const head = ["NAME", "STATE", "PROVIDER", "TYPE", "PRICE/H", "SPENT TODAY", "IDLE"];
  const rows = views.map((v) => [
    v.name,
    v.releaseRequested && v.state !== "deleted" && v.state !== "failed"
      ? `${v.state} (release asked)`
      : v.state,
    v.provider,
    v.instanceType,
    money(v.hourlyPriceCents),
    money(v.spentTodayCents),
    v.idleMs === null ? "-" : duration(v.idleMs),
  ]);
  const widths = head.map((h, k) =>
    Math.max(h.length, ...rows.map((r) => (r[k] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, k) => c.padEnd(widths[k] as number))
      .join("  ")
      .trimEnd();
  const total = views.reduce((sum, v) => sum + v.spentTodayCents, 0);
  return [line(head), ...rows.map(line), `spent today (UTC): ${money(total)}`];
}

export function registerPods(program: Command): void {
  const pods = program
    .command("pods")
    .description("the GPU pods a validator rents (validator run --rent): list them, give one back");

  pods
    .command("ls")
    .description(
      "list the rented pods live now or given back today: name, state, provider, instance type, hourly price, spend today and idle time (no addresses or keys)",
    )
    .option("--state-dir <dir>", "the validator's state directory", STATE_DIR)
    .option("--json", "print JSON")
    .action(async (opts: { stateDir: string; json?: boolean }) => {
      const { podViews } = await import("../validator/pod-view.js");
      const store = await openStore(opts.stateDir);
      try {
        const views = podViews(store, Date.now());
        if (opts.json) say(JSON.stringify(views, null, 2));
        else if (views.length === 0) say("no pods rented today");
        else for (const l of podsTable(views)) say(l);
      } finally {
        store.close();
      }
    });

  pods
    .command("release")
    .description(
      "give a rented pod back: marks it in the store; the running validator deletes it at its next tick once it has no job (a stopped validator, when it next starts)",
    )
    .argument("<name>", "the pod's name, as `cacheon pods ls` shows it")
    .option("--state-dir <dir>", "the validator's state directory", STATE_DIR)
    .action(async (name: string, opts: { stateDir: string }) => {
      const store = await openStore(opts.stateDir);
      try {
        const rental = store.rental(name);
        if (!store.requestRentalRelease(name, Date.now())) {
          const live = store.liveRentals().map((r) => r.name);
          const why = rental ? `it is already ${rental.state}` : "no rented pod has that name";
          throw new CliError(
            `${name}: ${why} (live: ${live.length > 0 ? live.join(", ") : "none"})`,
          );
        }
        say(
          `${name} (${rental?.state}) marked for release: the validator gives it back once it has no job`,
        );
      } finally {
        store.close();
      }
    });
}
