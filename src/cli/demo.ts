// `cacheon demo`: the whole arena on this machine, no GPU, chain or Docker needed. A local chain
// (subnet 1), a local pod that runs the miners' images as reference-server processes, four miners
// that commit on the chain (a fast engine, a slow one, a fast one with a subtly wrong model, and a
// copy of the fast one's image), and the validator loop — the one `cacheon validator run` runs —
// until the king is settled and its weights are on chain. It tells the story and the leaderboard.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { LocalMiner } from "../app/local-arena.js";
import type { Arena } from "../arena/index.js";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { type CandidateRun, type EvalReport, EvalReportSchema } from "../eval/report.js";
import { explainRequest } from "../gate/index.js";
import type { Runtime } from "../runtime/runtime.js";
import type { LeaderboardRow } from "../store/store.js";
import { formatTable } from "../table.js";
import { CliError } from "./errors.js";
import { evalProgress } from "./eval-progress.js";
import { arenaOption, integer, parseListen } from "./options.js";
import { serviceStartError } from "./validator-run.js";

interface DemoOptions {
  arena?: Arena;
  out?: string;
  quiet?: boolean;
  docker?: boolean;
  blockMs: number;
  serve?: boolean;
  http: { host: string; port: number };
}

const NETUID = 1;

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run the whole arena on this machine: a local chain, a local pod, four miners that commit their images and the validator loop, until the king is crowned and its weights are set; prints the story and the leaderboard",
    )
    .option("--arena <local|v1|file>", "arena preset or JSON file (default: local)", arenaOption)
    .option("--out <file>", "write the last eval job's EvalReport JSON here")
    .option("--quiet", "no progress on stderr")
    .option(
      "--docker",
      "run the miners' engines as container images: built here, pushed to a registry on loopback, pulled by digest and run isolated by the pod's Docker runtime (needs a Docker engine and docker-registry)",
    )
    .option(
      "--block-ms <ms>",
      "the local chain's block time",
      integer("--block-ms", 20, 60_000),
      250,
    )
    .option(
      "--serve",
      "serve the dashboard and the API while the round runs, and keep serving after it until Ctrl-C",
    )
    .option(
      "--http <[host:]port>",
      "where --serve listens (port 0: any free port)",
      parseListen,
      parseListen("127.0.0.1:8014"),
    )
    .addHelpText(
      "after",
      "\nThe miners' engines are `cacheon reference serve` processes (a synthetic model over the real Qwen\nvocabulary, not a real LLM). The chain is Cacheon's local subtensor double, not a subtensor node.\nNothing leaves this machine.",
    )
    .action(async (opts: DemoOptions) => {
      const arena = opts.arena ?? arenaOption("local");
      const say = (line = "") => process.stdout.write(`${line}\n`);
      const progressOn = (line: string) => {
        if (!opts.quiet) process.stderr.write(`${line}\n`);
      };
      const { startLocalChain } = await import("../chain/local/chain.js");
      const { loadRuntime, MetadataMissingError } = await import("../chain/local/runtime.js");
      const { Subtensor } = await import("../chain/subtensor.js");
      const { DEMO_MINERS, commitMiners, devPair, minerImages, startLocalPod } = await import(
        "../app/local-arena.js"
      );
      const { catalogueRuntime } = await import("../runtime/catalogue.js");
      const { localRuntime } = await import("../runtime/local.js");
      const { openValidatorService } = await import("../app/validator-service.js");
      const { describeEvent } = await import("../validator/describe.js");
      const { PodClient } = await import("../pod/client.js");

      say("Cacheon demo: the whole arena on this machine.");
      say(
        "(Engines are reference servers: a synthetic model over the Qwen vocabulary, not a real LLM.)",
      );
      const stateDir = mkdtempSync(join(tmpdir(), "cacheon-demo-"));
      const chain = await startLocalChain({ blockTimeMs: opts.blockMs }).catch((err: unknown) => {
        rmSync(stateDir, { recursive: true, force: true });
        if (err instanceof MetadataMissingError) throw new CliError(err.message);
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
      const onSignal = () => {
        if (stopServing) stopServing();
        else void closeAll().then(() => process.exit(130));
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      cleanups.push(async () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      });
      try {
        say(
          `Local chain: ${chain.url} (subnet ${NETUID}, a block every ${opts.blockMs} ms; ${loadRuntime().description})`,
        );
        let refs: Map<string, string>;
        let runtime: Runtime;
        let podRuns = "runs the miners' images as local processes";
        if (opts.docker) {
          ({ refs, runtime, podRuns } = await dockerMiners(
            DEMO_MINERS,
            say,
            progressOn,
            (close) => {
              cleanups.unshift(close);
            },
          ));
        } else {
          const images = minerImages(DEMO_MINERS);
          refs = images.refs;
          runtime = catalogueRuntime(localRuntime, images.catalogue);
        }
        const pod = await startLocalPod(runtime);
        cleanups.unshift(() => pod.close());
        say(`Pod: ${pod.url} (${podRuns})`);
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
        const follower = new PodClient(pod.url, pod.token);
        let lastWeights = "";
        const jobStarted = new Map<number, number>();
        const jobEnded = new Map<number, number>();
        const service = await openValidatorService({
          stateDir,
          chain: client,
          pair: await devPair("//Alice"),
          netuid: NETUID,
          pods: [{ name: "local-pod", url: pod.url, token: pod.token }],
          arena,
          arenaValue: arena as unknown as Record<string, unknown>,
          baseline: { kind: "reference", profile: "baseline", variant: "none" },
          batch: 4,
          maxAttempts: 2,
          scanEveryBlocks: 1,
          tickMs: 200,
          podPollMs: 250,
          podLostMs: 60_000,
          ...(opts.serve ? { http: opts.http } : {}),
          env: {},
          onEvent: (e) => {
            if (e.type === "job-created") jobStarted.set(e.job.id, Date.now());
            if (e.type === "job-settled") jobEnded.set(e.job.id, Date.now());
            // Weights go on chain every tempo; the story tells only when they change hands.
            if (e.type === "weights" && e.set.status === "set") {
              const uids = e.set.uids.join(",");
              if (uids === lastWeights) return;
              lastWeights = uids;
            }
            const at = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
            for (const line of describeEvent(e)) say(`  [${at} s] ${line.msg}`);
            if (e.type === "job-submitted")
              void followPod(follower, e.podJob, progressOn, opts.quiet);
          },
        }).catch(async (err: unknown) => {
          throw await serviceStartError(err, opts.serve ? opts.http : undefined);
        });
        cleanups.unshift(() => service.close());
        if (service.httpUrl)
          say(`Dashboard: ${service.httpUrl}/ (API: ${service.httpUrl}/api/state)`);
        await service.validator.run(new AbortController().signal, () => service.validator.idle());
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
        if (last)
          say(
            `Weights on chain: uid ${last.uids.join(",")} gets everything (set at block ${last.block}; //Alice's last update on chain: block ${alice?.lastUpdate}).`,
          );
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
            for (const c of report.candidates) explainFirstFailure(c, say);
            if (opts.out) {
              writeFileAtomic(opts.out, `${JSON.stringify(report)}\n`);
              say(`\nReport: ${opts.out} (check it with: cacheon report rescore ${opts.out})`);
            }
          }
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
    });
}

/** The pod's progress events of one job, on stderr, while it runs. */
async function followPod(
  client: import("../pod/client.js").PodClient,
  podJob: string,
  out: (line: string) => void,
  quiet: boolean | undefined,
): Promise<void> {
  if (quiet) return;
  const progress = evalProgress(false);
  try {
    for await (const e of client.events(podJob))
      if (e.type !== "job-start" && e.type !== "job-end") progress(e);
  } catch (err) {
    out(`  (progress of ${podJob} unavailable: ${(err as Error).message})`);
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
    `  of which server starts ${s(t.startMs)}, health waits ${s(t.healthWaitMs)}, requests ${s(t.requestsMs)}, harness overhead ${s(t.overheadMs)}`,
    `  the validator around it (dispatch, polling, artifacts, settling): ${s(roundMs - t.wallMs)}`,
  ].join("\n");
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
  say: (line: string) => void,
  progress: (line: string) => void,
  defer: (close: () => Promise<void>) => void,
): Promise<{ refs: Map<string, string>; runtime: Runtime; podRuns: string }> {
  const { HAS_REGISTRY, REGISTRY_BIN, startLocalRegistry } = await import(
    "../runtime/docker/local-registry.js"
  );
  const images = await import("../runtime/docker/reference-image.js");
  const { referenceEngineEnv } = await import("../runtime/docker/reference-engine.js");
  const { createDockerRuntime } = await import("../runtime/docker/runtime.js");
  if (!HAS_REGISTRY)
    throw new CliError(
      `demo --docker needs ${REGISTRY_BIN} for its local registry: apt-get install docker-registry`,
    );
  try {
    images.dockerServerVersion();
  } catch (err) {
    throw new CliError(`demo --docker needs a running Docker engine: ${(err as Error).message}`);
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
