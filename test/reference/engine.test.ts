import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine, type EngineJob } from "../../src/reference/engine.js";
import {
  PROFILE_NAMES,
  PROFILES,
  ProfileError,
  resolveProfile,
  type SpeedProfile,
} from "../../src/reference/profile.js";

const TIMED: SpeedProfile = {
  prefillBaseMs: 0,
  prefillMsPerToken: 0,
  decodeStepMs: 5,
  decodePerSeqMs: 0,
  maxBatch: 2,
  continuousBatching: true,
};

interface FakeJob extends EngineJob {
  name: string;
  left: number;
  done: Promise<void>;
}

/** A job that takes `tokens` steps and logs each step as `${step}:${name}`. */
function job(name: string, tokens: number, log: string[], engine: Engine): FakeJob {
  let resolve = () => {};
  const j: FakeJob = {
    name,
    left: tokens,
    promptTokens: 10,
    blocked: false,
    done: new Promise<void>((r) => {
      resolve = r;
    }),
    step() {
      log.push(`${engine.stats().steps}:${name}`);
      j.left--;
      if (j.left === 0) resolve();
      return j.left === 0;
    },
  };
  return j;
}

const stepsOf = (log: string[], name: string) =>
  log.filter((l) => l.endsWith(`:${name}`)).map((l) => Number(l.split(":")[0]));

describe("engine", () => {
  it("continuous batching: a queued sequence joins as soon as a slot frees", async () => {
    const engine = new Engine(TIMED);
    const log: string[] = [];
    const jobs = [job("a", 2, log, engine), job("b", 4, log, engine), job("c", 2, log, engine)];
    for (const j of jobs) engine.submit(j);
    expect(engine.stats()).toMatchObject({ active: 0, queued: 3 });
    await Promise.all(jobs.map((j) => j.done));
    expect(stepsOf(log, "a")).toEqual([1, 2]);
    expect(stepsOf(log, "b")).toEqual([1, 2, 3, 4]);
    expect(stepsOf(log, "c")).toEqual([3, 4]);
    engine.close();
  });

  it("static batching: queued sequences wait until the whole batch has drained", async () => {
    const engine = new Engine({ ...TIMED, continuousBatching: false });
    const log: string[] = [];
    const jobs = [job("a", 2, log, engine), job("b", 4, log, engine), job("c", 2, log, engine)];
    for (const j of jobs) engine.submit(j);
    await Promise.all(jobs.map((j) => j.done));
    expect(stepsOf(log, "c")).toEqual([5, 6]);
    engine.close();
  });

  it("paces steps from the profile without accumulating timer lateness", async () => {
    const engine = new Engine({ ...TIMED, decodeStepMs: 20, maxBatch: 8 });
    const log: string[] = [];
    const j = job("a", 15, log, engine);
    const t0 = performance.now();
    engine.submit(j);
    await j.done;
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(15 * 20 - 5);
    expect(ms).toBeLessThan(15 * 20 + 400); // generous: a loaded machine delays timers
    engine.close();
  });

  it("drops cancelled sequences, queued or active, and skips blocked ones until woken", async () => {
    const engine = new Engine({ ...TIMED, maxBatch: 1 });
    const log: string[] = [];
    const a = job("a", 1000, log, engine);
    const b = job("b", 1000, log, engine);
    const c = job("c", 3, log, engine);
    engine.submit(a);
    engine.submit(b);
    engine.submit(c);
    await new Promise((r) => setTimeout(r, 30));
    engine.cancel(b); // queued
    engine.cancel(a); // active
    await c.done;
    expect(stepsOf(log, "b")).toEqual([]);
    expect(engine.stats()).toMatchObject({ active: 0, queued: 0 });

    const d = job("d", 3, log, engine);
    d.blocked = true;
    engine.submit(d);
    await new Promise((r) => setTimeout(r, 30));
    expect(stepsOf(log, "d")).toEqual([]);
    d.blocked = false;
    engine.wake();
    await d.done;
    engine.close();
  });

  it("serves 1000 sequences at once with the instant profile", async () => {
    const engine = new Engine(PROFILES.instant);
    const log: string[] = [];
    const jobs = Array.from({ length: 1000 }, (_, i) => job(`j${i}`, 50, log, engine));
    for (const j of jobs) engine.submit(j);
    await Promise.all(jobs.map((j) => j.done));
    expect(engine.stats()).toMatchObject({ active: 0, queued: 0, tokens: 50_000 });
    engine.close();
  });
});

describe("speed profiles", () => {
  /** Modelled TTFT and tokens/s of `n` streams decoding together, prompts of 200 tokens. */
  const model = (p: SpeedProfile, n: number) => {
    const step = p.decodeStepMs + p.decodePerSeqMs * n;
    return {
      ttft: step / 2 + p.prefillBaseMs + 200 * p.prefillMsPerToken + step,
      tps: (1000 * n) / step,
    };
  };

  it("named profiles are valid, and fast beats baseline by ≥30% on TTFT and tokens/s", () => {
    for (const name of PROFILE_NAMES) expect(resolveProfile(name)).toBe(PROFILES[name]);
    for (const n of [16, 32, 64]) {
      const b = model(PROFILES.baseline, n);
      const f = model(PROFILES.fast, n);
      const s = model(PROFILES.slow, n);
      expect(f.ttft).toBeLessThan(0.7 * b.ttft);
      expect(f.tps).toBeGreaterThan(1.3 * b.tps);
      expect(s.ttft).toBeGreaterThan(b.ttft);
      expect(s.tps).toBeLessThan(b.tps);
    }
  });

  it("reads a profile file and names the bad field of an invalid one in one line", () => {
    const dir = tmpdir();
    const good = join(dir, `cacheon-profile-${process.pid}-good.json`);
    writeFileSync(good, JSON.stringify({ ...PROFILES.baseline, maxBatch: 7 }));
    expect(resolveProfile(good).maxBatch).toBe(7);

    const cases: [unknown, RegExp][] = [
      [{ ...PROFILES.baseline, decodeStepMs: "fast" }, /field decodeStepMs: .*number/],
      [{ ...PROFILES.baseline, maxBatch: 0 }, /field maxBatch: /],
      [{ ...PROFILES.baseline, turbo: true }, /unknown field "turbo"/],
      [{ decodeStepMs: 1 }, /field prefillBaseMs: /],
    ];
    for (const [i, [value, message]] of cases.entries()) {
      const file = join(dir, `cacheon-profile-${process.pid}-${i}.json`);
      writeFileSync(file, JSON.stringify(value));
      expect(() => resolveProfile(file)).toThrow(ProfileError);
      expect(() => resolveProfile(file)).toThrow(message);
    }
    const notJson = join(dir, `cacheon-profile-${process.pid}-bad.json`);
    writeFileSync(notJson, "{ nope");
    expect(() => resolveProfile(notJson)).toThrow(/is not JSON/);
    expect(() => resolveProfile("warp-speed")).toThrow(
      /neither a named profile \(baseline, fast, slow, instant\) nor a readable file/,
    );
  });
});
