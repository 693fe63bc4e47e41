// A real eval session over loopback: reference-server processes as baseline, candidates and
// teacher, the real harness, gate and score, and the report checked field by field and rescored
// offline. The reference server's engine variants stand in for real engines: an honest one that
// forks at near-ties and follows the model's greedy path after (as speculative decoding does), one
// that emits junk after its first near-tie, a different model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPromptPool } from "../../src/arena/pool.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { type EvalReport, EvalReportSchema } from "../../src/eval/report.js";
import { rescore } from "../../src/eval/rescore.js";
import { type NamedServer, runEvalSession } from "../../src/eval/session.js";
import { type SpawnedReferenceServer, spawnReferenceServer } from "../../src/reference/spawn.js";
import type { ServerVariant } from "../../src/reference/variants.js";
import { localRuntime } from "../../src/runtime/local.js";
import { tinyArena } from "../helpers/arenas.js";
import { closedPort } from "../helpers/ports.js";
import { type Proxy as BreakingProxy, startBreakingProxy } from "../helpers/proxy.js";

const ref = (profile: string, variant: ServerVariant = "none") =>
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

/** A proxy that keeps every chat request body it forwards. */
async function recordingProxy(upstream: string) {
  const bodies: Record<string, unknown>[] = [];
  const proxy = await startBreakingProxy(upstream, {
    request: (body) => {
      if (body.stream === true) bodies.push(structuredClone(body));
    },
  });
  return { proxy, bodies };
}

describe("eval session", () => {
  let upstream: SpawnedReferenceServer;
  let fakeLogprobs: BreakingProxy;
  let baseline: Awaited<ReturnType<typeof recordingProxy>>;
  let same: Awaited<ReturnType<typeof recordingProxy>>;
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
    // The baseline and one candidate through recording proxies (the baseline's is the teacher's
    // too: its spec is started once more for the teacher pass).
    baseline = await recordingProxy(upstream.url);
    same = await recordingProxy(upstream.url);
    report = await session({ name: "baseline", spec: { kind: "url", url: baseline.proxy.url } }, [
      { name: "same", spec: { kind: "url", url: same.proxy.url } },
      { name: "fork", spec: ref("instant", "fork") },
      { name: "junk", spec: ref("instant", "junk-after-tie") },
      { name: "wrong", spec: ref("instant", "diverge") },
      { name: "fake-logprobs", spec: { kind: "url", url: fakeLogprobs.url } },
      { name: "dead", spec: { kind: "url", url: `http://127.0.0.1:${await closedPort()}` } },
    ]);
  }, 300_000);

  afterAll(async () => {
    await fakeLogprobs?.close();
    await baseline?.proxy.close();
    await same?.proxy.close();
    await upstream?.close();
  });

  const cand = (name: string) => {
    const c = report.candidates.find((x) => x.name === name);
    if (!c) throw new Error(`no candidate ${name}`);
    return c;
  };

  it("writes a report that parses with its own schema, with the teacher pass and its time", () => {
    expect(() => EvalReportSchema.parse(JSON.parse(JSON.stringify(report)))).not.toThrow();
    expect(report.status).toBe("ok");
    expect(report.baseline.status).toBe("ok");
    expect(report.baseline.measured?.ttftMs).toBeGreaterThan(0);
    const t = report.teacher;
    expect(t.status).toBe("ok");
    expect(t.failure).toBeNull();
    // Every forked request of a candidate that ran all its slots, each with its control.
    const forked = report.candidates
      .filter((c) => c.slots.length === report.baseline.slots.length)
      .flatMap((c) => c.gate.verdicts.filter((v) => v.fork));
    expect(t.requests).toBe(forked.length);
    expect(t.sequences).toBeGreaterThanOrEqual(t.requests);
    expect(t.scoredTokens).toBeGreaterThan(0);
    expect(report.timing.teacherMs).toBe(t.timing.wallMs);
    expect(report.timing.teacherShare).toBeGreaterThan(0);
    expect(report.timing.teacherShare).toBeLessThan(1);
  });

  it("passes a server identical to the baseline, with every token matched and nothing to teach", () => {
    const c = cand("same");
    expect(c.failure).toBeNull();
    expect(c.gate.passed).toBe(true);
    expect(c.gate.matchedFraction).toBe(1);
    expect(c.gate.verdicts.every((v) => v.status === "match")).toBe(true);
    expect(c.score).toBeGreaterThanOrEqual(0);
  });

  it("passes an honest engine that forks at near-ties, thanks to the teacher", () => {
    const c = cand("fork");
    const forked = c.gate.verdicts.filter((v) => v.fork);
    expect(forked.length).toBeGreaterThan(0);
    // Every fork was judged token by token from its first difference on: nothing unchecked.
    for (const v of forked) {
      expect(v.status).toBe("tolerated");
      const fork = v.fork as NonNullable<typeof v.fork>;
      expect(v.teacher?.tokens).toHaveLength(fork.candidateTokens - fork.position);
      expect(v.teacher?.tokens.every((t) => t.verdict === "fine" || t.verdict === "off")).toBe(
        true,
      );
    }
    // Timed phases ask for no top lists: there the teacher alone judged the first difference.
    expect(forked.some((v) => v.fork?.judgedBy === "teacher")).toBe(true);
    expect(c.gate.verdicts.filter((v) => v.status === "fail")).toEqual([]);
    expect(c.gate.counts.tolerated).toBe(forked.length);
    expect(c.gate.counts.forked).toBe(0);
    expect(c.gate.teacher.candidate.tokens).toBeGreaterThan(0);
    expect(c.gate.teacher.control.tokens).toBeGreaterThan(0);
    expect(c.failure).toBeNull();
    expect(c.gate.passed).toBe(true);
  });

  it("scores 0 a server that emits junk after its first near-tie, on the teacher's evidence", () => {
    const c = cand("junk");
    expect(c.score).toBe(0);
    expect(c.gate.passed).toBe(false);
    expect(c.failure?.kind).toBe("gate");
    const failed = c.gate.verdicts.filter((v) => v.status === "fail");
    expect(failed.length).toBeGreaterThan(0);
    for (const v of failed) {
      expect(v.teacher).toBeDefined();
      expect(v.reason).toMatch(/^(teacher_|divergence|eos_skip|logprob_error)/);
    }
  });

  it("fails a subtly different model", () => {
    const c = cand("wrong");
    expect(c.score).toBe(0);
    expect(c.gate.passed).toBe(false);
    expect(c.failure?.kind).toBe("gate");
    expect(c.gate.counts.failed).toBeGreaterThan(0);
  });

  it("fails correct tokens with made-up logprobs, in the gate pass, and stops there", () => {
    const c = cand("fake-logprobs");
    expect(c.score).toBe(0);
    expect(c.failure?.kind).toBe("gate");
    expect(c.failure?.message).toMatch(/logprob_error/);
    expect(c.slots.at(-1)?.key).toBe(c.failure?.stage);
    expect(c.slots.length).toBeLessThan(report.baseline.slots.length);
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

  it("sends every server the same request bodies, top lists only in the warmup and gate pass", () => {
    const key = (b: Record<string, unknown>) => JSON.stringify(b);
    expect(baseline.bodies.length).toBe(report.baseline.requests.length);
    expect(same.bodies.map(key).sort()).toEqual(baseline.bodies.map(key).sort());
    const w = report.arena.workload;
    const withLists = baseline.bodies.filter((b) => (b.top_logprobs as number) > 0);
    expect(withLists).toHaveLength(w.warmup.requests + w.gate.requests);
    for (const b of baseline.bodies) {
      expect(b.logprobs).toBe(true);
      expect(b.temperature).toBe(0);
    }
    // The timed phases: one logprobs entry per token, no top list.
    const timed = baseline.bodies.filter((b) => b.top_logprobs === 0);
    expect(timed).toHaveLength(baseline.bodies.length - withLists.length);
  });

  it("rescoring the report reproduces every verdict and score, and catches tampered evidence", () => {
    const copy = EvalReportSchema.parse(JSON.parse(JSON.stringify(report)));
    const r = rescore(copy);
    expect(r.candidates.flatMap((c) => c.differences)).toEqual([]);
    expect(r.reproduced).toBe(true);
    expect(r.candidates.find((c) => c.name === "fork")?.recomputed.passed).toBe(true);
    expect(r.candidates.find((c) => c.name === "junk")?.recomputed.passed).toBe(false);

    // A stored teacher score moved past the maximum rank: the verdict it gave is not reproduced.
    const fork = copy.candidates.find((c) => c.name === "fork");
    const v = fork?.gate.verdicts.find((x) => (x.teacher?.tokens.length ?? 0) > 0);
    const token = v?.teacher?.tokens[0];
    if (!token) throw new Error("no teacher-scored token");
    token.rank = copy.arena.gate.teacher.maxRank + 1;
    const tampered = rescore(copy);
    expect(tampered.reproduced).toBe(false);
    const diffs = tampered.candidates.find((c) => c.name === "fork")?.differences ?? [];
    expect(diffs[0]).toMatch(
      new RegExp(`^verdict ${v.id}: stored tolerated, recomputed fail \\(teacher_rank`),
    );
    expect(diffs).toContain("passed: stored true, recomputed false");
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
    expect(r.teacher.status).toBe("skipped");
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
    expect(r.teacher.status).toBe("skipped");
  }, 60_000);

  it("fails the session, not the candidate, when the teacher cannot score", async () => {
    // The baseline answers chat requests; as the teacher its prompt_logprobs calls are cut off.
    const noScoring = await startBreakingProxy(upstream.url, {
      request: (body) => {
        if (body.prompt_logprobs !== undefined) throw new Error("no scoring here");
      },
    });
    try {
      const r = await session({ name: "baseline", spec: { kind: "url", url: noScoring.url } }, [
        { name: "fork", spec: ref("instant", "fork") },
        { name: "same", spec: ref("instant") },
      ]);
      expect(r.status).toBe("teacher_failed");
      expect(r.teacher.status).toBe("failed");
      expect(r.teacher.failure?.message).toMatch(
        /^the teacher failed to score: POST \/v1\/completions/,
      );
      const fork = r.candidates.find((c) => c.name === "fork");
      expect(fork?.failure).toMatchObject({ stage: "teacher", kind: "teacher" });
      expect(fork?.score).toBe(0);
      // A candidate with nothing forked needs no teacher: its verdict is final.
      const same = r.candidates.find((c) => c.name === "same");
      expect(same?.failure).toBeNull();
      expect(same?.gate.passed).toBe(true);
    } finally {
      await noScoring.close();
    }
  }, 180_000);
});
