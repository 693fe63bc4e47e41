// `npm run bench` (issue 18, "Measured"): a simulated day of commits against the loopback Shadeform
// double, with the validator's own renting (validator/rented-pods.ts: the policy, the store's
// intents, the provider client, the pinned TLS) on a compressed clock. Commits arrive at seeded
// random times; each needs one job of a seeded eval duration; the driver below does what the
// validator's loop does with its pods each tick (demand, acquire, release). Prints pod-hours paid
// against pod-hours of eval work (target: ≥ 80 % of the paid time on jobs, the boot excluded as the
// provider bills from active), instances left at the end (target 0), and the time from a commit to
// its pod answering.
//
// What is real and what is not, as the output says too: each rented instance is a real `cacheon
// pod serve` process that the double starts after its boot delay, reached over pinned TLS with the
// rental's token; a job is a stand-in of its simulated duration (its pod's /health at the start and
// the end, nothing run in between): a real eval per job would take the day in real time. The clock
// runs at two rates: ×1440 (1 simulated hour = 2.5 s) and ×120 while a rental boots, because a boot is
// a real process start (a few seconds, more on a busy machine) that the fast rate would stretch to
// hours; at ×120 a 3-9 s start counts as 6-18 simulated minutes, a real VM's boot and image pull.
// Everything reads the one clock (the policy, the store, the double's billing and auto-delete), so
// the day stays consistent; the boot's simulated length is reported as measured.
//
// Bounded: about a minute for the day plus ~10 s per rental boot, and a drain of at most a minute;
// loopback only.
// Usage: node dist/bench/rental-day.js [--seed N] [--commits N] [--hour-ms MS] [--boot-rate X]
//        [--idle-min M] [--max-pods N] [--verbose] [--json FILE]  (default bench-out/rental-day.json)
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { writeFileAtomic } from "../src/contract/atomic-write.js";
import { mulberry32, quantile } from "../src/harness/stats.js";
import { spentCents } from "../src/pod/providers/policy.js";
import { ShadeformProvider } from "../src/pod/providers/shadeform.js";
import { startShadeformDouble } from "../src/pod/providers/shadeform-double.js";
import { dollars } from "../src/pod/providers/types.js";
import { ValidatorStore } from "../src/store/store.js";
import type { ValidatorEvent } from "../src/validator/events.js";
import type { PodLease } from "../src/validator/pods.js";
import { RentedPods } from "../src/validator/rented-pods.js";

const TARGET_WORK_SHARE = 0.8;
const HOUR = 3_600_000;
const MIN = 60_000;
/** The simulated day: one whole UTC day, so the daily spend cap counts it as one. */
const DAY0 = Date.UTC(2025, 5, 2);
const TICK_REAL_MS = 25;
const BOOTING = new Set(["intent", "created", "booting"]);

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} takes a positive number`);
  return v;
};
const seed = opt("--seed", 18);
const commits = Math.round(opt("--commits", 24));
const hourMs = opt("--hour-ms", 2_500);
const bootRate = opt("--boot-rate", 120);
const idleMin = opt("--idle-min", 5);
const maxPods = Math.round(opt("--max-pods", 2));
const jsonOut = args.includes("--json")
  ? (args[args.indexOf("--json") + 1] as string)
  : "bench-out/rental-day.json";
/** Eval durations, simulated minutes: uniform in this range. */
const EVAL_MIN = [20, 40] as const;
const MAX_RENTAL_HOURS = 12;
/** Every rental event as it happens, with the simulated time. */
const verbose = args.includes("--verbose");

const fastRate = HOUR / hourMs;

/**
 * Simulated time at one of two rates, integrated so it never jumps; whole ms, as Date.now. The
 * validator's renting and the double's billing and auto-delete all read `now`.
 */
class SimClock {
  private real = performance.now();
  private simMs = DAY0;
  rate = fastRate;
  readonly now = (): number => {
    const real = performance.now();
    this.simMs += (real - this.real) * this.rate;
    this.real = real;
    return Math.floor(this.simMs);
  };
  setRate(rate: number): void {
    this.now();
    this.rate = rate;
  }
}
const simClock = new SimClock();
const sim = simClock.now;
const real0 = performance.now();
const h = (ms: number) => (ms / HOUR).toFixed(2);
const m = (ms: number) => (ms / MIN).toFixed(1);
const s1 = (realMs: number) => (realMs / 1000).toFixed(1);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

interface Job {
  n: number;
  commitAtMs: number;
  evalMs: number;
  /** Real time (performance.now) when the driver saw the commit and when its pod answered. */
  commitReal?: number;
  answeredReal?: number;
  /** When its pod answered and when it is done (simulated). */
  answeredAtMs?: number;
  endAtMs?: number;
  /** The rented pod it ran on. */
  pod?: string;
  lost?: string;
  lease?: PodLease;
}

async function main(): Promise<void> {
  const rand = mulberry32(seed);
  const jobs: Job[] = Array.from({ length: commits }, () => ({
    commitAtMs: DAY0 + rand() * 24 * HOUR,
    evalMs: (EVAL_MIN[0] + rand() * (EVAL_MIN[1] - EVAL_MIN[0])) * MIN,
  }))
    .sort((a, b) => a.commitAtMs - b.commitAtMs)
    .map((j, n) => ({ n, ...j }));
  const workMs = jobs.reduce((s, j) => s + j.evalMs, 0);

  console.log(
    `Renting over a simulated day: ${commits} commits at seeded random times (seed ${seed}), one job each of ${EVAL_MIN[0]}-${EVAL_MIN[1]} simulated min (${h(workMs)} pod-h in all); at most ${maxPods} pods, given back after ${idleMin} min idle.`,
  );
  console.log(
    `Clock: 1 simulated hour = ${hourMs / 1000} s real (×${fastRate.toFixed(0)}), ×${bootRate} while a pod boots (a real process start). Pods are real \`cacheon pod serve\` processes on the loopback Shadeform double, reached over pinned TLS; a job is a stand-in that holds its pod for its simulated duration (its /health at start and end), not a real eval.`,
  );

  const double = await startShadeformDouble({ clock: sim, bootDelayMs: 200 });
  const store = ValidatorStore.open(":memory:");
  const events: ValidatorEvent[] = [];
  /** Real time of each rental's intent and ready: the boot as this machine ran it. */
  const intentReal = new Map<string, number>();
  const bootReal: number[] = [];
  const pods = new RentedPods({
    store,
    provider: new ShadeformProvider({
      apiKey: double.apiKey,
      baseUrl: double.url,
      timeoutMs: 5_000,
      backoffMs: 50,
    }),
    policy: {
      maxPods,
      idleMs: idleMin * MIN,
      dailySpendCapCents: 100_000,
      // Above the rent config's 30 min default: a real start on a busy machine can take 15 s (30 min).
      bootTimeoutMs: HOUR,
    },
    hardware: { gpus: 4, gpuModel: "H200", interconnect: "sxm", equivalents: [] },
    launch: {
      image: `ghcr.io/cacheon/cacheon@sha256:${"0".repeat(64)}`,
      podPort: 8750,
      modelsDir: "/models",
      weightsArena: "v1",
      weightsOnVolume: false,
    },
    identity: "5BenchRentalDay0000000000000000000000000000000000",
    maxRentalMs: MAX_RENTAL_HOURS * HOUR,
    retryMs: 5 * MIN,
    emit: (e) => {
      events.push(e);
      if (e.type === "rental" && e.name !== null && e.step === "intent")
        intentReal.set(e.name, performance.now());
      if (e.type === "rental" && e.name !== null && e.step === "ready")
        bootReal.push(performance.now() - (intentReal.get(e.name) ?? Number.NaN));
      if (verbose && e.type === "rental")
        console.log(`  [${clock(sim())}] ${e.step} ${e.name ?? ""}: ${e.message}`);
      else if (verbose && e.type === "error")
        console.log(`  [${clock(sim())}] error: ${e.message}`);
    },
    now: sim,
  });
  const realEnd = () => (performance.now() - real0) / 1000;

  try {
    await pods.reconcile();
    const waiting: Job[] = [];
    const running = new Set<Job>();
    let next = 0;
    const dayEnd = DAY0 + 24 * HOUR;
    // The day, then until every job is done (a commit late in the day runs past midnight).
    while (next < jobs.length || waiting.length > 0 || running.size > 0) {
      const booting = store.liveRentals().some((r) => BOOTING.has(r.state));
      if ((simClock.rate === bootRate) !== booting) simClock.setRate(booting ? bootRate : fastRate);
      const now = sim();
      if (now > dayEnd + 6 * HOUR)
        throw new Error("the jobs are not done 6 simulated hours after the day");
      while (next < jobs.length && (jobs[next] as Job).commitAtMs <= now) {
        const j = jobs[next++] as Job;
        j.commitReal = performance.now();
        waiting.push(j);
      }
      for (const j of [...running]) {
        if ((j.endAtMs as number) > now) continue;
        running.delete(j);
        const lease = j.lease as PodLease;
        const broken = await lease.client.health().then(
          () => undefined,
          (err: unknown) => `its pod stopped answering: ${(err as Error).message}`,
        );
        if (broken) j.lost = broken;
        pods.release(lease, broken);
      }
      pods.demand(waiting.length);
      while (waiting.length > 0) {
        const lease = await pods.acquire();
        if (lease === null) break;
        const j = waiting.shift() as Job;
        const broken = await lease.client.health().then(
          () => undefined,
          (err: unknown) => `its pod does not answer: ${(err as Error).message}`,
        );
        if (broken) {
          pods.release(lease, broken);
          waiting.unshift(j);
          continue;
        }
        j.pod = lease.name;
        j.lease = lease;
        j.answeredAtMs = sim();
        j.answeredReal = performance.now();
        j.endAtMs = j.answeredAtMs + j.evalMs;
        running.add(j);
      }
      await delay(TICK_REAL_MS);
    }
    // Nothing waits: the pods are given back once idle; at most a minute of real time for it.
    simClock.setRate(fastRate);
    const drainUntil = performance.now() + 60_000;
    while (!pods.idle() && performance.now() < drainUntil) {
      pods.demand(0);
      await delay(TICK_REAL_MS);
    }
    await pods.close();
    const endMs = sim();

    const instances = double.instances();
    const left = instances.filter((i) => i.status !== "deleting" && i.status !== "deleted");
    // A delete answered moments ago may still list as deleting: no longer billed, so not left.
    const tagged = (
      await new ShadeformProvider({ apiKey: double.apiKey, baseUrl: double.url }).list(pods.tag)
    ).filter((i) => i.status !== "deleting");
    let paidMs = 0;
    let paidCents = 0;
    for (const i of instances) {
      if (i.activeAtMs === null) continue;
      paidMs += (i.deletedAtMs ?? endMs) - i.activeAtMs;
      paidCents += double.spendCents(i.id);
    }
    const doneWorkMs = jobs.reduce(
      (s, j) => s + (j.answeredAtMs === undefined ? 0 : Math.min(j.evalMs, endMs - j.answeredAtMs)),
      0,
    );
    const rentals = store.rentalsSince(0);
    const withBootMs = rentals.reduce((s, r) => s + ((r.endedAtMs ?? endMs) - r.createdAtMs), 0);
    const boots = rentals
      .filter((r) => r.readyAtMs !== null)
      .map((r) => (r.readyAtMs as number) - r.createdAtMs);
    const waits = jobs
      .filter((j) => j.answeredAtMs !== undefined)
      .map((j) => (j.answeredAtMs as number) - j.commitAtMs);
    // The jobs whose pod was not up yet when they came: they waited for a rental's boot.
    const readyAt = new Map(rentals.map((r) => [r.name, r.readyAtMs ?? Number.POSITIVE_INFINITY]));
    const forRental = jobs.filter(
      (j) => j.answeredAtMs !== undefined && (readyAt.get(j.pod ?? "") ?? 0) > j.commitAtMs,
    );
    const waitsRenting = forRental.map((j) => (j.answeredAtMs as number) - j.commitAtMs);
    const waitsRentingReal = forRental.map(
      (j) => (j.answeredReal as number) - (j.commitReal as number),
    );
    const longest = Math.max(
      0,
      ...instances.map((i) => (i.deletedAtMs ?? endMs) - (i.activeAtMs ?? i.createdAtMs)),
    );
    const autoDeleted = instances.filter((i) => i.deletedBy === "auto-delete").length;
    const lost = jobs.filter((j) => j.lost !== undefined);
    const share = paidMs === 0 ? 0 : doneWorkMs / paidMs;
    const met = (ok: boolean) => (ok ? "MET" : "MISSED");
    const q = (xs: number[], p: number) => quantile(xs, p) ?? Number.NaN;
    const steps = new Map<string, number>();
    for (const e of events)
      if (e.type === "rental") steps.set(e.step, (steps.get(e.step) ?? 0) + 1);

    console.log(`\nCommits at (UTC, simulated): ${jobs.map((j) => clock(j.commitAtMs)).join(" ")}`);
    console.log(
      `Rentals: ${rentals.length} (${[...steps].map(([k, v]) => `${k} ${v}`).join(", ")}); ${instances.length} instance(s) created on the double.`,
    );
    console.log(
      `Pod-hours paid (active to delete, the double's bill): ${h(paidMs)} h, ${dollars(paidCents)}; pod-hours of eval work: ${h(doneWorkMs)} h.`,
    );
    console.log(
      `  Share of paid time on jobs: ${(100 * share).toFixed(1)}% (target ≥ ${100 * TARGET_WORK_SHARE}%: ${met(share >= TARGET_WORK_SHARE)}); the rest is idle time before a give-back (${idleMin} min per busy spell) and ticks.`,
    );
    console.log(
      `  Counting from each rental's intent, boot included (what the validator's spend cap counts): ${h(withBootMs)} h, ${dollars(
        spentCents(
          rentals.map((r) => ({
            hourlyPriceCents: r.hourlyPriceCents,
            rentedAtMs: r.createdAtMs,
            endedAtMs: r.endedAtMs,
          })),
          DAY0,
          DAY0 + 24 * HOUR,
        ),
      )} on the simulated day; jobs ${(100 * (withBootMs === 0 ? 0 : doneWorkMs / withBootMs)).toFixed(1)}% of it.`,
    );
    console.log(
      `Instances left at the end: ${left.length} not deleted on the double, ${tagged.length} listed with the validator's tag (target 0: ${met(left.length === 0 && tagged.length === 0)}); ${autoDeleted} deleted by the provider's auto-delete; ${lost.length} job(s) lost their pod.`,
    );
    console.log(
      `Commit to its pod answering (simulated): median ${m(q(waits, 0.5))} min, p95 ${m(q(waits, 0.95))} min, max ${m(Math.max(...waits))} min over ${waits.length} jobs; the ${waitsRenting.length} that came while no pod was up and waited for a rental: median ${m(q(waitsRenting, 0.5))} min, p95 ${m(q(waitsRenting, 0.95))} min; on the double in real time: median ${s1(q(waitsRentingReal, 0.5))} s, p95 ${s1(q(waitsRentingReal, 0.95))} s.`,
    );
    console.log(
      `Boot, intent to ready over pinned TLS: median ${m(q(boots, 0.5))} simulated min; real: median ${s1(q(bootReal, 0.5))} s, p95 ${s1(q(bootReal, 0.95))} s (the double's 0.2 s delay, a real \`pod serve\` start, the first health check over TLS). Longest rental ${h(longest)} h (the provider's auto-delete is at ${MAX_RENTAL_HOURS} h).`,
    );
    console.log(`Real time: ${realEnd().toFixed(1)} s.`);

    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileAtomic(
      jsonOut,
      `${JSON.stringify(
        {
          seed,
          commits,
          hourMs,
          bootRate,
          idleMin,
          maxPods,
          standInJobs: true,
          rentals: rentals.length,
          paidHours: paidMs / HOUR,
          paidCents,
          workHours: doneWorkMs / HOUR,
          workShare: share,
          withBootHours: withBootMs / HOUR,
          leaked: left.length,
          taggedLeft: tagged.length,
          autoDeleted,
          jobsLostPod: lost.length,
          commitToAnswerMin: {
            median: q(waits, 0.5) / MIN,
            p95: q(waits, 0.95) / MIN,
            max: Math.max(...waits) / MIN,
          },
          commitToAnswerForRental: {
            medianMin: q(waitsRenting, 0.5) / MIN,
            p95Min: q(waitsRenting, 0.95) / MIN,
            realMedianS: q(waitsRentingReal, 0.5) / 1000,
            realP95S: q(waitsRentingReal, 0.95) / 1000,
          },
          bootMedianMin: q(boots, 0.5) / MIN,
          bootRealMedianS: q(bootReal, 0.5) / 1000,
          realSeconds: realEnd(),
          targets: { workShare: TARGET_WORK_SHARE, leaked: 0 },
        },
        null,
        2,
      )}\n`,
    );
    console.log(`JSON: ${jsonOut}`);
    // A leak is money lost, not a slow number: the bench fails on it.
    if (left.length > 0 || tagged.length > 0) process.exitCode = 1;
  } finally {
    await pods.close();
    store.close();
    await double.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
