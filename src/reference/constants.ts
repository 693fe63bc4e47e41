// The reference server's fixed limits and defaults, in a module light enough for the CLI to import
// without loading the vocabulary.

export const DEFAULT_SERVED_MODEL_NAME = "Qwen/Qwen2.5-72B-Instruct";
/** max_tokens when a request gives neither max_tokens nor max_completion_tokens. */
export const DEFAULT_MAX_TOKENS = 512;
/** Context window: prompt tokens + max_tokens may not exceed it (as vLLM's max_model_len). */
export const MAX_MODEL_LEN = 32_768;
/** Largest request body accepted. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Completion timings kept for GET /debug/timings. */
export const MAX_TIMINGS = 100_000;
/** Share of near-ties at which a prefill (prompt_logprobs) ranks the runner-up first: the model has
 * near-ties at ~3 % of positions, so half of them is ~1.5 %, the low end of vLLM's own prefill
 * against its decode (1.5–3 % of positions past 256 tokens, vLLM issue 48271). */
export const DEFAULT_PREFILL_TIE_FLIPS = 0.5;
