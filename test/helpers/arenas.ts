// A tiny arena for tests: the local preset's rules with a handful of short requests, so a session
// with several reference servers takes seconds.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Arena, parseArena } from "../../src/arena/index.js";
import { deepMerge } from "../../src/arena/load.js";
import { ARENA_PRESETS } from "../../src/arena/presets.js";

const deadlines = { requestDeadlineMs: 20_000, timeLimitMs: 30_000 };

export const tinyArenaFile = {
  extends: "local",
  name: "tiny",
  startupTimeoutMs: 5_000,
  workload: {
    warmup: { requests: 2, concurrency: 2, maxTokens: 8, ...deadlines },
    gate: { requests: 4, concurrency: 4, maxTokens: 16, ...deadlines },
    phases: [
      {
        name: "latency",
        scheduling: { kind: "concurrency", streams: 2 },
        requests: 4,
        maxTokens: 8,
        ...deadlines,
      },
      {
        name: "throughput",
        scheduling: { kind: "concurrency", streams: 8 },
        requests: 16,
        maxTokens: 16,
        fixedLength: true,
        ...deadlines,
      },
    ],
    trials: 2,
  },
};

export function tinyArena(): Arena {
  const { extends: _base, ...rest } = tinyArenaFile;
  return parseArena(deepMerge(ARENA_PRESETS.local, rest), "tiny arena");
}

/** The tiny arena written to a temp file, for the CLI. */
export function tinyArenaPath(): string {
  const path = join(mkdtempSync(join(tmpdir(), "cacheon-arena-")), "tiny.json");
  writeFileSync(path, JSON.stringify(tinyArenaFile));
  return path;
}
