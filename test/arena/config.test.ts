import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ARENA_PRESETS,
  type Arena,
  ArenaError,
  arenaPreset,
  deepMerge,
  loadArena,
  parseArena,
  promptsPerServer,
  sessionSlots,
} from "../../src/arena/index.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-arena-"));
let files = 0;
function file(value: unknown): string {
  const path = join(dir, `arena-${files++}.json`);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

/** The ArenaError message loadArena gives for a file, or fails the test. */
function errorOf(value: unknown): string {
  try {
    loadArena(file(value));
  } catch (err) {
    expect(err).toBeInstanceOf(ArenaError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected loadArena to throw");
}

describe("arena presets", () => {
  it("v1 has DESIGN §2's values", () => {
    const a = loadArena("v1");
    expect(a.name).toBe("v1");
    const { weights, ...model } = a.model;
    expect(model).toEqual({
      name: "Qwen/Qwen2.5-72B-Instruct",
      servedModelName: "Qwen/Qwen2.5-72B-Instruct",
      mountPath: "/models",
    });
    // Unconfirmed until read from the hub: a branch, no sizes, no hashes (config.ts says why).
    expect(weights).toMatchObject({ repo: "Qwen/Qwen2.5-72B-Instruct", confirmed: false });
    expect(weights.files).toHaveLength(44);
    expect(weights.files.some((f) => f.sha256 !== undefined)).toBe(false);
    expect(a.hardware).toEqual({
      gpus: 4,
      gpuModel: "H200",
      interconnect: "sxm",
      equivalents: [],
    });
    expect(a.image.maxBytes).toBe(20_000_000_000);
    expect(a.baseline.image).toMatch(/^vllm\/vllm-openai@sha256:[0-9a-f]{64}$/);
    expect(a.baseline.args.join(" ")).toBe(
      "--model /models --served-model-name Qwen/Qwen2.5-72B-Instruct --tensor-parallel-size 4 --port 8000",
    );
    expect(a.gate).toEqual({
      tieGap: 0.1,
      logprobs: { tolerance: 0.2, maxOffShare: 0.05, maxError: 1, maxMean: 0.1 },
      teacher: { maxRank: 10, hardFloor: -13, softFloor: -8, softCount: 5, eosRatio: 10 },
      control: { notFineShare: 0.01, nllExcess: 0.01, minTokens: 200 },
    });
    expect(a.king).toEqual({ marginM0: 0.01, decayMs: 7 * 24 * 3600 * 1000, burnUid: 0 });
    expect(a.startupTimeoutMs).toBeGreaterThanOrEqual(10 * 60_000);
    const w = a.workload;
    expect(w.warmup.requests).toBe(16);
    expect(w.gate).toMatchObject({ requests: 32, concurrency: 8, maxTokens: 128, topLogprobs: 5 });
    expect(w.trials).toBe(5);
    const ttft = w.phases.find((p) => p.name === w.ttftPhase);
    const tps = w.phases.find((p) => p.name === w.tpsPhase);
    expect(ttft).toMatchObject({ scheduling: { streams: 1 }, requests: 32, maxTokens: 16 });
    expect(tps).toMatchObject({
      scheduling: { streams: 256 },
      requests: 512,
      maxTokens: 256,
      fixedLength: true,
    });
    expect(promptsPerServer(a)).toBe(16 + 32 + 5 * (32 + 512));
  });

  it("local has the same phases and rules with small counts and fewer trials", () => {
    const v1 = loadArena("v1");
    const local = loadArena("local");
    expect(local.name).toBe("local");
    for (const key of ["model", "hardware", "image", "baseline", "gate", "king"] as const)
      expect(local[key]).toEqual(v1[key]);
    const shape = (a: Arena) =>
      a.workload.phases.map((p) => [p.name, p.scheduling.kind, p.fixedLength]);
    expect(shape(local)).toEqual(shape(v1));
    expect([local.workload.ttftPhase, local.workload.tpsPhase]).toEqual([
      v1.workload.ttftPhase,
      v1.workload.tpsPhase,
    ]);
    expect(local.workload.trials).toBe(3);
    expect(local.workload.trials % 2).toBe(1); // an odd count: the median is one trial's
    expect(local.workload.gate).toMatchObject({ requests: 8, concurrency: 8, maxTokens: 32 });
    expect(promptsPerServer(local)).toBe(4 + 8 + 3 * (12 + 96));
    expect(promptsPerServer(local)).toBeLessThan(promptsPerServer(v1));
  });

  it("a file's gate block sets only what it changes; the rest are V1's thresholds", () => {
    const a = loadArena(file({ extends: "v1", gate: { teacher: { maxRank: 20 }, tieGap: 0.05 } }));
    expect(a.gate.teacher).toEqual({ ...loadArena("v1").gate.teacher, maxRank: 20 });
    expect(a.gate.tieGap).toBe(0.05);
    expect(a.gate.control).toEqual(loadArena("v1").gate.control);
  });

  it("each load returns a fresh copy: changing one arena changes no other", () => {
    const a = arenaPreset("v1");
    a.workload.trials = 99;
    expect(loadArena("v1").workload.trials).toBe(5);
  });

  it("session slots: warmup, gate, then every phase of every trial, in order", () => {
    const local = loadArena("local");
    expect(sessionSlots(local).map((s) => `${s.key}:${s.count}`)).toEqual([
      "warmup:4",
      "gate:8",
      ...[1, 2, 3].flatMap((t) => [`latency.${t}:12`, `throughput.${t}:96`]),
    ]);
  });

  it("promptsPerServer is warmup + gate + trials × Σ phase requests for any valid counts", () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 6 }),
        (warmup, gate, trials, requests) => {
          const phases = requests.map((n, i) => ({
            name: `p${i}`,
            scheduling: { kind: "concurrency", streams: 4 },
            requests: n,
            maxTokens: 8,
            fixedLength: true,
          }));
          const a = parseArena(
            deepMerge(ARENA_PRESETS.local, {
              workload: {
                warmup: { requests: warmup },
                gate: { requests: gate },
                trials,
                phases,
                ttftPhase: "p0",
                tpsPhase: "p1",
              },
            }),
          );
          const sum = requests.reduce((x, y) => x + y, 0);
          expect(promptsPerServer(a)).toBe(warmup + gate + trials * sum);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("arena files", () => {
  it("extends a preset with a deep partial override", () => {
    const a = loadArena(
      file({
        extends: "local",
        name: "mine",
        workload: { trials: 5, gate: { maxTokens: 64 } },
        gate: { tieGap: 0.2 },
      }),
    );
    const local = loadArena("local");
    expect(a.name).toBe("mine");
    expect(a.workload.trials).toBe(5);
    expect(a.workload.gate).toEqual({ ...local.workload.gate, maxTokens: 64 });
    expect(a.gate).toEqual({ ...local.gate, tieGap: 0.2 });
    expect(a.workload.phases).toEqual(local.workload.phases);
  });

  it("replaces arrays whole", () => {
    const a = loadArena(
      file({
        extends: "v1",
        workload: {
          phases: [
            {
              name: "lat",
              scheduling: { kind: "concurrency", streams: 1 },
              requests: 2,
              maxTokens: 4,
            },
            {
              name: "thr",
              scheduling: { kind: "concurrency", streams: 8 },
              requests: 16,
              maxTokens: 4,
              fixedLength: true,
            },
          ],
          ttftPhase: "lat",
          tpsPhase: "thr",
        },
      }),
    );
    expect(a.workload.phases.map((p) => p.name)).toEqual(["lat", "thr"]);
    expect(promptsPerServer(a)).toBe(16 + 32 + 5 * 18);
  });

  it("a file without extends is a whole arena on the V1 defaults", () => {
    const a = loadArena(file({ name: "solo", workload: ARENA_PRESETS.local.workload }));
    expect(a.name).toBe("solo");
    expect(a.gate).toEqual(loadArena("v1").gate);
    expect(a.workload).toEqual(loadArena("local").workload);
  });

  it("deepMerge: override leaves win, other base leaves stay", () => {
    const leaf = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer()));
    const obj = fc.dictionary(
      fc.constantFrom("a", "b", "c"),
      fc.oneof(leaf, fc.dictionary(fc.constantFrom("x", "y"), leaf)),
    );
    fc.assert(
      fc.property(obj, obj, (base, over) => {
        const merged = deepMerge(base, over) as Record<string, unknown>;
        for (const [k, v] of Object.entries(over)) {
          const b = base[k];
          const bothObjects = [b, v].every(
            (x) => typeof x === "object" && x !== null && !Array.isArray(x),
          );
          if (!bothObjects) expect(merged[k]).toEqual(v);
          else
            expect(merged[k]).toEqual({
              ...(b as Record<string, unknown>),
              ...(v as Record<string, unknown>),
            });
        }
        for (const k of Object.keys(base)) if (!(k in over)) expect(merged[k]).toEqual(base[k]);
      }),
    );
  });
});

describe("arena errors", () => {
  it("names an unknown preset, an unreadable file and non-JSON", () => {
    expect(() => loadArena("v2")).toThrow(/unknown arena preset "v2" \(presets: v1, local/);
    expect(() => loadArena(join(dir, "missing.json"))).toThrow(
      /cannot read arena file .*missing\.json: no such file/,
    );
    expect(errorOf("{ not json")).toMatch(/is not JSON/);
    expect(errorOf("[1, 2]")).toMatch(/<root>: expected an object/);
    expect(errorOf({ extends: "v9" })).toMatch(/extends: must be one of v1, local, got "v9"/);
  });

  it("names every invalid field in one line", () => {
    const m = errorOf({
      extends: "v1",
      workload: {
        phases: [
          {
            name: "latency",
            scheduling: { kind: "concurrency", streams: 4 },
            requests: 1,
            maxTokens: 8,
          },
          {
            name: "throughput",
            scheduling: { kind: "concurrency", streams: 4 },
            requests: 0,
            maxTokens: 8,
            fixedLength: true,
          },
        ],
      },
      gate: { teacher: { maxRank: 0 } },
      king: { burnUid: -1 },
    });
    expect(m).toMatch(/^arena file .* \(extends v1\) is invalid: /);
    expect(m).toContain("workload.phases.1.requests:");
    expect(m).toContain("gate.teacher.maxRank:");
    expect(m).toContain("king.burnUid:");
  });

  it("refuses gate thresholds that contradict each other, and the removed matched-fraction rule", () => {
    expect(errorOf({ extends: "v1", gate: { teacher: { softFloor: -14 } } })).toContain(
      "gate.teacher.softFloor: must be at least hardFloor (-13)",
    );
    expect(errorOf({ extends: "v1", gate: { teacher: { eosRatio: 1.1 } } })).toContain(
      "gate.teacher.eosRatio: must exceed e^tieGap (1.1052): a near-tie with the end of sequence would fail",
    );
    expect(errorOf({ extends: "v1", gate: { logprobs: { tolerance: 2 } } })).toContain(
      "gate.logprobs.tolerance: must be at most maxError (1)",
    );
    expect(errorOf({ extends: "v1", gate: { minMatchedFraction: 0.9 } })).toContain(
      'gate: Unrecognized key: "minMatchedFraction"',
    );
  });

  it.each([
    [
      { baseline: { image: "vllm/vllm-openai:v0.14.0" } },
      "baseline.image: must be pinned by digest",
    ],
    [
      { baseline: { image: "vllm/vllm-openai@sha256:abc" } },
      "baseline.image: must be pinned by digest",
    ],
    [{ surprise: 1 }, 'Unrecognized key: "surprise"'],
    [{ workload: { gate: { topLogprobs: 0 } } }, "workload.gate.topLogprobs:"],
    [{ workload: { ttftPhase: "nope" } }, 'workload.ttftPhase: no phase named "nope"'],
    [{ workload: { tpsPhase: "latency" } }, "workload.tpsPhase: must name a different phase"],
    [{ image: { maxBytes: -5 } }, "image.maxBytes:"],
    [{ model: { mountPath: "models" } }, "model.mountPath: must be an absolute path"],
    [{ startupTimeoutMs: 0 }, "startupTimeoutMs:"],
    [{ name: "" }, "name:"],
    [
      { hardware: { gpus: 8 } },
      'baseline.args: --tensor-parallel-size must be "8" (hardware.gpus), got "4"',
    ],
    [
      { model: { servedModelName: "qwen" } },
      'baseline.args: --served-model-name must be "qwen" (model.servedModelName)',
    ],
    [{ baseline: { args: ["--port=9000"] } }, 'baseline.args: --model must be "/models"'],
    [
      { baseline: { args: ["--port=9000"] } },
      '--port must be "8000" (the container port), got "9000"',
    ],
  ])("refuses %j", (override, message) => {
    expect(errorOf({ extends: "v1", ...override })).toContain(message);
  });

  it("refuses a throughput phase without fixed lengths, duplicate and reserved phase names", () => {
    const phase = (name: string, fixedLength: boolean) => ({
      name,
      scheduling: { kind: "concurrency", streams: 2 },
      requests: 2,
      maxTokens: 4,
      fixedLength,
    });
    expect(
      errorOf({
        extends: "local",
        workload: { phases: [phase("latency", false), phase("throughput", false)] },
      }),
    ).toContain('workload.tpsPhase: phase "throughput" must have fixed-length outputs');
    const m = errorOf({
      extends: "local",
      workload: {
        phases: [
          phase("latency", false),
          phase("throughput", true),
          phase("latency", true),
          phase("gate", true),
        ],
      },
    });
    expect(m).toContain('workload.phases.2.name: phase name "latency" is used twice');
    expect(m).toContain('workload.phases.3.name: phase name "gate" is reserved');
  });

  it("a __proto__ key in a file is an unknown field, not a prototype", () => {
    expect(errorOf('{"extends":"v1","gate":{"__proto__":{"tieGap":5}}}')).toContain(
      'Unrecognized key: "__proto__"',
    );
  });
});
