// The reference server as a teacher (issue 16, DESIGN §2.2.4): vLLM's `POST /tokenize` and
// `POST /v1/completions` with a token-id prompt and `prompt_logprobs`, shaped exactly as vLLM
// shapes them, so the validator's teacher pass runs against this server as against the pinned vLLM
// image. Scoring a prompt is a prefill, and a prefill's numerics are not the decode's: at a share
// of near-ties (a pure function of the context and the model seed) the prefill ranks the runner-up
// first, as vLLM's own prefill disagrees with its greedy decode at 1.5–3 % of positions (vLLM
// issue 48271; DEFAULT_PREFILL_TIE_FLIPS in constants.ts).
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { HttpError, send } from "../contract/http-toolkit.js";
import { ChatMessageSchema } from "../contract/schemas.js";
import type { EngineBehaviour } from "./behaviour.js";
import { MAX_MODEL_LEN } from "./constants.js";
import type { Engine, EngineJob } from "./engine.js";
import { type EmittedToken, Generation, samplingParams } from "./generation.js";
import {
  type Distribution,
  fmix32,
  type ModelState,
  type SyntheticModel,
  TIE_GAP,
  TOP_K,
} from "./model.js";
import { type PromptEncoder, renderChatPrompt } from "./prompt.js";
import { checkModel, invalidBody } from "./request-error.js";

/** The most `prompt_logprobs` / `logprobs` a request may ask for (vLLM's default max_logprobs). */
export const MAX_LOGPROBS = TOP_K;
/** max_tokens of a completion that gives none (vLLM's default for /v1/completions). */
const DEFAULT_COMPLETION_TOKENS = 16;

const OptionalModel = z.string().nullish();

/** `/tokenize`: a chat (`messages`) or a text (`prompt`), as vLLM's two request kinds. */
export const TokenizeRequestSchema = z
  .looseObject({
    model: OptionalModel,
    messages: z.array(ChatMessageSchema).min(1).optional(),
    prompt: z.string().optional(),
    add_generation_prompt: z.boolean().nullish(),
    continue_final_message: z.boolean().nullish(),
    // Qwen adds no BOS: accepted, and no token is added either way.
    add_special_tokens: z.boolean().nullish(),
    return_token_strs: z.boolean().nullish(),
  })
  .superRefine((req, ctx) => {
    if ((req.messages === undefined) === (req.prompt === undefined))
      ctx.addIssue({ code: "custom", message: "give either messages or prompt" });
    if (req.continue_final_message === true && req.add_generation_prompt === true)
      ctx.addIssue({
        code: "custom",
        path: ["continue_final_message"],
        message: "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
      });
    if (req.return_token_strs === true)
      ctx.addIssue({
        code: "custom",
        path: ["return_token_strs"],
        message: "not supported by the reference server",
      });
  });

const TokenIds = z
  .array(z.number().int().min(0))
  .min(1, "The prompt cannot be empty")
  .max(MAX_MODEL_LEN, `longer than the context (${MAX_MODEL_LEN} tokens)`);

/** `/v1/completions`, the subset the teacher pass uses plus the usual sampling fields. */
export const CompletionRequestSchema = z
  .looseObject({
    model: OptionalModel,
    prompt: z.union([z.string().min(1, "The prompt cannot be empty"), TokenIds], {
      error: "must be a string or an array of token ids (one prompt per request)",
    }),
    max_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    seed: z.number().int().nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
    logprobs: z.number().int().min(0).max(MAX_LOGPROBS).nullish(),
    prompt_logprobs: z.number().int().min(0).max(MAX_LOGPROBS).nullish(),
    ignore_eos: z.boolean().nullish(),
    min_tokens: z.number().int().min(0).nullish(),
    echo: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    n: z.number().int().positive().nullish(),
  })
  .superRefine((req, ctx) => {
    const unsupported = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (req.echo === true) unsupported("echo", "echo is not supported by the reference server");
    if (req.stream === true)
      unsupported("stream", "streaming completions are not supported by the reference server");
    if (req.n != null && req.n > 1) unsupported("n", "n > 1 is not supported");
    if (req.min_tokens != null && req.min_tokens > (req.max_tokens ?? DEFAULT_COMPLETION_TOKENS))
      unsupported("min_tokens", "min_tokens must not exceed max_tokens");
  });
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/** One entry of a prompt position's `prompt_logprobs` object. */
export interface PromptTokenScore {
  id: number;
  logprob: number;
  /** 1-based; the listed top tokens have their list positions, as vLLM reports them. */
  rank: number;
}

/** The distribution a prefill sees after `state`: the model's, with the top-2 of a share
 *  `tieFlips` of near-ties swapped. */
export function prefillDistribution(
  model: SyntheticModel,
  state: ModelState,
  tieFlips: number,
): Distribution {
  const d = model.next(state, true);
  const gap = (d.logprobs[0] as number) - (d.logprobs[1] as number);
  if (gap >= TIE_GAP || tieFlips <= 0) return d;
  const u = fmix32(state.hash ^ fmix32(model.seed ^ 0x9ef111)) / 4294967296;
  if (u >= tieFlips) return d;
  const ids = Array.from(d.ids);
  ids[0] = d.ids[1] as number;
  ids[1] = d.ids[0] as number;
  return { ids, logprobs: d.logprobs, logprobText: d.logprobText };
}

/**
 * vLLM's `prompt_logprobs` for a token-id prompt: null for the first token, then per token the
 * token itself (its rank may be anything, its logprob from the model's tail when it is not listed)
 * followed by the top `k` not already named.
 */
export function scorePrompt(
  model: SyntheticModel,
  ids: readonly number[],
  k: number,
  tieFlips: number,
): (PromptTokenScore[] | null)[] {
  const out: (PromptTokenScore[] | null)[] = [null];
  const state = model.start([]);
  for (let i = 1; i < ids.length; i++) {
    model.advanceInPlace(state, ids[i - 1] as number);
    const d = prefillDistribution(model, state, tieFlips);
    const id = ids[i] as number;
    const entries: PromptTokenScore[] = [{ id, ...model.score(state, d, id) }];
    for (let j = 0; j < k; j++) {
      const top = d.ids[j] as number;
      if (top !== id) entries.push({ id: top, logprob: d.logprobs[j] as number, rank: j + 1 });
    }
    out.push(entries);
  }
  return out;
}

export interface TeacherRoutesOptions {
  servedModelName: string;
  /** Share of near-ties a prefill flips (constants.ts: DEFAULT_PREFILL_TIE_FLIPS). */
  prefillTieFlips: number;
  /** The engine's behaviour for what a completion generates. */
  behaviour: EngineBehaviour | null;
}

const lossy = new TextDecoder("utf-8");

/** The handlers of `/tokenize` and `/v1/completions`. */
export class TeacherRoutes {
  private readonly idPrefix = `cmpl-${randomBytes(6).toString("hex")}-`;
  private nextId = 0;
  /** id → its text as vLLM decodes one token (a partial character as U+FFFD). */
  private readonly decoded: (string | undefined)[] = [];
  private readonly modelJson: string;

  constructor(
    private readonly model: SyntheticModel,
    private readonly engine: Engine,
    private readonly encoder: PromptEncoder,
    private readonly opts: TeacherRoutesOptions,
  ) {
    this.modelJson = JSON.stringify(opts.servedModelName);
  }

  /** `POST /tokenize`'s answer body. */
  tokenize(json: unknown): string {
    const parsed = TokenizeRequestSchema.safeParse(json);
    if (!parsed.success) throw invalidBody(parsed.error);
    const req = parsed.data;
    checkModel(req.model, this.opts.servedModelName);
    const text =
      req.messages !== undefined
        ? renderChatPrompt(req.messages, {
            addGenerationPrompt: req.add_generation_prompt ?? !req.continue_final_message,
            continueFinalMessage: req.continue_final_message === true,
          })
        : (req.prompt as string);
    const tokens = this.encoder.encode(text);
    return `{"count":${tokens.length},"max_model_len":${MAX_MODEL_LEN},"tokens":[${tokens.join(",")}],"token_strs":null}`;
  }

  /** `POST /v1/completions`: answers through `res` once the engine has run it; `fail` answers an
   *  error that comes up on the way. */
  complete(json: unknown, res: ServerResponse, fail: (err: unknown) => void): void {
    const parsed = CompletionRequestSchema.safeParse(json);
    if (!parsed.success) throw invalidBody(parsed.error);
    const req = parsed.data;
    checkModel(req.model, this.opts.servedModelName);
    const ids = typeof req.prompt === "string" ? this.encoder.encode(req.prompt) : req.prompt;
    this.checkIds(ids);
    const room = MAX_MODEL_LEN - ids.length;
    const maxTokens = req.max_tokens ?? Math.min(DEFAULT_COMPLETION_TOKENS, room);
    if (room <= 0 || maxTokens > room)
      throw new HttpError(
        400,
        `This model's maximum context length is ${MAX_MODEL_LEN} tokens; the prompt has ${ids.length} and ${maxTokens} more were requested.`,
        { fields: { param: req.max_tokens == null ? "prompt" : "max_tokens" } },
      );
    const gen = new Generation(
      this.model,
      ids,
      samplingParams(req, maxTokens),
      this.opts.behaviour,
    );
    const id = `${this.idPrefix}${(this.nextId++).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const k = req.prompt_logprobs;
    const n = req.logprobs;
    let promptLogprobs = "null";
    let started = false;
    let text = "";
    const emitted: EmittedToken[] = [];
    let finished = false;
    const job: EngineJob = {
      promptTokens: ids.length,
      blocked: false,
      step: () => {
        if (!started) {
          started = true; // the prefill: the prompt is scored here
          if (k != null) promptLogprobs = this.promptLogprobsJson(ids, k);
        }
        gen.step();
        for (const t of gen.released) {
          text += t.text;
          emitted.push(t);
        }
        gen.released.length = 0;
        if (!gen.finished) return false;
        finished = true;
        text += gen.tailText;
        const logprobs = n == null ? "null" : this.logprobsJson(emitted, n);
        const c = gen.emitted;
        const usage = `{"prompt_tokens":${ids.length},"total_tokens":${ids.length + c},"completion_tokens":${c},"prompt_tokens_details":null}`;
        const choice = `{"index":0,"text":${JSON.stringify(text)},"logprobs":${logprobs},"finish_reason":"${gen.finishReason}","stop_reason":null,"prompt_logprobs":${promptLogprobs}}`;
        send(
          res,
          200,
          "application/json",
          `{"id":"${id}","object":"text_completion","created":${created},"model":${this.modelJson},"choices":[${choice}],"service_tier":null,"system_fingerprint":null,"usage":${usage},"kv_transfer_params":null}`,
        );
        return true;
      },
      failed: (err) => {
        finished = true;
        fail(err);
      },
    };
    res.on("close", () => {
      if (!finished) this.engine.cancel(job);
    });
    this.engine.submit(job);
  }

  private checkIds(ids: readonly number[]): void {
    const vocab = this.model.vocab;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id >= vocab.size || !hasBytes(this.model, id))
        throw new HttpError(
          400,
          `prompt: token id ${id} at position ${i} is not in the vocabulary (${vocab.size} ids)`,
          { fields: { param: "prompt" } },
        );
    }
  }

  private decodedText(id: number): string {
    let s = this.decoded[id];
    if (s === undefined) {
      s = lossy.decode(this.model.vocab.bytes(id));
      this.decoded[id] = s;
    }
    return s;
  }

  private decodedJson(id: number): string {
    return JSON.stringify(this.decodedText(id));
  }

  private promptLogprobsJson(ids: readonly number[], k: number): string {
    const parts: string[] = [];
    for (const entries of scorePrompt(this.model, ids, k, this.opts.prefillTieFlips)) {
      if (entries === null) {
        parts.push("null");
        continue;
      }
      let s = "{";
      for (let j = 0; j < entries.length; j++) {
        const e = entries[j] as PromptTokenScore;
        s += `${j === 0 ? "" : ","}"${e.id}":{"logprob":${e.logprob},"rank":${e.rank},"decoded_token":${this.decodedJson(e.id)}}`;
      }
      parts.push(`${s}}`);
    }
    return `[${parts.join(",")}]`;
  }

  /** vLLM's CompletionLogProbs: per token its text offset, logprob and text, and a map of the
   *  token and the top `n` (by decoded text, first place kept, as a Python dict does). */
  private logprobsJson(tokens: readonly EmittedToken[], n: number): string {
    const offsets: number[] = [];
    const values: string[] = [];
    const texts: string[] = [];
    const tops: string[] = [];
    let offset = 0;
    for (const t of tokens) {
      offsets.push(offset);
      const decoded = this.decodedJson(t.id);
      offset += [...this.decodedText(t.id)].length; // Python counts code points
      const value = t.dist.logprobText[t.rank] as string;
      values.push(value);
      texts.push(decoded);
      const top = new Map<string, string>([[decoded, value]]);
      for (let j = 0; j < n; j++)
        top.set(this.decodedJson(t.dist.ids[j] as number), t.dist.logprobText[j] as string);
      tops.push(`{${[...top].map(([key, v]) => `${key}:${v}`).join(",")}}`);
    }
    return `{"text_offset":[${offsets.join(",")}],"token_logprobs":[${values.join(",")}],"tokens":[${texts.join(",")}],"top_logprobs":[${tops.join(",")}]}`;
  }
}

/** Whether the vocabulary has bytes for `id` (a partial UTF-8 token has no text, but bytes). */
function hasBytes(model: SyntheticModel, id: number): boolean {
  try {
    model.vocab.bytes(id);
    return true;
  } catch {
    return false;
  }
}
