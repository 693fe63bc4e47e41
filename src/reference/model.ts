// The reference server's language model: NOT a real LLM. A deterministic synthetic model over the
// real Qwen vocabulary whose next-token distribution is a pure, cheap function of a rolling hash of
// the whole context and a model seed. It emits word tokens (" the", " river", "Hello") and a little
// punctuation, so its text reads like (nonsense) prose and re-tokenizes to the same tokens; it ends
// sentences with `<|im_end|>` often enough that unconstrained answers stop after ~200 tokens.
//
// Properties the arena's tests rely on:
//   - greedy output and logprobs depend only on the context: identical across runs, processes and
//     batch compositions (nothing here reads a clock, a global RNG or other sequences' state);
//   - about 3 % of positions are near-ties (top-1 − top-2 logprob < TIE_GAP), a quarter of them
//     exact ties (bit-identical logprobs, as vLLM issue 7627 shows real engines have); all others
//     have a clear top-1 (gap ≥ 0.25, and every later rank gap ≥ 0.05);
//   - every token has a logprob and a rank, not only the top-K: the tail beyond them is a
//     deterministic function of the context and the token (what prompt_logprobs reports);
//   - variants: "ties" prefers the runner-up exactly at near-ties (a correct-enough model a gate
//     must tolerate), "diverge" prefers the runner-up at ~2 % of clear positions (a subtly wrong
//     model a gate must reject). Away from those positions the variants are bit-identical.
//
// The context hash covers the whole context, not only the last few tokens: every chat prompt ends
// with the same template suffix (`<|im_end|>\n<|im_start|>assistant\n`), so a last-N hash would give
// every prompt the same answer.
import type { Vocabulary } from "../contract/tokenizer.js";

export type Variant = "none" | "ties" | "diverge";
export const VARIANTS: readonly Variant[] = ["none", "ties", "diverge"];

/** Entries of a distribution (the most `top_logprobs` a request may ask for). */
export const TOP_K = 20;
/** A position is a near-tie when its top-1 and top-2 logprobs differ by less than this. */
export const TIE_GAP = 0.02;
/** Fraction of positions generated as near-ties. */
export const TIE_RATE = 0.03;
/** Fraction of clear positions where the "diverge" variant prefers the runner-up. */
export const DIVERGE_RATE = 0.02;
/** One near-tie shape in this many is an exact tie (top-1 and top-2 logprobs bit-identical). */
const EXACT_TIE_EVERY = 4;

const RAW_K = TOP_K + 1; // one spare rank, so masking EOS still leaves TOP_K entries
/** The tail's logprob falls by this many nats per e-fold of rank. */
const TAIL_SLOPE = 2;
const SHAPES = 1024;
/** Probability that `<|im_end|>` is the top-1 right after a sentence ends. */
const EOS_AFTER_SENTENCE = 0.07;

/**
 * A next-token distribution: the TOP_K most likely tokens in rank order with their logprobs
 * (natural log, normalized over the whole vocabulary: a small tail mass lies outside the top-K, so
 * logsumexp of the entries is < 0). `logprobText[i]` is `logprobs[i]` as JSON, precomputed.
 * The arrays may be longer than TOP_K; only the first TOP_K entries belong to the distribution.
 */
export interface Distribution {
  readonly ids: ArrayLike<number>;
  readonly logprobs: ArrayLike<number>;
  readonly logprobText: readonly string[];
}

/** A token's place in a distribution, as vLLM's prompt_logprobs reports it. */
export interface TokenScore {
  logprob: number;
  /** 1-based: 1 + the number of tokens listed before it (a tail token: estimated likewise). */
  rank: number;
}

/** Where a sequence stands: the rolling hash of its whole context and its last token. */
export interface ModelState {
  hash: number;
  last: number;
}

export interface ModelOptions {
  vocab: Vocabulary;
  variant?: Variant;
  /** Model seed: servers that must agree (baseline and candidates) use the same one. Default 0. */
  seed?: number;
}

export interface SyntheticModel {
  readonly vocab: Vocabulary;
  readonly variant: Variant;
  readonly seed: number;
  readonly eosId: number;
  /** The state after reading `contextIds` (the prompt). */
  start(contextIds: ArrayLike<number>): ModelState;
  /** The state after `state` followed by token `id` (pure: `state` is not changed). */
  advance(state: ModelState, id: number): ModelState;
  /** Advances `state` in place by token `id` (the hot path). */
  advanceInPlace(state: ModelState, id: number): void;
  /** The next-token distribution; with `allowEos` false, EOS is masked and the rest renormalized. */
  next(state: ModelState, allowEos: boolean): Distribution;
  /** Pure convenience: the distribution after `contextIds`. */
  distribution(contextIds: ArrayLike<number>, allowEos?: boolean): Distribution;
  /**
   * Token `id`'s logprob and rank at `state`, where `dist` is `next(state, …)`: its entry when
   * `dist` lists it, else the tail's. The tail falls from just below the last listed entry to about
   * 18 nats under it at the bottom of the vocabulary; a token's place in it is a hash of the
   * context and the token, so any token outside the list is a few hundred ranks down at best and
   * usually below −15. The tail's mass is not normalized against the list's (nothing sums it).
   */
  score(state: ModelState, dist: Distribution, id: number): TokenScore;
  /** The word tokens the model draws from after token `last` (-1: at the start). */
  wordsAfter(last: number): Int32Array;
}

// ---------------------------------------------------------------------------------------------
// Hashing and per-position randomness (no crypto: this runs once per generated token).

/** murmur3's 32-bit finalizer. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Rolling context hash: the hash of `context + [id]` from the hash of `context`. */
export function hashStep(hash: number, id: number): number {
  return fmix32((Math.imul(hash ^ id, 0x01000193) + 0x9e3779b9) | 0);
}

// The per-position generator: mulberry32 on module state (next() is synchronous, so positions
// never interleave), which costs no allocation per token.
let rngState = 0;
function nextU32(): number {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
function nextUnit(): number {
  return nextU32() / 4294967296;
}

/** mulberry32 as a tiny object (for building tables). */
class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

// ---------------------------------------------------------------------------------------------
// Logprob shapes: precomputed rank → logprob tables (and their JSON text), so a position costs a
// table lookup instead of exp/log/number formatting.

interface Shape {
  logprobs: Float64Array;
  text: string[];
}

/** Rounds to 6 decimals, the precision the server prints. */
export function roundLogprob(x: number): number {
  const r = Math.round(x * 1e6) / 1e6;
  return r === 0 ? 0 : r; // no "-0"
}

/** near-tie: top-2 within TIE_GAP; clear: ≥ 0.25 apart; eos: an answer's end, EOS top-1 by
 * 2.5–6.5 nats (more than ten times as likely as anything else, as real models end answers). */
type ShapeKind = "tie" | "clear" | "eos";
const SHAPE_SALT: Record<ShapeKind, number> = { tie: 0x7165, clear: 0x636c, eos: 0x656f };

function makeShapes(seed: number, kind: ShapeKind): Shape[] {
  const rng = new Rng(fmix32(seed ^ SHAPE_SALT[kind]));
  const shapes: Shape[] = [];
  for (let s = 0; s < SHAPES; s++) {
    const logits = new Float64Array(RAW_K);
    logits[0] = 0;
    // One draw per shape whatever the kind, so exact ties leave every other shape as it was.
    const u = rng.next();
    const gap =
      kind === "tie"
        ? s % EXACT_TIE_EVERY === 0
          ? 0
          : 0.001 + 0.014 * u
        : kind === "clear"
          ? 0.25 + 2.5 * u ** 2
          : 2.5 + 4 * u;
    logits[1] = -gap;
    for (let k = 2; k < RAW_K; k++)
      logits[k] = (logits[k - 1] as number) - (0.05 + 0.6 * rng.next());
    let z = 0;
    for (let k = 0; k < RAW_K; k++) z += Math.exp(logits[k] as number);
    const tail = 0.005 + 0.045 * rng.next(); // mass outside the top-K
    const shift = Math.log1p(-tail) - Math.log(z);
    const logprobs = new Float64Array(RAW_K);
    const text: string[] = [];
    for (let k = 0; k < RAW_K; k++) {
      const lp = roundLogprob((logits[k] as number) + shift);
      logprobs[k] = lp;
      text.push(String(lp));
    }
    shapes.push({ logprobs, text });
  }
  return shapes;
}

// ---------------------------------------------------------------------------------------------
// Token classes.

/** Common English words, preferred so the text reads a little like prose. */
const COMMON = `the of and to in is it that for was on are as with be at by this have from or
one had not but what all were when we there can an your which their said if do will each about
how up out them then she many some so these would other into has more her two like him see time
could no make than first been its who now people my made over did down only way find use may water
long little very after words called just where most know get through back much before go good new
write our used me man too any day same right look think also around another came come work three
word must because does part even place well such here take why things help put years different
away again off went old number great tell men say small every found still between name should home
big give air line set own under read last never us left end along while might next sound below saw
something thought both few those always looked show large often together asked house world going
want school important until form food keep children feet land side without boy once animals life
enough took sometimes four head above kind began almost live page got earth need far hand high year
mother light parts country father let night following picture being study second eyes soon times
story boys since white days ever paper hard near sentence better best across during today others
sure means knew its try told young miles sun ways thing whole hear example heard several change
answer room sea against top turned learn point city play toward five using himself usually river
morning storm ship harbor lamp keeper wind rain stone bridge garden window letter music voice`
  .split(/\s+/)
  .filter((w) => w.length > 0);

const TWO_LETTER = new Set(
  "of to in is it be on as an or at by we he if do no so up my me us go am".split(" "),
);

interface TokenClasses {
  /** " word" tokens, by id (low ids are frequent BPE merges), and the common ones. */
  lower: Int32Array;
  lowerCommon: Int32Array;
  /** " Word" tokens (after a sentence end). */
  capSpace: Int32Array;
  capSpaceCommon: Int32Array;
  /** "Word" tokens (the first token of an answer). */
  capStart: Int32Array;
  capStartCommon: Int32Array;
  comma: number;
  period: number;
  question: number;
  exclaim: number;
  /** Token id → 0 other, 1 word, 2 comma, 3 sentence end. */
  kind: Uint8Array;
}

/** Words per class, the lowest ids (BPE's most frequent merges): a small table stays in cache. */
const MAX_CLASS_WORDS = 6000;

const K_OTHER = 0;
const K_WORD = 1;
const K_COMMA = 2;
const K_END = 3;

function plausibleWord(w: string): boolean {
  if (w.length === 2) return TWO_LETTER.has(w);
  return /[aeiouy]/.test(w);
}

function tokenClasses(vocab: Vocabulary): TokenClasses {
  const lower: number[] = [];
  const capSpace: number[] = [];
  const capStart: number[] = [];
  const kind = new Uint8Array(vocab.size);
  for (let id = 0; id < vocab.size; id++) {
    if (vocab.specialIds.has(id)) continue;
    const t = vocab.text(id);
    if (t === null) continue;
    if (/^ [a-z]{2,12}$/.test(t) && plausibleWord(t.slice(1))) lower.push(id);
    else if (/^ [A-Z][a-z]{1,11}$/.test(t) && plausibleWord(t.slice(1).toLowerCase()))
      capSpace.push(id);
    else if (/^[A-Z][a-z]{1,11}$/.test(t) && plausibleWord(t.toLowerCase())) capStart.push(id);
    else continue;
    kind[id] = K_WORD;
  }
  const must = (text: string): number => {
    const id = vocab.idOfText(text);
    if (id === undefined) throw new Error(`the vocabulary has no token ${JSON.stringify(text)}`);
    return id;
  };
  const comma = must(",");
  const period = must(".");
  const question = must("?");
  const exclaim = must("!");
  kind[comma] = K_COMMA;
  kind[period] = K_END;
  kind[question] = K_END;
  kind[exclaim] = K_END;
  const common = (prefix: string, cap: boolean): Int32Array => {
    const ids: number[] = [];
    for (const w of COMMON) {
      const text = prefix + (cap ? w[0]?.toUpperCase() + w.slice(1) : w);
      const id = vocab.idOfText(text);
      if (id !== undefined && kind[id] === K_WORD && !ids.includes(id)) ids.push(id);
    }
    return Int32Array.from(ids);
  };
  const classes: TokenClasses = {
    lower: Int32Array.from(lower.slice(0, MAX_CLASS_WORDS)),
    lowerCommon: common(" ", false),
    capSpace: Int32Array.from(capSpace.slice(0, MAX_CLASS_WORDS)),
    capSpaceCommon: common(" ", true),
    capStart: Int32Array.from(capStart.slice(0, MAX_CLASS_WORDS)),
    capStartCommon: common("", true),
    comma,
    period,
    question,
    exclaim,
    kind,
  };
  for (const [name, list] of Object.entries(classes)) {
    if (list instanceof Int32Array && list.length < 2 * RAW_K)
      throw new Error(`the vocabulary has too few ${name} word tokens (${list.length})`);
  }
  return classes;
}

type Pool = readonly [all: Int32Array, common: Int32Array];

// ---------------------------------------------------------------------------------------------

export function createModel(opts: ModelOptions): SyntheticModel {
  const vocab = opts.vocab;
  const variant = opts.variant ?? "none";
  const seed = (opts.seed ?? 0) >>> 0;
  const eosId = vocab.idOfText("<|im_end|>") ?? findSpecial(vocab, "<|im_end|>");
  const classes = tokenClasses(vocab);
  const clearShapes = makeShapes(seed, "clear");
  const tieShapes = makeShapes(seed, "tie");
  const eosShapes = makeShapes(seed, "eos");
  const seedMix = fmix32(seed ^ 0x5eed5eed);
  const tailMix = fmix32(seed ^ 0x7a11);
  const startHash = fmix32(seed + 0x2545f491);
  const { kind } = classes;

  // Word pools by what came before: nothing or a non-word (capitalized, no space), a sentence end
  // (" Word"), a word or comma (" word"). Each is [all, common].
  const pools: readonly Pool[] = [
    [classes.capStart, classes.capStartCommon],
    [classes.capSpace, classes.capSpaceCommon],
    [classes.lower, classes.lowerCommon],
  ];
  const poolAfter = (last: number): Pool => {
    const k = kind[last] ?? K_OTHER;
    return pools[k === K_OTHER ? 0 : k === K_END ? 1 : 2] as Pool;
  };

  /** A word from `all` (biased to low ids: frequent merges) or, often, from `common`; `x` is a
   * random u32 whose low byte is spent already. */
  const pickWord = (x: number, all: Int32Array, common: Int32Array): number => {
    const u = (x >>> 16) / 65536;
    if (((x >>> 8) & 0xff) < 141) return common[Math.floor(u * common.length)] as number;
    return all[Math.floor(u * u * all.length)] as number;
  };

  const next = (state: ModelState, allowEos: boolean): Distribution => {
    rngState = fmix32(state.hash ^ seedMix);
    // Fixed draw order, whatever the variant or masking: variants differ only where they mean to.
    const uTie = nextUnit();
    const uShape = nextUnit();
    const uDiverge = nextUnit();
    const uTop = nextUnit();
    const uEos = nextUnit();
    const lastKind = kind[state.last] ?? K_OTHER;

    const [all, common] = poolAfter(state.last);

    const ids: number[] = [];
    // Rank 1.
    if (lastKind === K_END && uEos < EOS_AFTER_SENTENCE) ids.push(eosId);
    else if (lastKind === K_WORD && uTop < 0.075) ids.push(classes.period);
    else if (lastKind === K_WORD && uTop < 0.13) ids.push(classes.comma);
    else if (lastKind === K_WORD && uTop < 0.135) ids.push(classes.question);
    else ids.push(pickWord(nextU32(), all, common));
    // EOS in a lower rank sometimes after a sentence ends, rarely elsewhere (never at the start).
    let eosRank = -1;
    if (lastKind === K_END && uEos >= EOS_AFTER_SENTENCE && uEos < 0.4)
      eosRank = 1 + Math.floor(nextUnit() * 5);
    else if (lastKind === K_WORD && uEos < 0.02) eosRank = 8 + Math.floor(nextUnit() * 12);
    let draws = 0;
    while (ids.length < RAW_K) {
      let id: number;
      if (ids.length === eosRank) id = eosId;
      else if (++draws > 1000) {
        // Unreachable with the class sizes checked above; keeps the loop total anyway.
        id = all[draws] as number;
      } else {
        const x = nextU32();
        // After a word, one rank in ten is punctuation.
        if (lastKind === K_WORD && (x & 0xff) < 26) {
          const r = (x >>> 8) & 0xff;
          id = r < 128 ? classes.comma : r < 218 ? classes.period : classes.exclaim;
        } else id = pickWord(x, all, common);
      }
      if (!ids.includes(id)) ids.push(id);
    }

    const shapes = uTie < TIE_RATE ? tieShapes : ids[0] === eosId ? eosShapes : clearShapes;
    const shape = shapes[Math.floor(uShape * SHAPES)] as Shape;
    let logprobs: ArrayLike<number> = shape.logprobs;
    let logprobText: readonly string[] = shape.text;

    if (!allowEos) {
      const at = ids.indexOf(eosId);
      if (at !== -1) {
        // min_tokens / ignore_eos: EOS cannot be chosen, so it leaves the list, but the other
        // entries keep their raw logprobs (not renormalized), as vLLM reports logprobs before its
        // logits processors mask anything (logprobs-mode raw_logprobs, its default); a teacher that
        // scores the same prefix by prefill gives the same values.
        ids.splice(at, 1);
        const lps = new Float64Array(TOP_K);
        const text: string[] = [];
        for (let k = 0, j = 0; k < RAW_K && j < TOP_K; k++) {
          if (k === at) continue;
          lps[j++] = shape.logprobs[k] as number;
          text.push(shape.text[k] as string);
        }
        logprobs = lps;
        logprobText = text;
      }
    }

    const gap = (logprobs[0] as number) - (logprobs[1] as number);
    if (
      (variant === "ties" && gap < TIE_GAP) ||
      (variant === "diverge" && gap >= TIE_GAP && uDiverge < DIVERGE_RATE)
    ) {
      const first = ids[0] as number;
      ids[0] = ids[1] as number;
      ids[1] = first;
    }
    return { ids, logprobs, logprobText };
  };

  const score = (state: ModelState, dist: Distribution, id: number): TokenScore => {
    const n = Math.min(dist.ids.length, dist.logprobs.length);
    for (let k = 0; k < n; k++)
      if (dist.ids[k] === id) return { logprob: dist.logprobs[k] as number, rank: k + 1 };
    const u = fmix32(state.hash ^ Math.imul(id + 1, 0x9e3779b1) ^ tailMix) / 4294967296;
    const rank = n + 1 + Math.floor(u * (vocab.size - n));
    const last = dist.logprobs[n - 1] as number;
    return { logprob: roundLogprob(last - 0.05 - TAIL_SLOPE * Math.log(rank / n)), rank };
  };

  const start = (contextIds: ArrayLike<number>): ModelState => {
    let hash = startHash;
    for (let i = 0; i < contextIds.length; i++) hash = hashStep(hash, contextIds[i] as number);
    const last = contextIds.length > 0 ? (contextIds[contextIds.length - 1] as number) : -1;
    return { hash, last };
  };

  return {
    vocab,
    variant,
    seed,
    eosId,
    start,
    advance: (state, id) => ({ hash: hashStep(state.hash, id), last: id }),
    advanceInPlace: (state, id) => {
      state.hash = hashStep(state.hash, id);
      state.last = id;
    },
    next,
    distribution: (contextIds, allowEos = true) => next(start(contextIds), allowEos),
    score,
    wordsAfter: (last) => poolAfter(last)[0],
  };
}

function findSpecial(vocab: Vocabulary, text: string): number {
  for (const id of vocab.specialIds) if (vocab.text(id) === text) return id;
  throw new Error(`the vocabulary has no ${text} token`);
}
