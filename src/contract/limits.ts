// Caps on what a server may send the harness. Without them the harness kept every byte a server
// sent until the request's deadline: one server streaming junk (endless comments, an endless line,
// a huge /health body) could take the validator's process out of memory and lose the session for
// every server in it. Past a cap the request fails at once (its connection is closed) with failure
// kind `too_large`, so what one request holds is bounded by its cap, and a phase by concurrency ×
// the response cap. The defaults are far above what an honest server sends (docs/miners/contract.md).
import { z } from "zod";

const KiB = 1024;
const MiB = 1024 * KiB;

const Bytes = z
  .number()
  .int()
  .min(1 * KiB)
  .max(1024 * MiB);

export const ResponseLimitsSchema = z
  .strictObject({
    /**
     * Bytes of one chat completion's body, streamed or not. An honest streamed answer with logprobs
     * is about 250 bytes per token plus about 90 per `top_logprobs` alternative: v1's largest
     * (256 tokens at top_logprobs 3) is about 150 KB; even 256 tokens at top_logprobs 20 is about
     * 0.6 MB. 4 MiB also bounds a 256-stream phase to 1 GiB whatever the servers send.
     */
    maxResponseBytes: Bytes.default(4 * MiB),
    /** Bytes of one SSE line (its terminator excluded). One token's chunk at top_logprobs 20 is about 2 KB. */
    maxSseLineBytes: Bytes.default(1 * MiB),
    /** Bytes of one SSE event's data (its `data:` values joined with "\n"). */
    maxSseEventBytes: Bytes.default(1 * MiB),
    /** Bytes of a `GET /health` or `GET /v1/models` body (vLLM: empty, and about 500 bytes). */
    maxInfoBodyBytes: Bytes.default(1 * MiB),
  })
  .superRefine((l, ctx) => {
    for (const key of ["maxSseLineBytes", "maxSseEventBytes"] as const)
      if (l[key] > l.maxResponseBytes)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `must be at most maxResponseBytes (${l.maxResponseBytes})`,
        });
  });
export type ResponseLimits = z.infer<typeof ResponseLimitsSchema>;
export type ResponseLimitsInput = z.input<typeof ResponseLimitsSchema>;

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = Object.freeze(
  ResponseLimitsSchema.parse({}),
);

/**
 * A generous estimate of the bytes an honest streamed answer of `maxTokens` tokens with
 * `topLogprobs` alternatives each can need: several times what vLLM sends (one chunk per token of
 * about 250 bytes, plus about 90 per alternative), so a config whose response cap is below it
 * would fail honest servers.
 */
export function honestResponseBytes(maxTokens: number, topLogprobs: number): number {
  return 16 * KiB + maxTokens * (1 * KiB + 512 * (topLogprobs + 1));
}

/** "4 MiB", "64 KiB", "1500 bytes". */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}
