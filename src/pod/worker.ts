// Runs the pod's jobs, one at a time: the eval session with the pod's runtime, every progress event
// into the job store, and the report, logs and final status when the session ends.
import type { PromptPool } from "../arena/pool.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import { runEvalSession } from "../eval/session.js";
import type { Runtime } from "../runtime/runtime.js";
import type { JobOutcome, JobStore } from "./jobs.js";
import { type JobRequest, jobSession } from "./schema.js";

export interface PodWorkerOptions {
  store: JobStore;
  runtime: Runtime;
  vocab: Vocabulary;
  pool: PromptPool;
  /** One line per job start and end, for the operator. */
  log?: (line: string) => void;
}

interface Current {
  id: string;
  controller: AbortController;
  ended: Promise<void>;
}

export class PodWorker {
  private current: Current | null = null;

  constructor(private readonly o: PodWorkerOptions) {}

  /** The running job's id, or null when the pod is free. */
  get running(): string | null {
    return this.current?.id ?? null;
  }

  /** Starts the job, or names the job that holds the pod. */
  submit(request: JobRequest): { id: string } | { running: string } {
    if (this.current) return { running: this.current.id };
    const { id } = this.o.store.create(request);
    const controller = new AbortController();
    this.o.log?.(`job ${id}: started (${request.candidates.length} candidates)`);
    const current: Current = { id, controller, ended: Promise.resolve() };
    this.current = current;
    current.ended = this.run(id, request, controller.signal).finally(() => {
      this.current = null;
    });
    return { id };
  }

  /** Asks the running job to stop; false when `id` is not the running job. */
  cancel(id: string): boolean {
    if (this.current?.id !== id) return false;
    this.current.controller.abort();
    return true;
  }

  /** Cancels the running job, if any, and waits until it has ended (its servers stopped). */
  async close(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.controller.abort();
    await current.ended;
  }

  private async run(id: string, request: JobRequest, signal: AbortSignal): Promise<void> {
    const { store } = this.o;
    let outcome: JobOutcome;
    try {
      const report = await runEvalSession({
        ...jobSession(request),
        runtime: this.o.runtime,
        vocab: this.o.vocab,
        pool: this.o.pool,
        onProgress: (e) => store.append(id, e),
        signal,
      });
      outcome = { status: report.status === "cancelled" ? "cancelled" : "done", report };
    } catch (err) {
      outcome = { status: "failed", error: (err as Error).message ?? String(err) };
    }
    try {
      const job = store.finish(id, outcome);
      this.o.log?.(`job ${id}: ${job.status}${job.error ? `: ${job.error}` : ""}`);
    } catch (err) {
      // The job stays running on disk: the next start marks it interrupted.
      this.o.log?.(`job ${id}: cannot record its end: ${(err as Error).message}`);
    }
  }
}
