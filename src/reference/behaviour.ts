// Engine behaviours: how a serving engine's greedy decode departs from the synthetic model's own
// path, as real engines do for honest reasons (issue 16's published figures) or as a broken or
// cheating one would. The model stays pure (model.ts); a behaviour sits between it and the emitted
// token, per request, and decides at each output position which token to emit and which logprobs
// to report for it. Every choice is a pure function of the variant seed, the prompt and the output
// position, so a bench can replay a variant under many seeds. Each emitted token is one vocabulary
// token with its logprobs entry (the contract), and the words chosen re-tokenize as they were.
//
// Honest forks take the runner-up only at near-ties (top-2 within TIE_GAP) and then follow the
// model's greedy path from the new prefix, as a speculative decoder or another TP degree does. A
// forking engine believes its choice is its top-1, so it reports the top-2 swapped (values within
// the gap of the truth). Negatives report the model's true values for what they emit unless stated.
import {
  type Distribution,
  fmix32,
  type ModelState,
  roundLogprob,
  type SyntheticModel,
  TIE_GAP,
  TOP_K,
} from "./model.js";

/** What the engine does at one output position. */
export interface Choice {
  /** The distribution it reports (the model's, or its own numerics). */
  dist: Distribution;
  /** Index in `dist.ids` of the emitted token; -1: it ends the sequence here. */
  rank: number;
}

/** One request's engine. */
export interface RequestBehaviour {
  /** `dist` is the model's `next(state, allowEos)` at output position `position`; never returns -1
   *  when `allowEos` is false. */
  choose(position: number, state: ModelState, dist: Distribution, allowEos: boolean): Choice;
}

/** An engine: a request's behaviour from the state after its prompt (null: the model's own path). */
export type EngineBehaviour = (prompt: ModelState) => RequestBehaviour | null;

export const BEHAVIOUR_NAMES = [
  "fork",
  "fork-rare",
  "exact-ties",
  "noise-small",
  "noise-medium",
  "noise-large",
  "flip",
  "broken-kernel",
  "junk-after-tie",
  "hard-floor",
  "soft-floor",
  "rank-11",
  "eos-skip",
  "eos-early",
] as const;
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number];

/** Fork targets of a Llama-3.1-70B TP2 run with and without a draft model (issue 16). */
export const FORK_POSITIONS: readonly number[] = [3, 36, 45, 103, 211];
/** Share of requests in which "fork-rare" forks (80 distinct completions in 1,000 runs forked
 *  once each: Thinking Machines, 2025). */
export const RARE_FORK_RATE = 0.01;
/** "flip": share of clear positions where it takes the runner-up. */
export const FLIP_RATE = 0.03;
/** "broken-kernel": share of positions where its argmax disagrees with the model's. */
export const BROKEN_RATE = 0.04;
/** Teacher logprob of the "hard-floor" token (at most), and of the "soft-floor" ones. */
export const HARD_FLOOR_LOGPROB = -13;
export const SOFT_FLOOR_LOGPROB = -8;
export const SOFT_FLOOR_TOKENS = 5;
/** Rank (1-based) of the "rank-11" token: above the verifiers' "rank > 10" limit. */
export const BAD_RANK = 11;

/** Noise on reported logprobs: |Δ| of each entry, from a uniform u in [0, 1). */
const NOISE: Record<"noise-small" | "noise-medium" | "noise-large", (u: number) => number> = {
  // Max |Δ| 3.4e-3 and 4.7e-2: uniform up to the published maximum.
  "noise-small": (u) => 3.4e-3 * u,
  "noise-medium": (u) => 4.7e-2 * u,
  // vLLM against transformers, mean 0.046 and max 0.32: exponential, truncated at the max.
  "noise-large": (u) => -0.046 * Math.log(1 - u * (1 - Math.exp(-0.32 / 0.046))),
};

const unit = (x: number): number => x / 4294967296;

/** A per-request random stream: the value at `i` is a pure function of the request and i. */
function stream(requestKey: number): (i: number) => number {
  return (i) => unit(fmix32((requestKey + Math.imul(i + 1, 0x9e3779b9)) | 0));
}

function gapOf(d: Distribution): number {
  return (d.logprobs[0] as number) - (d.logprobs[1] as number);
}

function makeDist(ids: number[], logprobs: number[]): Distribution {
  return { ids, logprobs, logprobText: logprobs.map((x) => String(x)) };
}

/** The first TOP_K entries of `d` as plain arrays. */
function listOf(d: Distribution): { ids: number[]; logprobs: number[] } {
  const n = Math.min(TOP_K, d.ids.length);
  return {
    ids: Array.from(d.ids).slice(0, n),
    logprobs: Array.from(d.logprobs).slice(0, n),
  };
}

/** `d` with entry `k`'s token moved to the top and the values left in place: what an engine whose
 *  own numerics put that token first reports. */
function promote(d: Distribution, k: number): Choice {
  const { ids, logprobs } = listOf(d);
  const chosen = ids[k] as number;
  ids.splice(k, 1);
  ids.unshift(chosen);
  return { dist: makeDist(ids, logprobs), rank: 0 };
}

/** `d`'s list, plus `id` with its true logprob after it when the list does not name it. */
function emitListed(model: SyntheticModel, state: ModelState, d: Distribution, id: number): Choice {
  const { ids, logprobs } = listOf(d);
  const at = ids.indexOf(id);
  if (at !== -1) return { dist: makeDist(ids, logprobs), rank: at };
  ids.push(id);
  logprobs.push(model.score(state, d, id).logprob);
  return { dist: makeDist(ids, logprobs), rank: ids.length - 1 };
}

/** A word that reads well here whose true logprob satisfies `ok`, searched from a seeded start;
 *  null when no word of the pool does. */
function findWord(
  model: SyntheticModel,
  state: ModelState,
  d: Distribution,
  u: number,
  ok: (logprob: number) => boolean,
): number | null {
  const words = model.wordsAfter(state.last);
  const start = Math.floor(u * words.length);
  for (let i = 0; i < words.length; i++) {
    const id = words[(start + i) % words.length] as number;
    if (ok(model.score(state, d, id).logprob)) return id;
  }
  return null;
}

const GREEDY = (d: Distribution): Choice => ({ dist: d, rank: 0 });

/**
 * The engine named `name`. `seed` (the variant seed) moves its choices: which requests fork, where
 * the misbehaviour falls. The negatives that plant bad tokens ("hard-floor", "soft-floor",
 * "rank-11") first fork at a near-tie when one comes before the planned position, so the bad tokens
 * sit after the first divergence, where only a teacher can judge them.
 */
export function createBehaviour(
  name: BehaviourName,
  model: SyntheticModel,
  seed: number,
): EngineBehaviour {
  const salt = fmix32((seed >>> 0) ^ 0xbe4a710);
  const eos = model.eosId;
  return (prompt) => {
    const rnd = stream(fmix32(prompt.hash ^ salt));
    switch (name) {
      case "fork": {
        // Seed 0 forks at the first near-tie at or after each published position; other seeds
        // move each target by 0–7 tokens.
        const targets = FORK_POSITIONS.map((p, i) =>
          seed === 0 ? p : p + Math.floor(rnd(1000 + i) * 8),
        );
        let next = 0;
        return {
          choose(position, _state, d) {
            if (
              next >= targets.length ||
              position < (targets[next] as number) ||
              gapOf(d) >= TIE_GAP
            )
              return GREEDY(d);
            while (next < targets.length && (targets[next] as number) <= position) next++;
            return promote(d, 1);
          },
        };
      }
      case "fork-rare": {
        if (rnd(0) >= RARE_FORK_RATE) return null;
        let forked = false;
        return {
          choose(_position, _state, d) {
            if (forked || gapOf(d) >= TIE_GAP) return GREEDY(d);
            forked = true;
            return promote(d, 1);
          },
        };
      }
      case "exact-ties":
        return {
          choose: (_position, _state, d) => (gapOf(d) === 0 ? promote(d, 1) : GREEDY(d)),
        };
      case "noise-small":
      case "noise-medium":
      case "noise-large": {
        const size = NOISE[name];
        return { choose: (_position, state, d) => noisy(d, state, salt, size) };
      }
      case "flip":
        return {
          choose(position, state, d) {
            if (gapOf(d) < TIE_GAP || rnd(position) >= FLIP_RATE) return GREEDY(d);
            return emitListed(model, state, d, d.ids[1] as number);
          },
        };
      case "broken-kernel":
        return {
          choose(position, _state, d) {
            if (rnd(position) >= BROKEN_RATE) return GREEDY(d);
            return promote(d, 1 + Math.floor(rnd(position + 50_000) * 2));
          },
        };
      case "junk-after-tie": {
        let forked = false;
        return {
          choose(position, state, d) {
            if (!forked) {
              if (gapOf(d) >= TIE_GAP) return GREEDY(d);
              forked = true;
              return promote(d, 1);
            }
            // Any word, claimed as the top-1 with the model's own values (made up, plausible).
            const words = model.wordsAfter(state.last);
            const junk = words[Math.floor(rnd(position) * words.length)] as number;
            const { ids, logprobs } = listOf(d);
            const others = ids.filter((id) => id !== junk);
            return {
              dist: makeDist([junk, ...others].slice(0, logprobs.length), logprobs),
              rank: 0,
            };
          },
        };
      }
      case "hard-floor":
      case "soft-floor":
      case "rank-11": {
        const planned = 8 + Math.floor(rnd(0) * 24);
        const count = name === "soft-floor" ? SOFT_FLOOR_TOKENS : 1;
        let forked = false;
        let planted = 0;
        let nextAt = planned;
        return {
          choose(position, state, d) {
            if (planted >= count) return GREEDY(d);
            if (position < nextAt) {
              if (forked || gapOf(d) >= TIE_GAP) return GREEDY(d);
              forked = true;
              return promote(d, 1);
            }
            const id = badToken(name, model, state, d, rnd(position));
            if (id === null) return GREEDY(d);
            planted++;
            nextAt = position + 4;
            return emitListed(model, state, d, id);
          },
        };
      }
      case "eos-skip":
        // Goes on where the model ends the answer by a wide margin, as if ignore_eos were set.
        return {
          choose(_position, state, d, allowEos) {
            if (!allowEos || d.ids[0] !== eos || gapOf(d) < TIE_GAP) return GREEDY(d);
            return GREEDY(model.next(state, false));
          },
        };
      case "eos-early": {
        // Ends at the first position from the planned one where ending is no near-tie.
        const planned = 4 + Math.floor(rnd(0) * 28);
        return {
          choose(position, _state, d, allowEos) {
            if (!allowEos || position < planned) return GREEDY(d);
            const at = Array.prototype.indexOf.call(d.ids, eos) as number;
            const near =
              at !== -1 && (d.logprobs[0] as number) - (d.logprobs[at] as number) < TIE_GAP;
            return near ? GREEDY(d) : { dist: d, rank: -1 };
          },
        };
      }
    }
  };
}

/** The token a "floor" or "rank" negative plants here, or null when there is none. */
function badToken(
  name: "hard-floor" | "soft-floor" | "rank-11",
  model: SyntheticModel,
  state: ModelState,
  d: Distribution,
  u: number,
): number | null {
  if (name === "rank-11") {
    const id = d.ids[BAD_RANK - 1] as number;
    return id === model.eosId ? (d.ids[BAD_RANK] as number) : id;
  }
  if (name === "hard-floor") return findWord(model, state, d, u, (lp) => lp <= HARD_FLOOR_LOGPROB);
  // Soft floor: at or below −8 but above the hard floor, from the list if it reaches that low.
  const soft = (lp: number) => lp <= SOFT_FLOOR_LOGPROB && lp > HARD_FLOOR_LOGPROB;
  const n = Math.min(TOP_K, d.ids.length);
  for (let k = 0; k < n; k++)
    if (soft(d.logprobs[k] as number) && d.ids[k] !== model.eosId) return d.ids[k] as number;
  return findWord(model, state, d, u, soft);
}

/**
 * The model's list with noise on every value (a pure function of the context and the token, so a
 * token's entry agrees wherever it appears). Between ranks that are not a near-tie the order is
 * kept, so the engine's own argmax — the token it emits — leaves the model's only at a near-tie,
 * as an honest engine's does.
 */
function noisy(
  d: Distribution,
  state: ModelState,
  salt: number,
  size: (u: number) => number,
): Choice {
  const { ids, logprobs } = listOf(d);
  const values = logprobs.map((lp, k) => {
    const h = fmix32(state.hash ^ Math.imul((ids[k] as number) + 1, 0x85ebca6b) ^ salt);
    return lp + size((h >>> 1) / 2147483648) * (h & 1 ? 1 : -1);
  });
  for (let k = 1; k < values.length; k++) {
    if ((logprobs[k - 1] as number) - (logprobs[k] as number) >= TIE_GAP)
      values[k] = Math.min(values[k] as number, (values[k - 1] as number) - 1e-6);
  }
  const order = values
    .map((_, k) => k)
    .sort((a, b) => (values[b] as number) - (values[a] as number));
  return {
    dist: makeDist(
      order.map((k) => ids[k] as number),
      order.map((k) => Math.min(0, roundLogprob(values[k] as number))),
    ),
    rank: 0,
  };
}
