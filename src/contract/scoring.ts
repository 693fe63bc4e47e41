// vLLM's scoring endpoints as the teacher pass uses them (DESIGN §2.2 step 4), shaped exactly as
// vLLM's OpenAI server answers: `POST /tokenize` (the rendered chat prompt's token ids) and
// `POST /v1/completions` with `prompt` as token ids and `prompt_logprobs: k`, whose
// `choices[0].prompt_logprobs` scores every prompt token. Sizes are bounded: a teacher answer is
// read whole, and a wrong or hostile one must fail cleanly, not take the validator's memory.
import { z } from "zod";
import { responseSchema } from "./schemas.js";

/** Most tokens one scored sequence may have: Qwen2.5's longest context (128 Ki with YaRN). */
export const MAX_SCORED_TOKENS = 131_072;
/** vLLM's largest `prompt_logprobs`: each position lists at most this many top entries, plus the
 *  prompt token itself when it is not among them. */
export const MAX_PROMPT_LOGPROBS = 20;
/** Longest decoded token accepted (Qwen2.5's longest token is far shorter). */
const MAX_TOKEN_CHARS = 1024;

const TokenId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

export const TokenizeResponseSchema = z
  .looseObject({
    count: z.number().int().min(0),
    max_model_len: z.number().int().positive(),
    tokens: z.array(TokenId).max(MAX_SCORED_TOKENS),
    token_strs: z.array(z.string().max(MAX_TOKEN_CHARS)).max(MAX_SCORED_TOKENS).nullish(),
  })
  .superRefine((r, ctx) => {
    if (r.count !== r.tokens.length)
      ctx.addIssue({
        code: "custom",
        path: ["count"],
        message: `is ${r.count} for ${r.tokens.length} tokens`,
      });
    if (r.token_strs && r.token_strs.length !== r.tokens.length)
      ctx.addIssue({
        code: "custom",
        path: ["token_strs"],
        message: `has ${r.token_strs.length} entries for ${r.tokens.length} tokens`,
      });
  });
export type TokenizeResponse = z.infer<typeof TokenizeResponseSchema>;

/** One entry of a position: vLLM's Logprob (rank 1 is the top-1). */
export const PromptLogprobSchema = z.looseObject({
  logprob: z.number(),
  rank: z.number().int().min(1),
  decoded_token: z.string().max(MAX_TOKEN_CHARS).nullish(),
});
export type PromptLogprob = z.infer<typeof PromptLogprobSchema>;

/** One prompt position: entries keyed by token id as a decimal string. */
export const PromptPositionSchema = z
  .record(z.string().regex(/^(0|[1-9][0-9]{0,9})$/, "must be a token id"), PromptLogprobSchema)
  .refine(
    (p) => {
      const n = Object.keys(p).length;
      return n >= 1 && n <= MAX_PROMPT_LOGPROBS + 1;
    },
    `must list 1 to ${MAX_PROMPT_LOGPROBS + 1} tokens`,
  );
export type PromptPosition = z.infer<typeof PromptPositionSchema>;

/** `null` for the first prompt token (nothing precedes it), then one position per token. */
export const PromptLogprobsSchema = z
  .array(z.unknown())
  .max(MAX_SCORED_TOKENS) // before any entry is parsed
  .pipe(z.tuple([z.null()], PromptPositionSchema));
export type PromptLogprobs = z.infer<typeof PromptLogprobsSchema>;

export const CompletionResponseSchema = responseSchema(
  "text_completion",
  z
    .array(
      z.looseObject({
        index: z.number().int().min(0),
        text: z.string(),
        finish_reason: z.string().nullable(),
        prompt_logprobs: PromptLogprobsSchema,
      }),
    )
    .min(1)
    .max(1),
);
export type CompletionResponse = z.infer<typeof CompletionResponseSchema>;
