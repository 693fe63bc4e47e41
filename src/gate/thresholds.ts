import type { GateThresholds } from "./types.js";

/**
 * The gate's thresholds (DESIGN §2.4), each with where its value comes from. The arena config's
 * defaults (V1 and `local`) are these numbers; `cacheon gate calibrate` prints each one's headroom
 * against the baseline run as a candidate.
 *
 * tieGap 0.1: bf16 batch and kernel noise flips only tokens whose top-2 logprobs lie within a few
 *   hundredths (vLLM issue 7627 shows exact ties; the reference server's near-ties are < 0.02 apart
 *   and its clear positions ≥ 0.25); a model that prefers a token 0.1 nats below top-1 is making
 *   another choice.
 *
 * logprobs: the miner's own values. Issue 16's honest noise profiles pass with headroom — max |Δ|
 *   3.4e-3; max 4.7e-2; mean 0.046 with max 0.32 (the published vLLM-against-transformers figure)
 *   — while made-up values (all zero, random, a constant shift of 0.5) fail.
 *   - tolerance 0.2: above the worst honest token but the last (0.32) profile's rare tail; all-zero
 *     values are off by the model's own −logprob, above 0.2 wherever p(token) < 0.82.
 *   - maxOffShare 0.05: the 0.046-mean profile has ~1 % of tokens above 0.2 (exponential tail,
 *     e^(−0.2/0.046)); zeros, random values and a constant shift of 0.5 put far more there.
 *   - maxError 1.0: three times the largest published honest error (0.32); top_logprobs tail
 *     entries (−10 and below) move by tenths under batch noise.
 *   - maxMean 0.1: twice the published 0.046 (the former bound 0.05 sat on it); a shift of 0.15 or
 *     all-zero values on a model that is not near-certain exceed it.
 *
 * teacher: the verifiers that teacher-force in production, Targon (SN4) and Nineteen (SN19), fail
 *   a miner's token at teacher rank > 10, one token at logprob ≤ −13, or five at ≤ −8.
 *   - eosRatio 10: Targon fails any token the end of sequence outranks (ratio 1), which would fail an
 *     honest fork at a near-tie with EOS (within tieGap: ratio ≤ e^0.1 ≈ 1.1); ten times as likely
 *     (ln 10 ≈ 2.3 nats) is no near-tie under any numerics, yet catches a server that skips a clear
 *     end of sequence to emit more tokens.
 *
 * control: the teacher's prefill disagrees with the same engine's decode at 1.5–3 % of positions
 *   past 256 tokens (vLLM issue 48271), so the candidate's aggregates are compared with the
 *   teacher's scores of the reference's own outputs, plus:
 *   - notFineShare 0.01: a broken kernel's ~4 % argmax disagreement or flips at 3 % of clear
 *     positions add 3–4 points; honest forks continue on the model's greedy path and add none.
 *   - nllExcess 0.01 nats: those same flips cost ~1 nat each on the reference model (gaps
 *     0.25–2.75), +0.03–0.04 mean; honest near-tie choices cost < 0.1 at a few % of positions.
 *   - minTokens 200: below it one token moves a share by ≥ 0.5 %, as much as the delta; the
 *     per-request rules judge every token regardless.
 */
export const DEFAULT_GATE_THRESHOLDS: GateThresholds = Object.freeze({
  tieGap: 0.1,
  logprobs: Object.freeze({ tolerance: 0.2, maxOffShare: 0.05, maxError: 1, maxMean: 0.1 }),
  teacher: Object.freeze({
    maxRank: 10,
    hardFloor: -13,
    softFloor: -8,
    softCount: 5,
    eosRatio: 10,
  }),
  control: Object.freeze({ notFineShare: 0.01, nllExcess: 0.01, minTokens: 200 }),
});

/** End-of-sequence tokens of the arena's model family (Qwen2.5), as top_logprobs name them. */
export const DEFAULT_EOS_TOKENS: readonly string[] = Object.freeze(["<|im_end|>", "<|endoftext|>"]);
