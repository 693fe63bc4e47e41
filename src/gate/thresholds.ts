import type { GateThresholds } from "./types.js";

/**
 * Starting values, to be replaced by calibration (the baseline run twice under different batch
 * compositions must pass). The arena config's defaults are the same numbers.
 *   - tieGap 0.1: bf16 batch-composition noise flips only tokens whose top-2 logprobs lie within a
 *     few hundredths; a model that prefers a token 0.1 nats below top-1 is making a different choice.
 *     (The reference server's near-ties are < 0.02 apart and its clear positions ≥ 0.25.)
 *   - maxTokenLogprobError 0.5: the error covers every top_logprobs entry, and tail entries (−10 and
 *     below) move by tenths under batch noise; made-up or zeroed logprobs are off by whole nats.
 *   - maxMeanLogprobError 0.05: averaged over all matched tokens the noise is an order smaller than
 *     its worst case; a systematically different model (quantized weights, another kernel) is not.
 *   - minMatchedFraction 0.9: a correct server diverges rarely, so nearly all reference tokens get
 *     compared; less means most of the output went unchecked.
 */
export const DEFAULT_GATE_THRESHOLDS: GateThresholds = Object.freeze({
  tieGap: 0.1,
  maxTokenLogprobError: 0.5,
  maxMeanLogprobError: 0.05,
  minMatchedFraction: 0.9,
});

/** End-of-sequence tokens of the arena's model family (Qwen2.5), as top_logprobs name them. */
export const DEFAULT_EOS_TOKENS: readonly string[] = Object.freeze(["<|im_end|>", "<|endoftext|>"]);
