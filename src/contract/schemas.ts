// The OpenAI chat-completions contract as DESIGN §2.1 pins it, with vLLM's extensions. Every byte a
// server sends us and every body a client sends the reference server goes through these schemas.
import { z } from "zod";

const TextPart = z.looseObject({ type: z.literal("text"), text: z.string() });

export const ChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(TextPart)]).nullable(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  n: z.number().int().positive().nullish(),
  // vLLM extensions the benchmark uses for fixed-length outputs.
  ignore_eos: z.boolean().nullish(),
  min_tokens: z.number().int().min(0).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const TopLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int().min(0).max(255)).nullable(),
});
export type TopLogprob = z.infer<typeof TopLogprobSchema>;

export const TokenLogprobSchema = TopLogprobSchema.extend({
  top_logprobs: z.array(TopLogprobSchema),
});
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

export const ChoiceLogprobsSchema = z.object({
  content: z.array(TokenLogprobSchema).nullable(),
});

export const FinishReasonSchema = z.enum([
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "function_call",
]);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const UsageSchema = z.looseObject({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0),
});
export type Usage = z.infer<typeof UsageSchema>;

export const ChatCompletionChunkSchema = z.looseObject({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int().min(0),
      delta: z.looseObject({
        role: z.literal("assistant").nullish(),
        content: z.string().nullish(),
      }),
      logprobs: ChoiceLogprobsSchema.nullish(),
      finish_reason: FinishReasonSchema.nullish(),
    }),
  ),
  usage: UsageSchema.nullish(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;

/** The envelope of a whole (non-streamed) response, chat or completion: what differs is the
 *  object's name and its choices. */
export function responseSchema<O extends string, C extends z.ZodType>(object: O, choices: C) {
  return z.looseObject({
    id: z.string(),
    object: z.literal(object),
    created: z.number().int(),
    model: z.string(),
    choices,
    usage: UsageSchema,
  });
}

export const ChatCompletionResponseSchema = responseSchema(
  "chat.completion",
  z
    .array(
      z.looseObject({
        index: z.number().int().min(0),
        message: z.looseObject({ role: z.literal("assistant"), content: z.string().nullable() }),
        logprobs: ChoiceLogprobsSchema.nullish(),
        finish_reason: FinishReasonSchema.nullable(),
      }),
    )
    .min(1),
);
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponseSchema>;

export const ModelListSchema = z.looseObject({
  object: z.literal("list"),
  data: z.array(z.looseObject({ id: z.string(), object: z.literal("model") })),
});

/** The number of tokens a request asks for: `max_completion_tokens` wins over `max_tokens`. */
export function requestedMaxTokens(req: ChatCompletionRequest): number | undefined {
  return req.max_completion_tokens ?? req.max_tokens ?? undefined;
}

/** A message's text, whether its content is a string or an array of text parts. */
export function messageText(message: ChatMessage): string {
  if (message.content === null) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((p) => p.text).join("");
}
