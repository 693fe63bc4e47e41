// Running one eval session for a command (`cacheon eval`, `gate calibrate`, `miner check`): in
// this process, with the local runtime or this machine's Docker engine, or on a pod (`cacheon pod
// serve`), whose event stream gives the progress and whose report comes back. Ctrl-C cancels the session
// either way: here it stops the servers, on a pod it cancels the job (the pod stops its servers).

import type { Arena } from "../arena/index.js";
import { loadPromptPool } from "../arena/pool.js";
import { writeFileAtomic } from "../contract/atomic-write.js";
import { loadVocabulary } from "../contract/tokenizer.js";
import type { EvalReport } from "../eval/report.js";
import { type EvalProgress, type NamedServer, runEvalSession } from "../eval/session.js";
import { PodClient, PodError } from "../pod/client.js";
import { createPodRuntime, type PodRuntime } from "../pod/runtime.js";
import type { PodAddress } from "../pod/tls.js";
import type { GpuSelection } from "../runtime/docker/container-config.js";
import { localRuntime } from "../runtime/local.js";
import type { Runtime } from "../runtime/runtime.js";
import { CliError } from "./errors.js";
import { evalProgress } from "./eval-progress.js";
import { withAbortOnSignal } from "./signals.js";

export interface SessionCliOptions {
  arena: Arena;
  seed: string;
  baseline: NamedServer;
  candidates: NamedServer[];
  incumbent?: string;
  quiet?: boolean;
  out?: string;
  /** Default: the local runtime (URLs and reference servers). */
  runtime?: Runtime;
}

/** Runs a session in this process, Ctrl-C cancelling it cleanly; writes --out. */
export async function runSessionCli(o: SessionCliOptions): Promise<EvalReport> {
  const report = await withAbortOnSignal((signal) =>
    runEvalSession({
      arena: o.arena,
      seed: o.seed,
      baseline: o.baseline,
      candidates: o.candidates,
      runtime: o.runtime ?? localRuntime,
      vocab: loadVocabulary(),
      pool: loadPromptPool(),
      incumbent: o.incumbent,
      onProgress: evalProgress(o.quiet === true),
      signal,
    }),
  );
  if (o.out) writeFileAtomic(o.out, `${JSON.stringify(report)}\n`);
  return report;
}

/** This machine's Docker engine as a pod would use it, for docker:// servers of a CLI command. */
export async function cliDockerRuntime(
  models: string | undefined,
  gpus: GpuSelection,
): Promise<PodRuntime> {
  if (models === undefined)
    throw new CliError("docker:// servers need --models DIR (the weights, mounted read-only)");
  return createPodRuntime({
    kind: "docker",
    modelsDir: models,
    gpus,
    podId: `cli-${process.pid}`,
    log: (line) => process.stderr.write(`cacheon: ${line}\n`),
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
}

/** In this process: the Docker runtime when a server is an image, else local processes. */
export async function runSessionHere(
  session: SessionCliOptions,
  docker: { models?: string; gpus: GpuSelection },
): Promise<EvalReport> {
  const specs = [session.baseline, ...session.candidates].map((s) => s.spec);
  if (!specs.some((s) => s.kind === "image")) return runSessionCli(session);
  const runtime = await cliDockerRuntime(docker.models, docker.gpus);
  try {
    return await runSessionCli({ ...session, runtime });
  } finally {
    await runtime.cleanup?.();
  }
}

/**
 * The same session run by a pod instead of this process: progress from the pod's event stream,
 * Ctrl-C cancels the job on the pod, and the report is the pod's.
 */
export async function runSessionOnPod(
  o: SessionCliOptions & { pod: PodAddress; token: string },
): Promise<EvalReport> {
  const client = new PodClient(o.pod, o.token);
  const pod = o.pod.url;
  const progress = evalProgress(o.quiet === true);
  const fail = (err: unknown): never => {
    if (err instanceof PodError) throw new CliError(`pod ${pod}: ${err.message}`);
    throw err;
  };
  const { id } = await client
    .submit({
      arena: o.arena,
      seed: o.seed,
      baseline: o.baseline.spec,
      candidates: o.candidates,
      king: o.incumbent,
    })
    .catch(fail);
  if (!o.quiet) process.stderr.write(`  job ${id} on pod ${pod}\n`);
  return withAbortOnSignal(async (signal) => {
    let cancelling: Promise<void> | null = null;
    signal.addEventListener("abort", () => {
      cancelling ??= client.cancel(id).catch(() => {});
    });
    try {
      let end: { status: string; error?: string } | null = null;
      for await (const e of client.events(id)) {
        if (e.type === "job-end") end = e;
        else if (e.type !== "job-start") progress(e satisfies EvalProgress);
      }
      await cancelling;
      if (end?.status !== "done" && end?.status !== "cancelled")
        throw new CliError(`job ${id} on pod ${pod} ${end?.status}: ${end?.error ?? "no report"}`);
      const report = await client.report(id);
      if (o.out) writeFileAtomic(o.out, `${JSON.stringify(report)}\n`);
      return report;
    } catch (err) {
      return fail(err);
    }
  });
}
