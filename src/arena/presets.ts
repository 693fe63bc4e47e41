// The arena presets. `v1` is production (DESIGN §2: Qwen2.5-72B-Instruct on 4x H200); `local` has
// the same phases and rules with small counts and fewer trials, for the reference server on a
// laptop (`cacheon demo`).
import type { ArenaInput } from "./config.js";

// Time limits in v1 are about 5-10x what the vLLM baseline needs on 4x H200 (about 40 tok/s per
// stream at low concurrency, a few thousand tok/s in aggregate at 256 streams): generous for an
// honest server, yet a server that stalls cannot hold the pod for long.
const V1: ArenaInput = {
  name: "v1",
  workload: {
    warmup: {
      requests: 16,
      concurrency: 16,
      maxTokens: 32,
      requestDeadlineMs: 120_000,
      timeLimitMs: 300_000,
    },
    // 32 × 128 tokens at 8 streams: about 15 s against the baseline.
    gate: {
      requests: 32,
      concurrency: 8,
      maxTokens: 128,
      requestDeadlineMs: 120_000,
      timeLimitMs: 300_000,
    },
    phases: [
      // One request at a time, so TTFT is the server's own latency and not queueing behind other
      // requests; short and medium prompts (see docs/miners/score.md). 32 × 16 tokens: about 15 s.
      {
        name: "latency",
        scheduling: { kind: "concurrency", streams: 1 },
        requests: 32,
        maxTokens: 16,
        prompts: { source: "builtin", lengths: ["short", "medium"] },
        requestDeadlineMs: 60_000,
        timeLimitMs: 300_000,
      },
      // 512 × 256 = 131k output tokens: under a minute against the baseline.
      {
        name: "throughput",
        scheduling: { kind: "concurrency", streams: 256 },
        requests: 512,
        maxTokens: 256,
        fixedLength: true,
        requestDeadlineMs: 180_000,
        idleTimeoutMs: 60_000,
        timeLimitMs: 600_000,
      },
    ],
    // Five trials, the median counts: one disturbed trial moves nothing (bench/eval.ts measures it).
    trials: 5,
    ttftPhase: "latency",
    tpsPhase: "throughput",
    tokenTolerance: { relative: 0.05, absolute: 3 },
  },
};

const LOCAL: ArenaInput = {
  name: "local",
  startupTimeoutMs: 60_000,
  // Its registries are on loopback (demo --docker, the tests), token realms included.
  registry: { allowPrivateHosts: true },
  workload: {
    warmup: {
      requests: 4,
      concurrency: 4,
      maxTokens: 16,
      requestDeadlineMs: 30_000,
      timeLimitMs: 60_000,
    },
    gate: {
      requests: 8,
      concurrency: 8,
      maxTokens: 32,
      requestDeadlineMs: 30_000,
      timeLimitMs: 60_000,
    },
    phases: [
      // Short prompts one at a time: on a shared laptop CPU the reference server's timer jitter
      // (~1 ms) is a large part of a ~30 ms TTFT, and a tight prompt mix keeps it out of the median.
      {
        name: "latency",
        scheduling: { kind: "concurrency", streams: 1 },
        requests: 12,
        maxTokens: 4,
        prompts: { source: "builtin", lengths: ["short"] },
        requestDeadlineMs: 30_000,
        timeLimitMs: 30_000,
      },
      {
        name: "throughput",
        scheduling: { kind: "concurrency", streams: 32 },
        requests: 96,
        maxTokens: 32,
        fixedLength: true,
        prompts: { source: "builtin", lengths: ["short", "medium"] },
        requestDeadlineMs: 30_000,
        timeLimitMs: 60_000,
      },
    ],
    // Three trials, the median counts: one disturbed trial still moves nothing, and the demo's
    // round of four servers stays near a minute on two cores (bench/eval.ts measures the noise).
    trials: 3,
    ttftPhase: "latency",
    tpsPhase: "throughput",
    tokenTolerance: { relative: 0.05, absolute: 3 },
  },
};

export const ARENA_PRESETS = { v1: V1, local: LOCAL } as const satisfies Record<string, ArenaInput>;
export type ArenaPresetName = keyof typeof ARENA_PRESETS;
