// Runs one eval job on one pod, from the store's record to a settled report, so that it can be
// resumed after a kill at any instant without running anything twice:
// - the pod gets the job with a `ref` naming the job and attempt; a validator that died after the
//   pod accepted it finds it in the pod's list instead of submitting it again;
// - the report is kept as an artifact before it is settled; after a kill there, the artifact is
//   settled without asking the pod;
// - settling is one store transaction and decides from the report alone (settle.ts).
import { setTimeout as delay } from "node:timers/promises";
import { type EvalReport, EvalReportSchema } from "../eval/report.js";
import { PodError } from "../pod/client.js";
import type { JobRequestInput } from "../pod/schema.js";
import type { ServerSpec } from "../runtime/spec.js";
import type { KingRules } from "../score/margin.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { Job, Submission, ValidatorStore } from "../store/store.js";
import type { ValidatorEvent } from "./events.js";
import { failpoint } from "./failpoint.js";
import type { PodLease, PodProvider } from "./pods.js";
import { settleReport } from "./settle.js";

export interface DriverOptions {
  store: ValidatorStore;
  artifacts: ArtifactStore;
  pods: PodProvider;
  /** The arena every job names: a preset name or an arena object. */
  arena: JobRequestInput["arena"];
  /** Default: the arena's pinned baseline image. */
  baseline?: ServerSpec;
  rules: KingRules;
  /** Attempts of a job (pods lost, baseline failures) before it fails for good. */
  maxAttempts: number;
  /** How often the pod is asked about a running job. */
  pollMs: number;
  /** A pod silent for this long has lost the job. */
  podLostMs: number;
  emit: (e: ValidatorEvent) => void;
  now: () => number;
  signal: AbortSignal;
}

const TERMINAL = new Set(["done", "failed", "cancelled", "interrupted"]);

// Per attempt: an attempt's report never overwrites another's.
export const reportKey = (job: Job) => `jobs/${job.id}/attempt-${job.attempts}/report.json`;
const logsKey = (job: Job, server: string) =>
  `jobs/${job.id}/attempt-${job.attempts}/logs/${server}.log`;
/** The pod-side name of an attempt: a restarted validator finds its submitted attempt by it. */
export const attemptRef = (job: Job) => `cacheon-job-${job.id}.${job.attempts + 1}`;

/** Why the attempt on the pod is over without a report to settle. */
class AttemptLost extends Error {
  constructor(
    message: string,
    readonly podBroken = false,
    /** Lost before a pod took it, through the job's own fault: it still counts as an attempt. */
    readonly countAttempt = false,
  ) {
    super(message);
  }
}

export function jobRequest(
  job: Job,
  o: Pick<DriverOptions, "arena" | "baseline">,
): JobRequestInput {
  const king = job.candidates.find((c) => c.role === "king");
  return {
    arena: o.arena,
    seed: job.seed,
    ...(o.baseline ? { baseline: o.baseline } : {}),
    candidates: job.candidates.map((c) => ({
      name: c.name,
      spec: { kind: "image", image: c.image },
    })),
    ...(king ? { king: king.name } : {}),
    ref: attemptRef(job),
  };
}

/** Drives the job until it is settled, released for another attempt, or the validator stops. */
export async function driveJob(o: DriverOptions, jobId: number, lease: PodLease): Promise<void> {
  let broken: string | undefined;
  try {
    const job = o.store.job(jobId);
    if (!job || (job.status !== "pending" && job.status !== "submitted")) return;
    const stored = job.status === "submitted" ? await storedReport(o, job) : null;
    if (stored) {
      settle(o, job, stored.report, stored.logs);
      return;
    }
    let current = job;
    if (current.status === "pending") {
      const podJob = await submit(o, current, lease);
      if (podJob === null) return;
      failpoint("after-pod-submit");
      o.store.markSubmitted(current.id, lease.name, podJob, o.now());
      current = o.store.job(jobId) as Job;
      o.emit({ type: "job-submitted", job: current, pod: lease.name, podJob });
    }
    const report = await follow(o, current, lease);
    if (report === null) return;
    const logs = await keepArtifacts(o, current, lease, report);
    failpoint("after-report");
    if (report.status !== "ok") throw new AttemptLost(`the session ended ${report.status}`);
    settle(o, current, report, logs);
  } catch (err) {
    if (o.signal.aborted) return;
    const lost = err instanceof AttemptLost ? err : null;
    const reason = lost ? lost.message : `unexpected: ${(err as Error).message}`;
    if (lost?.podBroken || !lost) broken = reason;
    const job = o.store.job(jobId);
    if (job && (job.status === "pending" || job.status === "submitted")) {
      const after = o.store.releaseJob(
        jobId,
        `pod ${lease.name}: ${reason}`,
        o.maxAttempts,
        o.now(),
      );
      o.emit({ type: "job-released", job: after, reason, final: after.status === "failed" });
    }
  } finally {
    if (broken !== undefined) o.emit({ type: "pod-broken", pod: lease.name, reason: broken });
    o.pods.release(lease, broken);
  }
}

/** The pod's id for this attempt: found in its list (submitted before a kill) or submitted now. */
async function submit(o: DriverOptions, job: Job, lease: PodLease): Promise<string | null> {
  const ref = attemptRef(job);
  try {
    const mine = (await lease.client.list()).find((j) => j.request.ref === ref);
    if (mine) return mine.id;
    return (await lease.client.submit(jobRequest(job, o))).id;
  } catch (err) {
    if (err instanceof PodError && err.kind === "busy") return null;
    // The pod refused the request itself: every pod would, so the job cannot run as it is.
    if (err instanceof PodError && err.kind === "bad_request")
      throw new AttemptLost(err.message, false, true);
    throw new AttemptLost(
      err instanceof PodError ? err.message : (err as Error).message,
      /* podBroken */ true,
    );
  }
}

/** Polls the pod until the attempt ends; its report, or null when the validator stops. */
async function follow(o: DriverOptions, job: Job, lease: PodLease): Promise<EvalReport | null> {
  const podJob = job.podJob as string;
  let lastContact = o.now();
  while (!o.signal.aborted) {
    try {
      const status = await lease.client.status(podJob);
      lastContact = o.now();
      if (TERMINAL.has(status.status)) {
        if (status.status !== "done")
          throw new AttemptLost(
            `the job ended ${status.status} on the pod${status.error ? `: ${status.error}` : ""}`,
          );
        try {
          return await lease.client.report(podJob);
        } catch (err) {
          throw new AttemptLost(`its report: ${(err as Error).message}`, true);
        }
      }
    } catch (err) {
      if (err instanceof AttemptLost) throw err;
      if (err instanceof PodError && err.kind === "not_found")
        throw new AttemptLost(`the pod no longer knows job ${podJob}`, true);
      if (err instanceof PodError && err.kind === "unauthorized")
        throw new AttemptLost(err.message, true);
      if (o.now() - lastContact > o.podLostMs)
        throw new AttemptLost(
          `no answer for ${Math.round((o.now() - lastContact) / 1000)} s: ${(err as Error).message}`,
          true,
        );
    }
    await delay(o.pollMs, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return null;
}

/** The report and every server's logs into the artifact store; the logs' keys by server. */
async function keepArtifacts(
  o: DriverOptions,
  job: Job,
  lease: PodLease,
  report: EvalReport,
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const server of ["baseline", ...job.candidates.map((c) => c.name)]) {
    let text: string;
    try {
      text = await lease.client.logs(job.podJob as string, server);
    } catch {
      continue; // a server that never started has no logs
    }
    const key = logsKey(job, server);
    await o.artifacts.put(key, text, "text/plain; charset=utf-8");
    keys.set(server, key);
  }
  await o.artifacts.put(reportKey(job), JSON.stringify(report), "application/json");
  return keys;
}

/** A report kept before a kill, with its logs' keys; null when there is none. */
async function storedReport(
  o: DriverOptions,
  job: Job,
): Promise<{ report: EvalReport; logs: Map<string, string> } | null> {
  const bytes = await o.artifacts.get(reportKey(job));
  if (bytes === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return null; // not what this validator wrote: ask the pod again
  }
  const parsed = EvalReportSchema.safeParse(json);
  if (!parsed.success || parsed.data.status !== "ok") return null;
  const logs = new Map<string, string>();
  for (const server of ["baseline", ...job.candidates.map((c) => c.name)])
    if ((await o.artifacts.get(logsKey(job, server))) !== null)
      logs.set(server, logsKey(job, server));
  return { report: parsed.data, logs };
}

function settle(o: DriverOptions, job: Job, report: EvalReport, logs: Map<string, string>): void {
  const submissions = new Map<number, Submission>();
  for (const c of job.candidates) {
    const s = o.store.submission(c.submissionId);
    if (s) submissions.set(s.id, s);
  }
  const settlement = settleReport({
    job,
    report,
    king: o.store.king(),
    submissions,
    rules: o.rules,
    reportKey: reportKey(job),
    logsKeys: logs,
  });
  o.store.settle(settlement);
  o.emit({ type: "job-settled", job: o.store.job(job.id) as Job, settlement });
}
