// The demo: the whole arena on this machine, no GPU, chain or Docker needed. A local chain (subnet
// 1), a local pod that runs the miners' images as reference-server processes, four miners that
// commit on the chain (a fast engine; a slow one whose output forks from the baseline's at near-ties,
// as an honest engine with other numerics does, which the teacher passes; a fast one with a subtly
// wrong model; and a copy of the fast one's image), and the validator loop — the one `cacheon
// validator run` runs — until the king is settled and its weights are on chain. The subnet has commit-reveal v4 on, as finney's
// default: the validator's weights go as drand-timelocked commits that the chain reveals itself (the
// local chain is its own test beacon). It tells the story and the leaderboard through
// `io`; `cacheon demo` (cli/demo.ts) gives it stdout, stderr and Ctrl-C.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Arena } from "../arena/index.js";
import { startLocalChain } from "../chain/local/chain.js";
import { loadRuntime, MetadataMissingError } from "../chain/local/runtime.js";
import { Subtensor } from "../chain/subtensor.js";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { type CandidateRun, type EvalReport, EvalReportSchema } from "../eval/report.js";
import type { EvalProgress } from "../eval/session.js";
import { explainRequest } from "../gate/index.js";
import { PodClient } from "../pod/client.js";
import { catalogueRuntime } from "../runtime/catalogue.js";
import { localRuntime } from "../runtime/local.js";
import type { Runtime } from "../runtime/runtime.js";
import type { LeaderboardRow } from "../store/store.js";
import { formatTable } from "../table.js";
import { describeEvent } from "../validator/describe.js";
import { startDemoRental } from "./demo-rent.js";
import {
  commitMiners,
  DEMO_MINERS,
  devPair,
  type LocalMiner,
  minerImages,
  startLocalPod,
} from "./local-arena.js";
import { openValidatorService, serviceStartProblem } from "./validator-service.js";

export interface DemoOptions {
  arena: Arena;
  /** Write the last eval job's EvalReport here. */
  out?: string;
  /** The miners' engines as container images (built, pushed to a loopback registry, pulled). */
  docker?: boolean;
  /** The pod rented on demand from a Shadeform double on loopback (app/demo-rent.ts), not started. */
  rent?: boolean;
  /** The local chain's block time. */
  blockMs: number;
  /** Serve the dashboard and the API during the round, and after it until `signal`. */
  serve?: boolean;
  http: { host: string; port: number };
  /** Ctrl-C: during the round everything is closed, then `io.interrupted()`; after it, the end. */
  signal?: AbortSignal;
}

export interface DemoIo {
  /** One line of the story (stdout). */
  say(line?: string): void;
  /** One progress line (stderr; nothing when quiet). */
  progress(line: string): void;
  /** A fresh printer of one pod job's progress events; none when quiet. */
  jobProgress?: () => (e: EvalProgress) => void;
  /** The round was interrupted and everything is closed: the process ends here (exit 130). */
  interrupted(): void;
}

/** A reason the demo cannot run that is the user's to fix (a missing tool, a busy address). */
export class DemoError extends Error {}

const NETUID = 1;

export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<void> {
  const { arena } = opts;
  const say = (line?: string) => io.say(line);
  say("Cacheon demo: the whole arena on this machine.");
  say(
    "(Engines are reference servers: a synthetic model over the Qwen vocabulary, not a real LLM.)",
  );
  const stateDir = mkdtempSync(join(tmpdir(), "cacheon-demo-"));
  const chain = await startLocalChain({ blockTimeMs: opts.blockMs }).catch((err: unknown) => {
    rmSync(stateDir, { recursive: true, force: true });
    if (err instanceof MetadataMissingError) throw new DemoError(err.message);
    throw err;
  });
  const cleanups: (() => Promise<void>)[] = [
    async () => rmSync(stateDir, { recursive: true, force: true }),
    () => chain.close(),
  ];
  let closing: Promise<void> | undefined;
  const closeAll = () => {
    closing ??= (async () => {
      for (const close of cleanups) await close().catch(() => undefined);
    })();
    return closing;
  };
  // Servers, containers and the registry outlive this process: Ctrl-C cleans up, then exits;
  // once the round is over and the dashboard is only being served, Ctrl-C ends the demo.
  let stopServing: (() => void) | undefined;
  const onAbort = () => {
    if (stopServing) stopServing();
    else void closeAll().then(() => io.interrupted());
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener("abort", onAbort, { once: true });
  cleanups.push(async () => opts.signal?.removeEventListener("abort", onAbort));
  try {
    say(
      `Local chain: ${chain.url} (subnet ${NETUID}, a block every ${opts.blockMs} ms; ${loadRuntime().description})`,
    );
    say(
      "  Commit-reveal v4 is on, as on finney: weights go as drand-timelocked commits the chain reveals itself, one epoch later (the local chain is its own drand beacon here).",
    );
    let refs: Map<string, string>;
    let runtime: Runtime;
    let podRuns = "runs the miners' images as local processes";
    if (opts.docker) {
      ({ refs, runtime, podRuns } = await dockerMiners(DEMO_MINERS, io, (close) => {
        cleanups.unshift(close);
      }));
    } else {
      const images = minerImages(DEMO_MINERS);
      refs = images.refs;
      runtime = catalogueRuntime(localRuntime, images.catalogue);
    }
    // --rent runs the miners as processes: cli/demo.ts refuses it with --docker.
    const rental = opts.rent ? await startDemoRental(minerImages(DEMO_MINERS).catalogue) : null;
    if (rental) {
      cleanups.unshift(() => rental.close());
      const why = await rental.noOffer(arena.hardware);
      if (why) throw new DemoError(why);
    }
    const pod = rental ? null : await startLocalPod(runtime);
    if (pod) cleanups.unshift(() => pod.close());
    say(`Pod: ${pod ? `${pod.url} (${podRuns})` : rental?.describe}`);
    const client = await Subtensor.connect(chain.url);
    cleanups.unshift(() => client.close());

    say("\nMiners commit their images:");
    await commitMiners(client, NETUID, DEMO_MINERS, refs, (m, ref, block) =>
      say(
        `  ${m.uri.slice(2).padEnd(8)} ${ref.replace(/@sha256:(.{12}).*/, "@sha256:$1…")} at block ${block}${m.copies ? `  (a copy of ${m.copies.slice(2)}'s image)` : ""}`,
      ),
    );

    say("\nThe validator (//Alice, uid 0) runs:");
    const started = Date.now();
    const follower = pod && new PodClient(pod.url, pod.token);
    let lastWeights = "";
    let lastRevealed = "";
    const jobStarted = new Map<number, number>();
    const jobEnded = new Map<number, number>();
    const http = opts.serve ? opts.http : undefined;
    const service = await openValidatorService({
      stateDir,
      chain: client,
      pair: await devPair("//Alice"),
      netuid: NETUID,
      pods: pod ? [{ name: "local-pod", url: pod.url, token: pod.token }] : [],
      ...(rental ? { rent: rental.rent } : {}),
      arena,
      arenaValue: arena as unknown as Record<string, unknown>,
      baseline: { kind: "reference", profile: "baseline", variant: "none" },
      batch: 4,
      maxAttempts: 2,
      scanEveryBlocks: 1,
      // The local chain is its own drand beacon: commits are encrypted to the key it announces.
      timelock: { beacon: "chain" },
      tickMs: 200,
      podPollMs: 250,
      podLostMs: 60_000,
      ...(http ? { http } : {}),
      env: rental?.env ?? {},
      onEvent: (e) => {
        if (e.type === "job-created") jobStarted.set(e.job.id, Date.now());
        if (e.type === "job-settled") jobEnded.set(e.job.id, Date.now());
        // Weights go on chain every tempo; the story tells only when they change hands.
        if (e.type === "weights" && e.set.status === "set") {
          const uids = e.set.uids.join(",");
          if (uids === lastWeights) return;
          lastWeights = uids;
        }
        if (e.type === "weights-reveal" && e.set.commit?.status === "revealed") {
          const uids = e.set.uids.join(",");
          if (uids === lastRevealed) return;
          lastRevealed = uids;
        }
        const at = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
        for (const line of describeEvent(e)) say(`  [${at} s] ${line.msg}`);
        if (e.type !== "job-submitted") return;
        const client = follower ?? rental?.client(service.store, e.pod);
        if (client) void followPod(client, e.podJob, io);
      },
    }).catch((err: unknown) => {
      const problem = serviceStartProblem(err, http);
      throw problem === null ? err : new DemoError(problem);
    });
    cleanups.unshift(() => service.close());
    if (service.httpUrl) say(`Dashboard: ${service.httpUrl}/ (API: ${service.httpUrl}/api/state)`);
    // Rented, the round ends once the pod is given back too.
    await service.validator.run(
      new AbortController().signal,
      () => service.validator.idle() && (service.rented?.idle() ?? true),
    );
    const elapsed = (Date.now() - started) / 1000;

    say("\nLeaderboard:");
    say(leaderboardTable(service.store.leaderboard()).replace(/^/gm, "  "));
    const king = service.store.king();
    const neurons = (await client.metagraph(NETUID)).neurons;
    const alice = neurons.find((n) => n.uid === 0);
    say(
      king
        ? `\nKing: s${king.submissionId} (uid ${king.uid}) with score ${king.score.toFixed(4)}; a challenger must beat it by ${arena.king.marginM0} now, falling to 0 over ${(arena.king.decayMs / 86_400_000).toFixed(0)} days.`
        : "\nNo king: no submission passed with a score above 0.",
    );
    const last = service.store.latestWeightSets().lastSet;
    if (last) {
      const how = last.commit
        ? `set at block ${last.commit.revealBlock} by the chain's reveal of //Alice's timelocked commit of block ${last.commit.commitBlock}, drand round ${last.commit.revealRound}`
        : `set at block ${last.block}`;
      say(
        `Weights on chain: uid ${last.uids.join(",")} gets everything (${how}; //Alice's last update on chain: block ${alice?.lastUpdate}).`,
      );
    }
    const jobs = service.store.jobs().filter((j) => j.status === "settled");
    const lastJob = jobs.at(-1);
    if (lastJob?.reportKey) {
      const bytes = await service.artifacts.get(lastJob.reportKey);
      const report =
        bytes && EvalReportSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
      if (report) {
        const roundMs =
          (jobEnded.get(lastJob.id) ?? Number.NaN) - (jobStarted.get(lastJob.id) ?? Number.NaN);
        say(`\n${whereTimeWent(roundMs, report)}`);
        for (const c of report.candidates) explainForks(c, say);
        for (const c of report.candidates) explainFirstFailure(c, say);
        if (opts.out) {
          writeFileAtomic(opts.out, `${JSON.stringify(report)}\n`);
          say(`\nReport: ${opts.out} (check it with: cacheon report rescore ${opts.out})`);
        }
      }
    }
    if (rental) {
      say("\nRented pods:");
      for (const line of rental.summary(service.store)) say(line);
    }
    say(`\nDone in ${elapsed.toFixed(1)} s: ${jobs.length} eval job(s) settled.`);
    if (!service.httpUrl)
      say(
        "The same arena in a browser: cacheon demo --serve (a dashboard on http://127.0.0.1:8014/).",
      );
    else {
      say(`\nServing the dashboard at ${service.httpUrl}/ until Ctrl-C.`);
      await new Promise<void>((resolve) => {
        stopServing = resolve;
      });
    }
  } finally {
    await closeAll();
  }
}

/** The pod's progress events of one job, on stderr, while it runs. */
async function followPod(client: PodClient, podJob: string, io: DemoIo): Promise<void> {
  if (!io.jobProgress) return;
  const progress = io.jobProgress();
  try {
    for await (const e of client.events(podJob))
      if (e.type !== "job-start" && e.type !== "job-end") progress(e);
  } catch (err) {
    io.progress(`  (progress of ${podJob} unavailable: ${(err as Error).message})`);
  }
}

function leaderboardTable(rows: readonly LeaderboardRow[]): string {
  const table = [["submission", "uid", "image", "status", "TTFT ms", "tok/s", "score"]];
  for (const { submission: s, result: r } of rows)
    table.push([
      `s${s.id}`,
      String(s.uid ?? "-"),
      (s.image ?? s.commitment).replace(/@sha256:(.{12}).*/, "@…$1"),
      r ? (r.passed ? "pass" : "FAIL") : s.status,
      r?.ttftMs?.toFixed(1) ?? "-",
      r?.tokensPerSec?.toFixed(0) ?? "-",
      r ? r.score.toFixed(4) : "-",
    ]);
  return formatTable(table, 4);
}

/** One demo round's time: the pod's session (server by server) and the validator's own share. */
function whereTimeWent(roundMs: number, report: EvalReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const servers = [report.baseline, ...report.candidates]
    .map((r) => `${r.name} ${s(r.timing.wallMs)}`)
    .join(", ");
  const t = report.timing;
  return [
    `Where the round's ${s(roundMs)} went (job created to settled):`,
    `  the eval session on the pod: ${s(t.wallMs)}; by server: ${servers}`,
    `  of which server starts ${s(t.startMs)}, health waits ${s(t.healthWaitMs)}, requests ${s(t.requestsMs)}, the teacher pass ${s(t.teacherMs)} (${report.teacher.status}), harness overhead ${s(t.overheadMs)}`,
    `  the validator around it (dispatch, polling, artifacts, settling): ${s(roundMs - t.wallMs)}`,
  ].join("\n");
}

/** A candidate that passed although its answers differ from the reference's: the teacher's part. */
function explainForks(c: CandidateRun, say: (s?: string) => void): void {
  const forked = c.gate.verdicts.filter((v) => v.fork);
  if (!c.gate.passed || forked.length === 0) return;
  const { candidate: m, control: k } = c.gate.teacher;
  const first = forked[0]?.fork?.position ?? 0;
  say(`\nWhy ${c.name} passed though its answers differ from the baseline's:`);
  say(
    `  ${forked.length} of ${c.gate.counts.requests} requests forked from the reference at a near-tie (the first at token ${first} of ${forked[0]?.id}), as other numerics make an honest engine do; the teacher (the baseline image, started once more) scored every one of their ${m.tokens} tokens from the fork on: each is one the model would choose there.`,
  );
  say(
    `  ${(100 * m.notFineShare).toFixed(1)}% of them are outside the tie gap of the teacher's top-1; the stock control (the baseline's own answers, rescored): ${(100 * k.notFineShare).toFixed(1)}% of ${k.tokens}.`,
  );
}

function explainFirstFailure(c: CandidateRun, say: (s?: string) => void): void {
  const v = c.gate.verdicts.find((x) => x.status === "fail");
  if (!v) return;
  say(`\nWhy ${c.name} failed the gate:`);
  say(explainRequest(v).replace(/^/gm, "  "));
}

/**
 * `--docker`: each miner's engine as a container image built from this checkout, pushed to a
 * registry on loopback (Eve's copy: Bob's image under her own name, so the same digest) and
 * committed by digest; the pod's Docker runtime pulls, checks and runs them isolated as on a GPU
 * pod. The baseline stays a reference process (the runtime hands it to the local one). `defer`
 * takes each cleanup as soon as there is something to undo.
 */
async function dockerMiners(
  miners: readonly LocalMiner[],
  io: DemoIo,
  defer: (close: () => Promise<void>) => void,
): Promise<{ refs: Map<string, string>; runtime: Runtime; podRuns: string }> {
  const say = (line: string) => io.say(line);
  const progress = (line: string) => io.progress(line);
  const { HAS_REGISTRY, REGISTRY_BIN, startLocalRegistry } = await import(
    "../runtime/docker/local-registry.js"
  );
  const images = await import("../runtime/docker/reference-image.js");
  const { referenceEngineEnv } = await import("../runtime/docker/reference-engine.js");
  const { createDockerRuntime } = await import("../runtime/docker/runtime.js");
  if (!HAS_REGISTRY)
    throw new DemoError(
      `demo --docker needs ${REGISTRY_BIN} for its local registry: apt-get install docker-registry`,
    );
  try {
    images.dockerServerVersion();
  } catch (err) {
    throw new DemoError(`demo --docker needs a running Docker engine: ${(err as Error).message}`);
  }
  const registry = await startLocalRegistry();
  defer(() => registry.stop());
  say(`Registry: ${registry.host} (on loopback; the miners push their images here)`);

  progress("building the miners' images …");
  const t0 = performance.now();
  const base = images.buildReferenceBaseImage({ tag: `cacheon-demo/base:${process.pid}` });
  defer(async () => images.removeImages([base]));
  // The demo's repository names, on this registry: localhost/bob/fast-engine → HOST/bob/fast-engine.
  const repository = (m: LocalMiner) => `${registry.host}/${m.repository.replace(/^[^/]+\//, "")}`;
  const refs = new Map<string, string>();
  for (const m of miners.filter((x) => !x.copies)) {
    const same = [m, ...miners.filter((x) => x.copies === m.uri)];
    const pinned = images.pushEnvImage(base, referenceEngineEnv(m.engine), same.map(repository));
    for (const [i, x] of same.entries()) refs.set(x.uri, pinned[i] as string);
  }
  // What the pod pulls stays in the engine otherwise.
  defer(async () => images.removeImages([...refs.values()]));
  progress(`built and pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const modelsDir = images.referenceModelsDir();
  defer(async () => rmSync(modelsDir, { recursive: true, force: true }));
  const podId = `demo-${process.pid}`;
  const runtime = await createDockerRuntime({ modelsDir, gpus: "none", firewall: "auto", podId });
  defer(() => runtime.cleanup());
  if (!runtime.firewall.enabled)
    progress("(iptables is not usable here: the containers can reach this machine's ports)");
  return {
    refs,
    runtime,
    podRuns: `pod id ${podId}: pulls the miners' images by digest and runs them as isolated containers`,
  };
}
