// A real eval session over loopback: reference-server processes as baseline and candidates, the
// real harness, gate and score, and the report checked field by field and rescored offline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPromptPool } from "../../src/arena/pool.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { type EvalReport, EvalReportSchema } from "../../src/eval/report.js";
import { rescore } from "../../src/eval/rescore.js";
import { type NamedServer, runEvalSession } from "../../src/eval/session.js";
import { type SpawnedReferenceServer, spawnReferenceServer } from "../../src/reference/spawn.js";
import { localRuntime } from "../../src/runtime/local.js";
import { tinyArena } from "../helpers/arenas.js";
import { closedPort } from "../helpers/ports.js";
import { type Proxy as BreakingProxy, startBreakingProxy } from "../helpers/proxy.js";

const ref = (profile: string, variant: "none" | "ties" | "diverge" = "none") =>
  ({ kind: "reference", profile, variant }) as const;

function session(baseline: NamedServer, candidates: NamedServer[], seed = "0x5eed") {
  return runEvalSession({
    arena: tinyArena(),
    seed,
    baseline,
    candidates,
    runtime: localRuntime,
    vocab: loadVocabulary(),
    pool: loadPromptPool(),
  });
}

describe("eval session", () => {
  let upstream: SpawnedReferenceServer;
  let fakeLogprobs: BreakingProxy;
  let report: EvalReport;

  beforeAll(async () => {
    upstream = await spawnReferenceServer({ profile: "instant" });
    // Correct tokens, made-up logprobs: every logprob (chosen and top list) reported as 0.
    fakeLogprobs = await startBreakingProxy(upstream.url, {
      chunk: (c) => {
        const choices = c.choices as { logprobs?: { content?: Record<string, unknown>[] } }[];
        for (const t of choices?.[0]?.logprobs?.content ?? []) {
          t.logprob = 0;
          for (const x of t.top_logprobs as Record<string, unknown>[]) x.logprob = 0;
        }
        return c;
      },
    });
    report = await session({ name: "baseline", spec: ref("instant") }, [
      { name: "same", spec: ref("instant") },
      { name: "ties", spec: ref("instant", "ties") },
      { name: "wrong", spec: ref("instant", "diverge") },
      { name: "fake-logprobs", spec: { kind: "url", url: fakeLogprobs.url } },
      { name: "dead", spec: { kind: "url", url: `http://127.0.0.1:${await closedPort()}` } },
    ]);
  }, 180_000);

  afterAll(async () => {
    await fakeLogprobs?.close();
    await upstream?.close();
  });

  const cand = (name: string) => {
    const c = report.candidates.find((x) => x.name === name);
    if (!c) throw new Error(`no candidate ${name}`);
    return c;
  };

  it("writes a report that parses with its own schema", () => {
    expect(() => EvalReportSchema.parse(JSON.parse(JSON.stringify(report)))).not.toThrow();
    expect(report.status).toBe("ok");
    expect(report.baseline.status).toBe("ok");
    expect(report.baseline.measured?.ttftMs).toBeGreaterThan(0);
  });

  it("passes a server identical to the baseline, with every token matched", () => {
    const c = cand("same");
    expect(c.failure).toBeNull();
    expect(c.gate.passed).toBe(true);
    expect(c.gate.matchedFraction).toBe(1);
    expect(c.score).toBeGreaterThanOrEqual(0);
  });

  it("tolerates divergences at the reference's near-ties, but not unchecked output", () => {
    // The ties variant flips every near-tie (~3 % of tokens): each flip is tolerated, yet the rest
    // of that request goes unchecked, so the matched fraction falls below the arena's minimum. That
    // is the same shape as a server that escapes at the first tie and then generates cheaply.
    const c = cand("ties");
    const verdicts = c.gate.verdicts;
    expect(c.gate.toleratedDivergences).toBeGreaterThan(0);
    expect(verdicts.filter((v) => v.status === "fail")).toEqual([]);
    expect(c.gate.passed).toBe(false);
    expect(c.gate.reasons.join(" ")).toMatch(/matched tokens are .* below the required/);
  });

  it("fails a subtly different model at its first real divergence and stops there", () => {
    const c = cand("wrong");
    expect(c.score).toBe(0);
    expect(c.gate.passed).toBe(false);
    expect(c.failure?.kind).toBe("gate");
    expect(c.failure?.message).toMatch(/divergence/);
    // Early exit: the slot where it diverged is the last one it was sent.
    expect(c.slots.at(-1)?.key).toBe(c.failure?.stage);
    expect(c.slots.length).toBeLessThan(report.baseline.slots.length);
  });

  it("fails correct tokens with made-up logprobs", () => {
    const c = cand("fake-logprobs");
    expect(c.score).toBe(0);
    expect(c.failure?.kind).toBe("gate");
    expect(c.failure?.message).toMatch(/logprob_error/);
  });

  it("fails a server that never becomes healthy, with the reason", () => {
    const c = cand("dead");
    expect(c.score).toBe(0);
    expect(c.gate.passed).toBe(false);
    expect(c.failure?.kind).toBe("health");
    expect(c.requests).toHaveLength(0);
  });

  it("sends no prompt twice to a server, and every server the same prompts", () => {
    const ids = report.baseline.requests.map((r) => r.promptId);
    expect(new Set(ids).size).toBe(ids.length);
    const texts = Object.keys(report.baseline.outputs);
    expect(texts.length).toBe(ids.length);
    expect(cand("same").requests.map((r) => r.promptId)).toEqual(ids);
  });

  it("rescoring the report reproduces every score exactly, and catches a tampered one", () => {
    const copy = EvalReportSchema.parse(JSON.parse(JSON.stringify(report)));
    expect(rescore(copy).reproduced).toBe(true);
    const same = copy.candidates.find((c) => c.name === "same");
    if (!same) throw new Error("no candidate same");
    same.score += 0.01;
    const r = rescore(copy);
    expect(r.reproduced).toBe(false);
    expect(r.candidates.find((c) => c.name === "same")?.differences[0]).toMatch(/^score: stored/);
  });

  it("stops at once when cancelled, and says so", async () => {
    const controller = new AbortController();
    const r = await runEvalSession({
      arena: tinyArena(),
      seed: "0xc",
      baseline: { name: "baseline", spec: ref("instant") },
      candidates: [{ name: "x", spec: ref("instant") }],
      runtime: localRuntime,
      vocab: loadVocabulary(),
      pool: loadPromptPool(),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "slot-end" && e.slot === "gate") controller.abort();
      },
    });
    expect(r.status).toBe("cancelled");
    expect(r.baseline.failure).toMatchObject({ stage: "gate", kind: "cancelled" });
    expect(r.baseline.slots.map((s) => s.key)).toEqual(["warmup", "gate"]);
    expect(r.candidates[0]?.failure?.kind).toBe("not_run");
  }, 60_000);

  it("does not run candidates when the baseline fails, and says why", async () => {
    const r = await session(
      { name: "baseline", spec: { kind: "url", url: `http://127.0.0.1:${await closedPort()}` } },
      [{ name: "x", spec: ref("instant") }],
    );
    expect(r.status).toBe("baseline_failed");
    expect(r.baseline.failure?.kind).toBe("health");
    expect(r.candidates[0]?.failure?.kind).toBe("not_run");
    expect(r.candidates[0]?.score).toBe(0);
  }, 60_000);
});
