// The validator's main loop (DESIGN §3): every tick it reads the chain head; every `scanEveryBlocks`
// it scans the metagraph and the commitments into the store; it keeps every open job driven on a
// pod and dispatches the queue to free pods (a batch of challengers plus the king each); and it sets
// weights once per slot. All state is in the store, so the loop is restartable at any instant.
import { setTimeout as delay } from "node:timers/promises";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { WeightsChain } from "../chain/submit-weights.js";
import type { CommitmentEntry, Head, Metagraph } from "../chain/subtensor.js";
import type { TimelockOptions } from "../chain/timelocked-weights.js";
import type { JobRequestInput } from "../pod/schema.js";
import type { ServerSpec } from "../runtime/spec.js";
import type { KingRules } from "../score/margin.js";
import { weightVector } from "../score/weights.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { ScannedCommitment, ValidatorStore } from "../store/store.js";
import type { ValidatorEvent } from "./events.js";
import { failpoint } from "./failpoint.js";
import { driveJob } from "./job-driver.js";
import type { PodProvider } from "./pods.js";
import { revealStep, weightsStep } from "./weights.js";

/** The chain as the validator uses it: reads, and what weight setting needs. */
export interface ValidatorChain extends WeightsChain {
  head(): Promise<Head>;
  /** Weights(netuid, uid): what a timelocked commit's reveal left on chain. */
  weightsOf(netuid: number, uid: number): Promise<[number, number][]>;
  metagraph(netuid: number): Promise<Metagraph>;
  commitments(netuid: number): Promise<CommitmentEntry[]>;
}

export interface ValidatorOptions {
  store: ValidatorStore;
  artifacts: ArtifactStore;
  chain: ValidatorChain;
  pods: PodProvider;
  pair: KeyringPair;
  netuid: number;
  /** What each job names as its arena: a preset name or an arena object (with "extends"). */
  arena: JobRequestInput["arena"];
  rules: KingRules;
  baseline?: ServerSpec;
  /** Challengers per job (the king comes on top). */
  batch: number;
  maxAttempts: number;
  scanEveryBlocks: number;
  weightsEveryBlocks?: number;
  /** Pending weight reveals (commit-reveal subnets). */
  pendingRevealsPath: string;
  tickMs: number;
  podPollMs: number;
  podLostMs: number;
  weightsRetry: { baseMs: number; maxMs: number };
  /** Timelocked weights (commit-reveal v4): the drand beacon to encrypt to (default quicknet). */
  timelock?: TimelockOptions;
  emit: (e: ValidatorEvent) => void;
  now?: () => number;
}

/** Converts the client's parse of a commitment into what the store records. */
export function scannedCommitment(e: CommitmentEntry): ScannedCommitment {
  return e.parsed.ok
    ? {
        hotkey: e.hotkey,
        block: e.block,
        ok: true,
        image: e.parsed.ref.text,
        digest: e.parsed.ref.digest,
      }
    : { hotkey: e.hotkey, block: e.block, ok: false, raw: e.raw ?? "", reason: e.parsed.reason };
}

export class Validator {
  private readonly drivers = new Map<number, Promise<void>>();
  private stop = new AbortController();
  private readonly now: () => number;
  private head: Head | null = null;

  constructor(private readonly o: ValidatorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Ticks until `signal` aborts (or `until()` holds after a tick), then waits for the drivers to stop. */
  async run(signal: AbortSignal, until?: () => boolean): Promise<void> {
    this.stop = new AbortController();
    const onAbort = () => this.stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!this.stop.signal.aborted) {
        await this.tick();
        if (until?.()) break;
        await delay(this.o.tickMs, undefined, { signal: this.stop.signal }).catch(() => undefined);
      }
    } finally {
      this.stop.abort();
      signal.removeEventListener("abort", onAbort);
      await Promise.allSettled(this.drivers.values());
    }
  }

  /** One pass; chain errors are reported and retried on the next tick. */
  async tick(): Promise<void> {
    try {
      const head = await this.o.chain.head();
      this.head = head;
      const last = this.o.store.lastScanBlock();
      if (last === null || head.number - last >= this.o.scanEveryBlocks) await this.scan(head);
    } catch (err) {
      this.o.emit({ type: "error", where: "chain", message: (err as Error).message });
      return;
    }
    await this.dispatch();
    await this.setWeights();
  }

  private async scan(head: Head): Promise<void> {
    const [metagraph, commitments] = await Promise.all([
      this.o.chain.metagraph(this.o.netuid),
      this.o.chain.commitments(this.o.netuid),
    ]);
    const uids = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]));
    const r = this.o.store.recordScan(
      head.number,
      commitments.map(scannedCommitment),
      uids,
      this.now(),
    );
    failpoint("after-scan");
    this.o.emit({ type: "scan", head: head.number, ...r });
  }

  /** Open jobs first (resumed on their pod, or waiting for one), then new jobs for free pods. */
  private async dispatch(): Promise<void> {
    const head = this.head;
    if (head === null || this.stop.signal.aborted) return;
    for (const job of this.o.store.openJobs()) {
      if (this.drivers.has(job.id)) continue;
      const lease =
        job.status === "submitted" && job.pod !== null
          ? this.o.pods.lease(job.pod)
          : await this.o.pods.acquire();
      if (lease === null) {
        if (job.status === "submitted") {
          const after = this.o.store.releaseJob(
            job.id,
            `pod ${job.pod} is no longer configured`,
            this.o.maxAttempts,
            this.now(),
          );
          this.o.emit({
            type: "job-released",
            job: after,
            reason: "pod gone",
            final: after.status === "failed",
          });
          continue;
        }
        break;
      }
      this.drive(job.id, lease);
    }
    // Jobs waiting for a pod: open ones none took, and the queue in batches.
    const unplaced = this.o.store.openJobs().filter((j) => !this.drivers.has(j.id)).length;
    this.o.pods.demand?.(unplaced + Math.ceil(this.o.store.queueDepth() / this.o.batch));
    while (this.o.store.queueDepth() > 0) {
      const lease = await this.o.pods.acquire();
      if (lease === null) break;
      const job = this.o.store.createJob(
        this.o.store.queue(this.o.batch),
        { hash: head.hash, block: head.number },
        this.now(),
      );
      failpoint("after-job-created");
      this.o.emit({ type: "job-created", job });
      this.drive(job.id, lease);
    }
  }

  private drive(jobId: number, lease: Parameters<typeof driveJob>[2]): void {
    const run = driveJob(
      {
        store: this.o.store,
        artifacts: this.o.artifacts,
        pods: this.o.pods,
        arena: this.o.arena,
        baseline: this.o.baseline,
        rules: this.o.rules,
        maxAttempts: this.o.maxAttempts,
        pollMs: this.o.podPollMs,
        podLostMs: this.o.podLostMs,
        emit: this.o.emit,
        now: this.now,
        signal: this.stop.signal,
      },
      jobId,
      lease,
    )
      .catch((err: unknown) =>
        this.o.emit({ type: "error", where: `job ${jobId}`, message: (err as Error).message }),
      )
      .finally(() => this.drivers.delete(jobId));
    this.drivers.set(jobId, run);
  }

  private async setWeights(): Promise<void> {
    const head = this.head;
    if (head === null || this.stop.signal.aborted) return;
    try {
      // First what became of earlier timelocked commits, so an expired one is reported before the
      // next slot commits again.
      for (const settled of await revealStep({
        chain: this.o.chain,
        netuid: this.o.netuid,
        store: this.o.store,
        now: this.now,
      }))
        this.o.emit({ type: "weights-reveal", set: settled });
    } catch (err) {
      this.o.emit({ type: "error", where: "weights", message: (err as Error).message });
    }
    try {
      const set = await weightsStep(
        {
          chain: this.o.chain,
          pair: this.o.pair,
          netuid: this.o.netuid,
          store: this.o.store,
          pendingPath: this.o.pendingRevealsPath,
          everyBlocks: this.o.weightsEveryBlocks,
          retry: this.o.weightsRetry,
          now: this.now,
          ...(this.o.timelock ? { timelock: this.o.timelock } : {}),
        },
        head.number,
        weightVector(this.o.store.king(), this.o.rules),
      );
      if (set) this.o.emit({ type: "weights", set });
    } catch (err) {
      this.o.emit({ type: "error", where: "weights", message: (err as Error).message });
    }
  }

  /**
   * Nothing left to do until the chain changes: no queue, no open job, and the weights on chain are
   * the current king's (what `--exit-when-idle` and the demo wait for).
   */
  idle(): boolean {
    const s = this.o.store;
    if (s.queueDepth() > 0 || s.openJobs().length > 0 || this.drivers.size > 0) return false;
    const want = weightVector(s.king(), this.o.rules);
    const last = s.latestWeightSets().lastSet;
    return last !== null && JSON.stringify(last.uids) === JSON.stringify(want.uids);
  }
}
