// The reference server's batching scheduler: a loop of steps, like an inference engine's. A step
// first admits queued sequences (their prefill cost is added to that step, as chunked prefill
// does), then, when its duration has passed, emits one token for every active sequence. The step
// duration comes from the speed profile and grows with the batch; steps are scheduled against
// absolute monotonic targets, so timer lateness does not accumulate. With a zero-delay profile the
// steps run back to back through setImmediate, which lets socket I/O in between.
import type { SpeedProfile } from "./profile.js";

export interface EngineJob {
  /** Prompt tokens, for the prefill cost. */
  readonly promptTokens: number;
  /**
   * Produces one token (called once per step while the job is active). Returns true when the job
   * is finished; the engine then drops it. It should not throw.
   */
  step(): boolean;
  /** Set by the owner while its consumer cannot take more output (backpressure); the job keeps its
   * slot but is skipped until the owner calls `engine.wake()` after clearing it. */
  blocked: boolean;
  /** Called if step() threw; the job has been dropped. */
  failed?(err: unknown): void;
}

export interface EngineStats {
  active: number;
  queued: number;
  steps: number;
  tokens: number;
}

/** Lateness beyond which the schedule is re-anchored to now instead of catching up in a burst. */
const MAX_LAG_MS = 50;
/** Zero-delay profile: how long the engine steps before it yields to I/O. */
const SLICE_MS = 10;
/** …and at most this many steps, which bounds a stream's burst of chunks per write. */
const SLICE_STEPS = 16;

export class Engine {
  private readonly queue: EngineJob[] = [];
  private queueHead = 0;
  private active: EngineJob[] = [];
  /** Cancelled jobs still in `queue`, or in `active` while a step iterates it. */
  private readonly cancelled = new Set<EngineJob>();
  private inStep = false;
  private running = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** Target end of the step in progress (performance.now() ms). */
  private stepEnd = 0;
  private steps = 0;
  private tokens = 0;
  private readonly instant: boolean;

  constructor(private readonly profile: SpeedProfile) {
    this.instant =
      profile.decodeStepMs === 0 &&
      profile.decodePerSeqMs === 0 &&
      profile.prefillBaseMs === 0 &&
      profile.prefillMsPerToken === 0;
  }

  submit(job: EngineJob): void {
    if (this.closed) throw new Error("engine is closed");
    this.queue.push(job);
    this.kick();
  }

  /** Removes a job (its client went away), whether queued or active. */
  cancel(job: EngineJob): void {
    const i = this.active.indexOf(job);
    if (i !== -1) {
      if (this.inStep) this.cancelled.add(job);
      else this.active.splice(i, 1);
      return;
    }
    if (this.queue.indexOf(job, this.queueHead) !== -1) this.cancelled.add(job);
  }

  /** A blocked job may have been unblocked: make sure the loop runs. */
  wake(): void {
    this.kick();
  }

  stats(): EngineStats {
    return {
      active: this.active.length,
      queued: this.queue.length - this.queueHead,
      steps: this.steps,
      tokens: this.tokens,
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.running = false;
    this.active = [];
    this.queue.length = 0;
    this.queueHead = 0;
    this.cancelled.clear();
  }

  /** Starts the loop if it sleeps, on the next turn of the event loop: requests that arrive
   * together (one I/O poll) are admitted to the same step. */
  private kick(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.immediate = setImmediate(this.instant ? this.runSlice : this.startTimed);
  }

  private readonly startTimed = (): void => {
    this.immediate = null;
    if (!this.closed) this.beginStep(performance.now());
  };

  /** Admits queued jobs (all of the queue that fits, when batching allows); returns their prompt
   * tokens, or -1 if none was admitted. */
  private admit(): number {
    const p = this.profile;
    if (!p.continuousBatching && this.active.length > 0) return -1;
    let prefillTokens = -1;
    while (this.active.length < p.maxBatch && this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead++] as EngineJob;
      if (this.cancelled.delete(job)) continue;
      this.active.push(job);
      prefillTokens = Math.max(prefillTokens, 0) + job.promptTokens;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return prefillTokens;
  }

  private anyReady(): boolean {
    for (const job of this.active) if (!job.blocked) return true;
    return false;
  }

  /** Starts a timed step at `start`: admits, computes the duration, schedules its end. */
  private beginStep(start: number): void {
    const p = this.profile;
    const prefillTokens = this.admit();
    if (!this.anyReady()) {
      // Nothing can make progress: sleep until a submit or wake.
      this.running = false;
      return;
    }
    const duration =
      (prefillTokens >= 0 ? p.prefillBaseMs + p.prefillMsPerToken * prefillTokens : 0) +
      p.decodeStepMs +
      p.decodePerSeqMs * this.active.length;
    this.stepEnd = start + duration;
    this.schedule();
  }

  private schedule(): void {
    const delay = this.stepEnd - performance.now();
    if (delay < 0.5) this.immediate = setImmediate(this.endStep);
    else this.timer = setTimeout(this.endStep, Math.round(delay));
  }

  private readonly endStep = (): void => {
    this.timer = null;
    this.immediate = null;
    if (this.closed) return;
    const now = performance.now();
    if (this.stepEnd - now >= 1) {
      this.schedule(); // the timer fired early (ms rounding): wait out the rest
      return;
    }
    this.emit();
    const lag = now - this.stepEnd;
    this.beginStep(lag > MAX_LAG_MS ? now : this.stepEnd);
  };

  /**
   * Zero-delay profile: steps back to back for up to SLICE_MS / SLICE_STEPS, then yield to I/O through
   * setImmediate. Several steps per slice let a stream's chunks share one socket write (the server
   * corks a response for the rest of the tick), which is what makes very high token rates cheap.
   */
  private readonly runSlice = (): void => {
    this.immediate = null;
    if (this.closed) return;
    const sliceStart = performance.now();
    let steps = 0;
    do {
      this.admit();
      if (!this.anyReady()) {
        this.running = false;
        return;
      }
      this.emit();
    } while (++steps < SLICE_STEPS && performance.now() - sliceStart < SLICE_MS);
    this.immediate = setImmediate(this.runSlice);
  };

  /** One token for every active, unblocked job; drops finished and cancelled jobs. */
  private emit(): void {
    this.steps++;
    const jobs = this.active;
    let write = 0;
    this.inStep = true;
    try {
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i] as EngineJob;
        // A job's step may cancel another (its owner saw the socket close): drop those here.
        if (this.cancelled.size > 0 && this.cancelled.delete(job)) continue;
        let done = false;
        if (!job.blocked) {
          this.tokens++;
          try {
            done = job.step();
          } catch (err) {
            done = true; // a job that throws is dropped; its owner is told
            job.failed?.(err);
          }
        }
        if (!done) jobs[write++] = job;
      }
    } finally {
      this.inStep = false;
    }
    jobs.length = write;
  }
}
