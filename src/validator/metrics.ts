// Prometheus metrics of the validator (prom-client): what an operator alerts on — the queue backing
// up, evals failing, weights not being set, the chain unreachable, rented pods and their spend —
// updated from its events.
import { Counter, Gauge, Registry } from "prom-client";
import { LIVE_RENTAL_STATES, type ValidatorStore } from "../store/store.js";
import type { ValidatorEvent } from "./events.js";
import { spentTodayCents } from "./pod-view.js";

export interface ValidatorMetrics {
  registry: Registry;
  /** Counts an event. */
  observe(e: ValidatorEvent): void;
}

export function createMetrics(
  store: ValidatorStore,
  o: { dailySpendCapCents?: number; now?: () => number } = {},
): ValidatorMetrics {
  const now = o.now ?? Date.now;
  const registry = new Registry();
  const p = "cacheon_validator_";
  // Gauges read the store when scraped, so they are right after a restart too.
  new Gauge({
    name: `${p}queue_depth`,
    help: "Submissions waiting for an eval",
    registers: [registry],
    collect() {
      this.set(store.queueDepth());
    },
  });
  new Gauge({
    name: `${p}open_jobs`,
    help: "Eval jobs not yet settled (waiting for a pod or running on one)",
    registers: [registry],
    collect() {
      this.set(store.openJobs().length);
    },
  });
  new Gauge({
    name: `${p}king_score`,
    help: "The king's latest score (absent: no king)",
    registers: [registry],
    collect() {
      this.reset();
      const king = store.king();
      if (king) this.set(king.score);
    },
  });
  new Gauge({
    name: `${p}king_uid`,
    help: "The king's uid (absent: no king)",
    registers: [registry],
    collect() {
      this.reset();
      const king = store.king();
      if (king) this.set(king.uid);
    },
  });
  new Gauge({
    name: `${p}last_weights_block`,
    help: "Block weights last went on chain: set_weights, or the chain's reveal of a timelocked commit (absent: never)",
    registers: [registry],
    collect() {
      this.reset();
      const block = store.lastWeightsBlock();
      if (block !== null) this.set(block);
    },
  });
  new Gauge({
    name: `${p}pods`,
    help: "Rented pods by state (intent, created, booting, ready, releasing); no addresses",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const live = store.liveRentals();
      for (const state of LIVE_RENTAL_STATES)
        this.set({ state }, live.filter((r) => r.state === state).length);
    },
  });
  new Gauge({
    name: `${p}pod_spend_today_dollars`,
    help: "Spent on rented pods since midnight UTC: each one's hourly price times its time rented",
    registers: [registry],
    collect() {
      this.set(spentTodayCents(store, now()) / 100);
    },
  });
  const cap = o.dailySpendCapCents;
  if (cap !== undefined)
    new Gauge({
      name: `${p}pod_spend_cap_reached`,
      help: "1 while today's spend on rented pods is at the daily cap: no pod is rented",
      registers: [registry],
      collect() {
        this.set(spentTodayCents(store, now()) >= cap ? 1 : 0);
      },
    });
  const rentals = new Counter({
    name: `${p}rentals_total`,
    help: "Attempts to rent a pod by result: created; never_created (a create of unknown outcome that had not happened); or why the provider refused: no_capacity (once per spell of it), bad_request, unauthorized, unavailable",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const head = new Gauge({
    name: `${p}chain_head_block`,
    help: "The last block the scanner registered",
    registers: [registry],
  });
  const evals = new Counter({
    name: `${p}evals_total`,
    help: "Eval jobs by how they ended: settled, retried (attempt lost), failed (attempts used up)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const submissions = new Counter({
    name: `${p}submissions_total`,
    help: "Commitments registered, by the status they got",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const weights = new Counter({
    name: `${p}weight_sets_total`,
    help: "Weight-setting attempts by result",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const commits = new Counter({
    name: `${p}weight_commits_total`,
    help: "Timelocked weight commits (commit-reveal v4) by what the chain did: revealed, expired (not revealed in the reveal epoch), dropped (left unrevealed), unconfirmed (too old to tell, weights on chain not its)",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: `${p}errors_total`,
    help: "Errors by where they happened (chain: unreachable or failing calls)",
    labelNames: ["where"] as const,
    registers: [registry],
  });
  const podsBroken = new Counter({
    name: `${p}pod_failures_total`,
    help: "Times a pod misbehaved (unreachable, refused the token, malformed answer)",
    labelNames: ["pod"] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(e) {
      switch (e.type) {
        case "scan":
          head.set(e.head);
          for (const s of e.added) submissions.inc({ status: s.status });
          break;
        case "job-settled":
          evals.inc({ outcome: "settled" });
          break;
        case "job-released":
          evals.inc({ outcome: e.final ? "failed" : "retried" });
          break;
        case "weights":
          weights.inc({ result: e.set.status });
          break;
        case "weights-reveal":
          if (e.set.commit) commits.inc({ result: e.set.commit.status });
          break;
        case "rental":
          if (e.result !== undefined && e.result !== "spend_cap") rentals.inc({ result: e.result });
          break;
        case "pod-broken":
          podsBroken.inc({ pod: e.pod });
          break;
        case "error":
          errors.inc({ where: e.where.startsWith("job ") ? "job" : e.where });
          break;
      }
    },
  };
}
