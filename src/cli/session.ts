// `cacheon eval --pod URL`: the same session as runSessionCli, run by a pod (`cacheon pod serve`)
// instead of this process. Progress comes from the pod's event stream, Ctrl-C cancels the job on
// the pod (its servers are stopped there), and the report is the pod's.
import { writeFileAtomic } from "../contract/atomic-write.js";
import type { EvalReport } from "../eval/report.js";
import type { EvalProgress } from "../eval/session.js";
import { PodClient, PodError } from "../pod/client.js";
import { CliError } from "./errors.js";
import type { SessionCliOptions } from "./eval.js";
import { evalProgress } from "./eval-progress.js";

export async function runSessionOnPod(
  o: SessionCliOptions & { pod: string; token: string },
): Promise<EvalReport> {
  const client = new PodClient(o.pod, o.token);
  const progress = evalProgress(o.quiet === true);
  const fail = (err: unknown): never => {
    if (err instanceof PodError) throw new CliError(`pod ${o.pod}: ${err.message}`);
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
  if (!o.quiet) process.stderr.write(`  job ${id} on pod ${o.pod}\n`);
  let cancelling: Promise<void> | null = null;
  const onSignal = () => {
    cancelling ??= client.cancel(id).catch(() => {});
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let end: { status: string; error?: string } | null = null;
    for await (const e of client.events(id)) {
      if (e.type === "job-end") end = e;
      else if (e.type !== "job-start") progress(e satisfies EvalProgress);
    }
    await cancelling;
    if (end?.status !== "done" && end?.status !== "cancelled")
      throw new CliError(`job ${id} on pod ${o.pod} ${end?.status}: ${end?.error ?? "no report"}`);
    const report = await client.report(id);
    if (o.out) writeFileAtomic(o.out, `${JSON.stringify(report)}\n`);
    return report;
  } catch (err) {
    return fail(err);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
