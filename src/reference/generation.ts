// One request's decoding: picks tokens from the synthetic model (greedy or sampled), applies
// min_tokens / ignore_eos / max_tokens, and applies stop strings the way OpenAI's API does: the
// output ends right before the first occurrence of a stop string, which is not included. While a
// stop string could still be completing, the tokens that might belong to it are held back, so
// streamed text never has to be taken back.
//
// Token accounting: every emitted token is one vocabulary token with its logprobs entry; EOS is
// never emitted. If a stop string begins inside a token, the part of that token before it is
// emitted as text only (`tailText`), with no logprobs entry: it is not a vocabulary token.
import type { EngineBehaviour, RequestBehaviour } from "./behaviour.js";
import type { Distribution, ModelState, SyntheticModel } from "./model.js";
import { fmix32, TOP_K } from "./model.js";

export interface GenerationParams {
  maxTokens: number;
  /** EOS and stop strings are ignored until this many tokens were generated (vLLM semantics). */
  minTokens: number;
  ignoreEos: boolean;
  /** 0: greedy; otherwise sample from the top-K at this temperature. */
  temperature: number;
  topP: number;
  /** Sampling seed; null: a random one. */
  seed: number | null;
  stop: readonly string[];
}

/** The sampling fields chat and text completions share, as a request spells them. */
export interface SamplingFields {
  min_tokens?: number | null;
  ignore_eos?: boolean | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
}

/** A request's generation parameters, given the max_tokens it gets. */
export function samplingParams(req: SamplingFields, maxTokens: number): GenerationParams {
  return {
    maxTokens,
    minTokens: req.min_tokens ?? 0,
    ignoreEos: req.ignore_eos === true,
    // OpenAI's default temperature is 1; only 0 is greedy.
    temperature: req.temperature ?? 1,
    topP: req.top_p ?? 1,
    seed: req.seed ?? null,
    stop: req.stop == null ? [] : typeof req.stop === "string" ? [req.stop] : req.stop,
  };
}

export interface EmittedToken {
  id: number;
  text: string;
  /** The distribution the token was chosen from, and the token's rank in it. */
  dist: Distribution;
  rank: number;
}

export type GenerationFinish = "stop" | "length";

export class Generation {
  private readonly state: ModelState;
  /** Tokens the model produced (EOS included). */
  generated = 0;
  /** Tokens emitted to the client so far (released). */
  emitted = 0;
  finishReason: GenerationFinish | null = null;
  /** Tokens released by the last step(s), for the caller to send and then clear. */
  released: EmittedToken[] = [];
  /** Text (not a whole token) released at the finish: the part of a token before a stop string. */
  tailText = "";

  private readonly rngState: { s: number } | null;
  /** The engine's departures from the model's greedy path (greedy requests only). */
  private readonly behaviour: RequestBehaviour | null;
  private readonly stop: readonly string[];
  private readonly maxStop: number;
  /** Generated text so far; kept only when there are stop strings. */
  private text = "";
  /** Text length already released to the client. */
  private releasedChars = 0;
  /** Tokens generated but held back (a stop string might be completing), with their start offset. */
  private readonly pending: { token: EmittedToken; start: number }[] = [];

  constructor(
    private readonly model: SyntheticModel,
    promptIds: ArrayLike<number>,
    private readonly params: GenerationParams,
    engine: EngineBehaviour | null = null,
  ) {
    this.state = model.start(promptIds);
    this.behaviour = engine !== null && params.temperature === 0 ? engine(this.state) : null;
    this.stop = params.stop.filter((s) => s.length > 0);
    this.maxStop = this.stop.reduce((m, s) => Math.max(m, s.length), 0);
    this.rngState =
      params.temperature > 0
        ? {
            s: fmix32(
              (params.seed ?? Math.floor(Math.random() * 2 ** 32)) ^ this.state.hash ^ 0x51ed,
            ),
          }
        : null;
    if (params.maxTokens <= 0) this.finishReason = "length";
  }

  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** Generates one token. Newly releasable tokens are appended to `released`. */
  step(): void {
    if (this.finishReason !== null) return;
    const p = this.params;
    const allowEos = !p.ignoreEos && this.generated >= p.minTokens;
    let dist = this.model.next(this.state, allowEos);
    let rank = this.rngState ? this.sample(dist) : 0;
    if (this.behaviour)
      ({ dist, rank } = this.behaviour.choose(this.generated, this.state, dist, allowEos));
    const id = rank < 0 ? this.model.eosId : (dist.ids[rank] as number);
    this.generated++;
    if (id === this.model.eosId) {
      this.finish("stop");
      return;
    }
    this.model.advanceInPlace(this.state, id);
    const text = this.model.vocab.text(id) ?? "";
    const token: EmittedToken = { id, text, dist, rank };
    if (this.stop.length === 0) {
      this.release(token);
    } else {
      const start = this.text.length;
      this.text += text;
      this.pending.push({ token, start });
      if (this.generated >= p.minTokens) {
        const at = this.findStop(start);
        if (at !== -1) {
          this.cutAt(at);
          return;
        }
        this.releaseSafe();
      } else {
        this.flushPending();
      }
    }
    if (this.generated >= p.maxTokens) this.finish("length");
  }

  private release(token: EmittedToken): void {
    this.released.push(token);
    this.emitted++;
  }

  private finish(reason: GenerationFinish): void {
    this.flushPending();
    this.finishReason = reason;
  }

  private flushPending(): void {
    for (const { token } of this.pending) this.release(token);
    if (this.pending.length > 0) this.releasedChars = this.text.length;
    this.pending.length = 0;
  }

  /** The earliest start ≥ releasedChars of a stop string that ends in the newest token, or -1. */
  private findStop(newTokenStart: number): number {
    const from = Math.max(this.releasedChars, newTokenStart - this.maxStop + 1);
    let best = -1;
    for (const s of this.stop) {
      const i = this.text.indexOf(s, from);
      if (i !== -1 && (best === -1 || i < best)) best = i;
    }
    return best;
  }

  /** A stop string starts at `at`: release what precedes it and finish. */
  private cutAt(at: number): void {
    let end = this.releasedChars;
    let k = 0;
    for (; k < this.pending.length; k++) {
      const { token, start } = this.pending[k] as { token: EmittedToken; start: number };
      const tokenEnd = start + token.text.length;
      if (tokenEnd > at) break;
      this.release(token);
      end = tokenEnd;
    }
    this.tailText = this.text.slice(end, at);
    this.pending.length = 0;
    this.releasedChars = at;
    this.finishReason = "stop";
  }

  /** Releases held tokens from the front while no stop string could start inside them. */
  private releaseSafe(): void {
    const len = this.text.length;
    const firstRisky = len - this.maxStop + 1; // a stop string starting before this is excluded
    let k = 0;
    for (; k < this.pending.length; k++) {
      const { token, start } = this.pending[k] as { token: EmittedToken; start: number };
      const end = start + token.text.length;
      if (end > firstRisky && !this.noStopPrefixIn(Math.max(start, firstRisky), end)) break;
      this.release(token);
      this.releasedChars = end;
    }
    if (k > 0) this.pending.splice(0, k);
  }

  /** True when no position in [from, to) begins a proper prefix of a stop string at the text end. */
  private noStopPrefixIn(from: number, to: number): boolean {
    for (let s = Math.max(from, 0); s < to; s++) {
      const rest = this.text.slice(s);
      for (const stop of this.stop)
        if (stop.length > rest.length && stop.startsWith(rest)) return false;
    }
    return true;
  }

  /** Samples a rank from the distribution at the request's temperature and top_p. */
  private sample(dist: Distribution): number {
    const t = this.params.temperature;
    const lp = dist.logprobs;
    const top = lp[0] as number;
    const weights = new Float64Array(TOP_K);
    let total = 0;
    for (let k = 0; k < TOP_K; k++) {
      const w = Math.exp(((lp[k] as number) - top) / t);
      weights[k] = w;
      total += w;
    }
    // top_p: keep the smallest prefix of ranks (logprobs are in rank order) holding that mass.
    let keep = TOP_K;
    if (this.params.topP < 1) {
      let cum = 0;
      for (let k = 0; k < TOP_K; k++) {
        cum += weights[k] as number;
        if (cum >= this.params.topP * total) {
          keep = k + 1;
          break;
        }
      }
      total = 0;
      for (let k = 0; k < keep; k++) total += weights[k] as number;
    }
    let u = this.nextRandom() * total;
    for (let k = 0; k < keep; k++) {
      u -= weights[k] as number;
      if (u < 0) return k;
    }
    return keep - 1;
  }

  private nextRandom(): number {
    const r = this.rngState as { s: number };
    r.s = (r.s + 0x6d2b79f5) | 0;
    let t = r.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
