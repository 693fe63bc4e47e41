// A workload small enough for tests: two phases, a few requests, short outputs.
export const smallWorkload = {
  name: "small",
  trials: 2,
  warmup: { requests: 2, concurrency: 2, maxTokens: 4 },
  phases: [
    {
      name: "latency",
      scheduling: { kind: "concurrency", streams: 2 },
      requests: 4,
      maxTokens: 8,
      timeLimitMs: 20_000,
    },
    {
      name: "throughput",
      scheduling: { kind: "concurrency", streams: 16 },
      requests: 24,
      maxTokens: 16,
      fixedLength: true,
      timeLimitMs: 20_000,
    },
  ],
};
