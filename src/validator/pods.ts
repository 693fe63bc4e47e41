// Where eval jobs run: GPU pods behind a small provider interface: a static list from the config
// (here), or pods rented while the queue has work and given back when idle (rented-pods.ts;
// docs/validators/pods.md).
import { PodClient } from "../pod/client.js";

export interface PodLease {
  /** Stable name: the store records which pod runs a job by it. */
  readonly name: string;
  readonly client: PodClient;
}

export interface PodProvider {
  /**
   * A pod for one new job, or null when none is free now. A renting provider may start one here and
   * answer null until it is up; the validator asks again on its next tick.
   */
  acquire(): Promise<PodLease | null>;
  /** The named pod, for a job that is already on it (after a restart); null if it is gone. */
  lease(name: string): PodLease | null;
  /** The job on the pod ended; `broken`: the pod misbehaved (unreachable, refused our token). */
  release(lease: PodLease, broken?: string): void;
  /** How many jobs wait for a pod: lets a renting provider scale. */
  demand?(waiting: number): void;
}

export interface StaticPod {
  name: string;
  url: string;
  token: string;
  /** The pinned SHA-256 fingerprint of an https pod's certificate (pod/tls.ts). */
  fingerprint?: string | null;
}

/**
 * A fixed list of pods, one job each at a time. A pod that misbehaved rests for `restMs` (doubling
 * up to `maxRestMs` while it keeps failing) so one broken pod does not take every job's attempts.
 */
export class StaticPods implements PodProvider {
  private readonly busy = new Set<string>();
  private readonly resting = new Map<string, { untilMs: number; restMs: number }>();
  private readonly leases: Map<string, PodLease>;

  constructor(
    pods: readonly StaticPod[],
    private readonly o: { restMs: number; maxRestMs: number; now?: () => number } = {
      restMs: 5_000,
      maxRestMs: 300_000,
    },
  ) {
    this.leases = new Map(
      pods.map((p) => [
        p.name,
        {
          name: p.name,
          client: new PodClient({ url: p.url, fingerprint: p.fingerprint ?? null }, p.token),
        },
      ]),
    );
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  async acquire(): Promise<PodLease | null> {
    for (const [name, lease] of this.leases) {
      if (this.busy.has(name)) continue;
      const rest = this.resting.get(name);
      if (rest && rest.untilMs > this.now()) continue;
      this.busy.add(name);
      return lease;
    }
    return null;
  }

  lease(name: string): PodLease | null {
    const lease = this.leases.get(name);
    if (!lease) return null;
    this.busy.add(name);
    return lease;
  }

  release(lease: PodLease, broken?: string): void {
    this.busy.delete(lease.name);
    if (broken === undefined) {
      this.resting.delete(lease.name);
      return;
    }
    const prev = this.resting.get(lease.name);
    const restMs = prev ? Math.min(this.o.maxRestMs, prev.restMs * 2) : this.o.restMs;
    this.resting.set(lease.name, { untilMs: this.now() + restMs, restMs });
  }
}
