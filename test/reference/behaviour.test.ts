// Engine variants against the model itself, with no server: every honest variant emits only tokens
// the model would choose (its top-1, or the runner-up at a near-tie) and reports values close to the
// model's; every negative does the one thing it is named for; all of them are deterministic given
// the variant seed and emit contract-valid tokens (one vocabulary token each, text that
// re-tokenizes the same).
import { describe, expect, it } from "vitest";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import {
  BEHAVIOUR_NAMES,
  type BehaviourName,
  createBehaviour,
  FORK_POSITIONS,
} from "../../src/reference/behaviour.js";
import { type EmittedToken, Generation } from "../../src/reference/generation.js";
import { createModel, TIE_GAP, TOP_K } from "../../src/reference/model.js";
import { PromptEncoder, renderChatPrompt } from "../../src/reference/prompt.js";
import { modelOf, SERVER_VARIANTS, VARIANT_INFO } from "../../src/reference/variants.js";

const vocab = loadVocabulary();
const model = createModel({ vocab });
const encoder = new PromptEncoder(vocab);
const prompt = (i: number) =>
  encoder.encode(
    renderChatPrompt([{ role: "user", content: `Question ${i}: what keeps a lighthouse lit?` }]),
  );

interface Run {
  tokens: EmittedToken[];
  finish: string | null;
  prompt: number[];
  ignoreEos: boolean;
}

function run(
  name: BehaviourName | null,
  p: number,
  { seed = 0, maxTokens = 256, ignoreEos = false } = {},
): Run {
  const ids = prompt(p);
  const engine = name === null ? null : createBehaviour(name, model, seed);
  const gen = new Generation(
    model,
    ids,
    { maxTokens, minTokens: 0, ignoreEos, temperature: 0, topP: 1, seed: null, stop: [] },
    engine,
  );
  const tokens: EmittedToken[] = [];
  while (!gen.finished) {
    gen.step();
    tokens.push(...gen.released);
    gen.released.length = 0;
  }
  return { tokens, finish: gen.finishReason, prompt: ids, ignoreEos };
}

/** The model's own view of each emitted token (as a teacher with decode numerics sees it). */
interface Judged {
  logprob: number;
  rank: number;
  top: number;
  /** The model's runner-up gap at this position. */
  gap: number;
  /** Reported logprob − the model's. */
  error: number;
}

interface End {
  eosRank: number;
  /** The model's top-1 − its EOS logprob, and top-1 − top-2, where the run ended. */
  eosGap: number;
  gap: number;
}

/** `r`'s tokens as the model scores them (with EOS masked where the run had it masked: ignore_eos
 *  renormalizes the rest); `report` sees each reported list with the model's
 *  logprob of every token in it. */
function judge(
  r: Run,
  report?: (t: EmittedToken, truth: (id: number) => number) => void,
): { tokens: Judged[]; end: End } {
  const state = model.start(r.prompt);
  const tokens: Judged[] = [];
  for (const t of r.tokens) {
    const d = model.next(state, !r.ignoreEos);
    const s = model.score(state, d, t.id);
    const top = d.logprobs[0] as number;
    tokens.push({
      ...s,
      top,
      gap: top - (d.logprobs[1] as number),
      error: (t.dist.logprobs[t.rank] as number) - s.logprob,
    });
    report?.(t, (id) => model.score(state, d, id).logprob);
    model.advanceInPlace(state, t.id);
  }
  const d = model.next(state, true);
  const eos = model.score(state, d, model.eosId);
  const top = d.logprobs[0] as number;
  return {
    tokens,
    end: { eosRank: eos.rank, eosGap: top - eos.logprob, gap: top - (d.logprobs[1] as number) },
  };
}

/** A token the model itself could choose: its top-1, or any token within the tie gap of it. */
const fine = (j: Judged) => j.top - j.logprob < TIE_GAP;

function firstDifference(a: Run, b: Run): number {
  const n = Math.min(a.tokens.length, b.tokens.length);
  for (let i = 0; i < n; i++) if (a.tokens[i]?.id !== b.tokens[i]?.id) return i;
  return a.tokens.length === b.tokens.length ? -1 : n;
}

const PROMPTS = 30;

describe("engine variants", () => {
  it("every name is documented, the honest ones apart from the negatives", () => {
    for (const v of SERVER_VARIANTS) expect(VARIANT_INFO[v].what.length).toBeGreaterThan(10);
    const honest = SERVER_VARIANTS.filter((v) => VARIANT_INFO[v].honest);
    expect(honest.join(" ")).toBe(
      "none ties fork fork-rare exact-ties noise-small noise-medium noise-large",
    );
    expect(modelOf("other-model", 7)).toEqual({ variant: "none", seed: 8 });
    expect(modelOf("diverge", 7)).toEqual({ variant: "diverge", seed: 7 });
  });

  it("fork: forks at the first near-tie at or after 3, 36, 45, 103, 211, then is greedy", () => {
    let forks = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const r = run("fork", p, { ignoreEos: true });
      const judged = judge(r).tokens;
      // Where it departs from the model's top-1: exactly the expected positions.
      const departed = judged.flatMap((j, i) => (j.rank === 1 ? [] : [i]));
      const expected: number[] = [];
      let next = 0;
      judged.forEach((j, i) => {
        if (
          next < FORK_POSITIONS.length &&
          i >= (FORK_POSITIONS[next] as number) &&
          j.gap < TIE_GAP
        ) {
          // Exact ties: the runner-up has the same value, its list position is 2.
          expected.push(i);
          while (next < FORK_POSITIONS.length && (FORK_POSITIONS[next] as number) <= i) next++;
        }
      });
      expect(departed).toEqual(expected);
      for (const i of departed) expect(judged[i]?.rank).toBe(2);
      forks += departed.length;
      expect(judged.every(fine)).toBe(true);
    }
    expect(forks).toBeGreaterThan(PROMPTS);
  });

  it("fork with another seed moves its targets by 0-7 tokens", () => {
    const moved = Array.from({ length: PROMPTS }, (_, p) => {
      const a = run("fork", p, { ignoreEos: true, seed: 0 });
      const b = run("fork", p, { ignoreEos: true, seed: 5 });
      return firstDifference(a, b) !== -1;
    });
    expect(moved.some(Boolean)).toBe(true);
  });

  it("fork-rare forks in about 1% of requests, at a near-tie, deterministically per seed", () => {
    let forked = 0;
    const runs = 600;
    for (let s = 0; s < runs; s++) {
      const r = run("fork-rare", s % 20, { seed: s, maxTokens: 96 });
      const ref = run(null, s % 20, { maxTokens: 96 });
      const d = firstDifference(r, ref);
      if (d === -1) continue;
      forked++;
      expect(judge(r).tokens[d]?.gap).toBeLessThan(TIE_GAP);
      expect(run("fork-rare", s % 20, { seed: s, maxTokens: 96 }).tokens.map((t) => t.id)).toEqual(
        r.tokens.map((t) => t.id),
      );
    }
    // ~1 % of requests decide to fork; most of those meet a near-tie within 96 tokens.
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(20);
  });

  it("exact-ties: the model has bit-identical top-2 logprobs, and the variant takes the other", () => {
    let exact = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const r = run("exact-ties", p, { ignoreEos: true });
      for (const [i, j] of judge(r).tokens.entries()) {
        if (j.rank === 1) continue;
        expect(j.gap).toBe(0);
        expect(j.logprob).toBe(j.top);
        expect(r.tokens[i]?.dist.logprobs[0]).toBe(r.tokens[i]?.dist.logprobs[1]);
        exact++;
      }
    }
    expect(exact).toBeGreaterThan(5);
  });

  it.each([
    ["noise-small", 3.4e-3, 0, 3.4e-3],
    ["noise-medium", 4.7e-2, 0.015, 0.035],
    ["noise-large", 0.32, 0.035, 0.055],
  ] as const)("%s: values off by at most %s, only near-tie forks", (name, max, meanLo, meanHi) => {
    const errors: number[] = [];
    for (let p = 0; p < PROMPTS; p++) {
      const r = run(name, p, { ignoreEos: true });
      let worstListed = 0;
      let unsorted = 0;
      const { tokens } = judge(r, (t, truth) => {
        // Every listed value too, and the list is in its own order, its argmax first.
        for (let k = 0; k < TOP_K; k++) {
          const lp = t.dist.logprobs[k] as number;
          worstListed = Math.max(worstListed, Math.abs(lp - truth(t.dist.ids[k] as number)));
          if (k > 0 && lp > (t.dist.logprobs[k - 1] as number)) unsorted++;
        }
      });
      expect(worstListed).toBeLessThanOrEqual(max + 1e-5);
      expect(unsorted).toBe(0);
      for (const j of tokens) {
        expect(fine(j)).toBe(true);
        errors.push(Math.abs(j.error));
      }
    }
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    expect(mean).toBeGreaterThanOrEqual(meanLo);
    expect(mean).toBeLessThanOrEqual(meanHi);
    expect(Math.max(...errors)).toBeLessThanOrEqual(max + 1e-5);
  });

  it("flip and broken-kernel leave the model's argmax at about 3% and 4% of positions", () => {
    for (const [name, lo, hi] of [
      ["flip", 0.015, 0.045],
      ["broken-kernel", 0.025, 0.06],
    ] as const) {
      let positions = 0;
      let notFine = 0;
      for (let p = 0; p < PROMPTS; p++) {
        for (const j of judge(run(name, p, { ignoreEos: true })).tokens) {
          positions++;
          if (!fine(j)) notFine++;
        }
      }
      expect(notFine / positions).toBeGreaterThan(lo);
      expect(notFine / positions).toBeLessThan(hi);
    }
  });

  it("junk-after-tie is the model up to its first near-tie, forks there, then emits junk", () => {
    let junk = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const r = run("junk-after-tie", p, { ignoreEos: true });
      const judged = judge(r).tokens;
      const fork = judged.findIndex((j) => j.rank !== 1);
      if (fork === -1) continue;
      expect(judged.slice(0, fork).every((j) => j.gap >= TIE_GAP)).toBe(true);
      expect(judged[fork]?.gap).toBeLessThan(TIE_GAP);
      const after = judged.slice(fork + 1);
      // Words claimed as top-1 that the model puts deep in its tail.
      expect(after.filter((j) => j.logprob <= -13).length).toBeGreaterThan(after.length * 0.9);
      for (const t of r.tokens.slice(fork + 1)) expect(t.rank).toBe(0);
      junk++;
    }
    expect(junk).toBeGreaterThan(PROMPTS / 2);
  });

  it("hard-floor, soft-floor and rank-11 plant their tokens, after a near-tie fork when one comes first", () => {
    let hidden = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const hard = judge(run("hard-floor", p, { ignoreEos: true })).tokens;
      expect(hard.filter((j) => j.logprob <= -13)).toHaveLength(1);
      const soft = judge(run("soft-floor", p, { ignoreEos: true })).tokens;
      expect(soft.filter((j) => j.logprob <= -8 && j.logprob > -13)).toHaveLength(5);
      expect(soft.filter((j) => j.logprob <= -13)).toHaveLength(0);
      const rank = judge(run("rank-11", p, { ignoreEos: true })).tokens;
      // Rank 11, or 12 where the end of sequence is the 11th (it is never emitted as a token).
      const planted = rank.filter((j) => j.rank >= 11);
      expect(planted).toHaveLength(1);
      expect(planted[0]?.rank).toBeLessThanOrEqual(12);
      // Before the planted token, only near-tie departures.
      for (const judged of [hard, soft, rank]) {
        const bad = judged.findIndex((j) => !fine(j));
        expect(judged.slice(0, bad).every(fine)).toBe(true);
        if (judged.slice(0, bad).some((j) => j.rank !== 1)) hidden++;
      }
    }
    expect(hidden).toBeGreaterThan(0);
  });

  it("eos-skip goes on where the model ends by a wide margin; eos-early stops where it does not", () => {
    let skipped = 0;
    let early = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const ref = run(null, p, { maxTokens: 400 });
      const skip = run("eos-skip", p, { maxTokens: 400 });
      const d = firstDifference(ref, skip);
      const end = judge(ref).end;
      if (ref.finish === "stop" && end.gap >= TIE_GAP) {
        // The model ends here by ≥ 2.5 nats (more than ten times as likely as anything else).
        expect(end.eosRank).toBe(1);
        expect(end.gap).toBeGreaterThanOrEqual(2.5);
        expect(d).toBe(ref.tokens.length);
        expect(skip.tokens.length).toBeGreaterThan(ref.tokens.length);
        skipped++;
      }
      const stop = run("eos-early", p, { maxTokens: 400 });
      expect(stop.finish).toBe("stop");
      if (stop.tokens.length < ref.tokens.length) {
        expect(stop.tokens.map((t) => t.id)).toEqual(
          ref.tokens.slice(0, stop.tokens.length).map((t) => t.id),
        );
        expect(judge(stop).end.eosGap).toBeGreaterThan(TIE_GAP);
        early++;
      }
    }
    expect(skipped).toBeGreaterThan(PROMPTS / 2);
    expect(early).toBeGreaterThan(PROMPTS / 2);
  });

  it("respects ignore_eos: eos-early runs to max_tokens when the request asks so", () => {
    expect(run("eos-early", 1, { maxTokens: 80, ignoreEos: true }).tokens).toHaveLength(80);
  });

  it("every variant is deterministic per seed and emits contract-valid tokens", () => {
    for (const name of BEHAVIOUR_NAMES) {
      let retokenized = 0;
      for (let p = 0; p < 6; p++) {
        const a = run(name, p, { seed: 3, maxTokens: 120 });
        const b = run(name, p, { seed: 3, maxTokens: 120 });
        expect(b.tokens.map((t) => t.id)).toEqual(a.tokens.map((t) => t.id));
        expect(b.tokens.map((t) => t.dist.logprobText[t.rank])).toEqual(
          a.tokens.map((t) => t.dist.logprobText[t.rank]),
        );
        for (const t of a.tokens) {
          expect(t.dist.ids[t.rank]).toBe(t.id);
          expect(t.text).toBe(vocab.text(t.id));
          expect(String(t.dist.logprobs[t.rank])).toBe(t.dist.logprobText[t.rank]);
          expect(new Set(Array.from(t.dist.ids).slice(0, TOP_K)).size).toBe(TOP_K);
        }
        const ids = a.tokens.map((t) => t.id);
        if (
          JSON.stringify(vocab.encode(ids.map((id) => vocab.text(id)).join(""))) ===
          JSON.stringify(ids)
        )
          retokenized++;
      }
      expect(retokenized, name).toBeGreaterThanOrEqual(5);
    }
  });
});
