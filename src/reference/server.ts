// The reference inference server: an OpenAI-compatible HTTP server (the subset DESIGN §2.1 pins,
// streamed the way vLLM streams) in front of the synthetic model and the batching engine. It is the
// demo's miners and baseline, the tests' server and a miner's template; it is not a real LLM.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostPort } from "../contract/host.js";
import {
  answerClientErrors,
  lastResort,
  parseTarget,
  type ServerErrorReporter,
  stderrReporter,
} from "../contract/http-server.js";
import {
  closeServer,
  HttpError,
  listen,
  parseJsonBody,
  readBody,
  send,
} from "../contract/http-toolkit.js";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  requestedMaxTokens,
} from "../contract/schemas.js";
import { loadVocabulary } from "../contract/tokenizer.js";
import type { EngineBehaviour } from "./behaviour.js";
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_PREFILL_TIE_FLIPS,
  DEFAULT_SERVED_MODEL_NAME,
  MAX_BODY_BYTES,
  MAX_MODEL_LEN,
  MAX_TIMINGS,
} from "./constants.js";
import { Engine, type EngineJob, type EngineStats } from "./engine.js";
import { Fragments } from "./format.js";
import {
  type EmittedToken,
  Generation,
  type GenerationParams,
  samplingParams,
} from "./generation.js";
import { createModel, type SyntheticModel, TOP_K } from "./model.js";
import { resolveProfile, type SpeedProfile } from "./profile.js";
import { PromptEncoder, renderChatPrompt } from "./prompt.js";
import { checkModel, invalidBody } from "./request-error.js";
import { TeacherRoutes } from "./teacher.js";
import { behaviourOf, modelOf, type ServerVariant } from "./variants.js";

export interface ReferenceServerOptions {
  host?: string;
  port?: number;
  /** A speed profile, or a profile name / JSON file path. */
  profile: SpeedProfile | string;
  /** The model's or the engine's variant (variants.ts). Default none. */
  variant?: ServerVariant;
  /** Model seed (servers that must agree use the same one). Default 0. */
  seed?: number;
  /** Moves an engine variant's choices (which requests fork, where it misbehaves). Default 0. */
  variantSeed?: number;
  /** Share of near-ties at which prompt_logprobs (a prefill) ranks the runner-up first. */
  prefillTieFlips?: number;
  /** Directory with tokenizer.json; default: the packaged Qwen vocabulary. */
  modelDir?: string;
  servedModelName?: string;
  /** Record receive / first-token times per completion id, served at GET /debug/timings. */
  recordTimings?: boolean;
}

export interface ReferenceServer {
  url: string;
  port: number;
  /** The engine's counters: active and queued sequences, steps run, tokens generated. */
  stats(): EngineStats;
  close(): Promise<void>;
}

interface Timing {
  receivedNs: bigint;
  firstTokenNs: bigint | null;
}

export async function startReferenceServer(opts: ReferenceServerOptions): Promise<ReferenceServer> {
  const profile = typeof opts.profile === "string" ? resolveProfile(opts.profile) : opts.profile;
  const vocab = loadVocabulary(opts.modelDir);
  const variant = opts.variant ?? "none";
  const model = createModel({ vocab, ...modelOf(variant, opts.seed ?? 0) });
  const engine = new Engine(profile);
  const report = stderrReporter("reference server");
  const app = new ReferenceApp(model, engine, {
    servedModelName: opts.servedModelName ?? DEFAULT_SERVED_MODEL_NAME,
    recordTimings: opts.recordTimings ?? false,
    report,
    behaviour: behaviourOf(variant, model, opts.variantSeed ?? 0),
    prefillTieFlips: opts.prefillTieFlips ?? DEFAULT_PREFILL_TIE_FLIPS,
  });
  const server = createServer({ noDelay: true, keepAlive: true }, lastResort(app.handle, report));
  answerClientErrors(server, report);
  server.keepAliveTimeout = 65_000;
  server.on("connection", (socket) => socket.setNoDelay(true));
  const host = opts.host ?? "127.0.0.1";
  const port = await listen(server, { host, port: opts.port ?? 0, backlog: 4096 });
  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostPort(host, port)}`,
    port,
    stats: () => engine.stats(),
    close: () => {
      if (!closing) {
        app.close();
        closing = closeServer(server);
      }
      return closing;
    },
  };
}

class ReferenceApp {
  private readonly fragments: Fragments;
  private readonly encoder: PromptEncoder;
  private readonly modelJson: string;
  private readonly idPrefix = `chatcmpl-${randomBytes(6).toString("hex")}-`;
  private nextId = 0;
  private readonly timings: Map<string, Timing> | null;
  private readonly teacher: TeacherRoutes;

  constructor(
    private readonly model: SyntheticModel,
    private readonly engine: Engine,
    private readonly opts: {
      servedModelName: string;
      recordTimings: boolean;
      report: ServerErrorReporter;
      behaviour: EngineBehaviour | null;
      prefillTieFlips: number;
    },
  ) {
    this.fragments = new Fragments(model.vocab);
    this.encoder = new PromptEncoder(model.vocab);
    this.teacher = new TeacherRoutes(model, engine, this.encoder, opts);
    this.modelJson = JSON.stringify(opts.servedModelName);
    this.timings = opts.recordTimings ? new Map() : null;
  }

  close(): void {
    this.engine.close();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const target = parseTarget(req.url);
      if (!target.ok) throw new HttpError(target.status, target.message);
      const path = target.path;
      if (path === "/v1/chat/completions") {
        if (req.method !== "POST") throw new HttpError(405, "use POST for /v1/chat/completions");
        this.chat(req, res).catch((err: unknown) => this.fail(req, res, err));
        return;
      }
      if (path === "/tokenize" || path === "/v1/completions") {
        if (req.method !== "POST") throw new HttpError(405, `use POST for ${path}`);
        this.teach(path, req, res).catch((err: unknown) => this.fail(req, res, err));
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD")
        throw new HttpError(405, `method ${req.method} not allowed for ${path}`);
      if (path === "/health") {
        res.writeHead(200, { "content-length": "0" }).end();
      } else if (path === "/v1/models") {
        sendJson(res, 200, this.modelList());
      } else if (path === "/debug/timings" && this.timings) {
        sendJson(res, 200, this.timingsJson());
      } else {
        throw new HttpError(404, `no route ${path}`, { fields: { code: "not_found" } });
      }
    } catch (err) {
      this.fail(req, res, err);
    }
  };

  /** Answers an error as OpenAI shapes it; one that is no HttpError is reported too. */
  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (!(err instanceof HttpError)) this.opts.report(err, req);
    sendError(res, err);
  }

  private modelList(): string {
    return JSON.stringify({
      object: "list",
      data: [
        {
          id: this.opts.servedModelName,
          object: "model",
          created: Math.floor(Date.now() / 1000),
          owned_by: "cacheon-reference",
          root: this.opts.servedModelName,
          max_model_len: MAX_MODEL_LEN,
        },
      ],
    });
  }

  private timingsJson(): string {
    const out: Record<string, { receivedNs: string; firstTokenNs: string | null }> = {};
    for (const [id, t] of this.timings ?? []) {
      out[id] = {
        receivedNs: t.receivedNs.toString(),
        firstTokenNs: t.firstTokenNs === null ? null : t.firstTokenNs.toString(),
      };
    }
    return JSON.stringify(out);
  }

  private async chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    // Received: the whole body is in, before any parsing.
    const receivedNs = process.hrtime.bigint();
    this.complete(parseRequest(parseJsonBody(body), this.opts.servedModelName), res, receivedNs);
  }

  /** The teacher's routes (teacher.ts). */
  private async teach(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
    if (path === "/tokenize") sendJson(res, 200, this.teacher.tokenize(json));
    else this.teacher.complete(json, res, (err) => this.fail(req, res, err));
  }

  private complete(req: ChatCompletionRequest, res: ServerResponse, receivedNs: bigint): void {
    const promptIds = this.encoder.encode(renderChatPrompt(req.messages));
    const params = generationParams(req, promptIds.length);
    const gen = new Generation(this.model, promptIds, params, this.opts.behaviour);
    const id = `${this.idPrefix}${(this.nextId++).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const logprobs = req.logprobs === true;
    const topN = logprobs ? (req.top_logprobs ?? 0) : 0;
    let timing: Timing | null = null;
    if (this.timings) {
      timing = { receivedNs, firstTokenNs: null };
      this.timings.set(id, timing);
      if (this.timings.size > MAX_TIMINGS) {
        const oldest = this.timings.keys().next().value;
        if (oldest !== undefined) this.timings.delete(oldest);
      }
    }
    const usage = (): string => {
      const p = promptIds.length;
      const c = gen.emitted;
      return `{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}`;
    };
    const engine = this.engine;
    const fragments = this.fragments;

    if (req.stream === true) {
      const includeUsage = req.stream_options?.include_usage === true;
      const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${this.modelJson},"choices":[`;
      const tokenHead = `${head}{"index":0,"delta":{"content":`;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
      });
      res.write(
        `${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`,
      );
      let finished = false;
      const job: EngineJob = {
        promptTokens: promptIds.length,
        blocked: false,
        step: () => {
          gen.step();
          let out = "";
          let hasToken = false;
          const released = gen.released;
          if (released.length > 0 || gen.tailText.length > 0) {
            let content: string;
            if (released.length === 1 && gen.tailText.length === 0) {
              content = fragments.content((released[0] as EmittedToken).id);
            } else {
              let text = "";
              for (const t of released) text += t.text;
              content = JSON.stringify(text + gen.tailText);
            }
            let lp = "null";
            if (logprobs) {
              lp = '{"content":[';
              for (let i = 0; i < released.length; i++) {
                lp += `${i === 0 ? "" : ","}${fragments.entry(released[i] as EmittedToken, topN)}`;
              }
              lp += "]}";
            }
            out = `${tokenHead}${content}},"logprobs":${lp},"finish_reason":null}]}\n\n`;
            released.length = 0;
            hasToken = true;
          }
          if (gen.finished) {
            finished = true;
            out += `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${gen.finishReason}"}]}\n\n`;
            if (includeUsage) out += `${head}],"usage":${usage()}}\n\n`;
            out += "data: [DONE]\n\n";
            res.end(pending + out);
            pending = "";
            if ((hasToken || sentToken) && timing && timing.firstTokenNs === null)
              timing.firstTokenNs = process.hrtime.bigint();
            return true;
          }
          if (hasToken) {
            // Sent at the end of this tick: with the instant profile several steps run in one tick,
            // and their chunks then cost one write (the bytes on the wire are the same).
            if (pending.length === 0) process.nextTick(flush);
            pending += out;
          }
          return false;
        },
        failed: (err) => {
          finished = true;
          process.stderr.write(`reference server: generation failed: ${String(err)}\n`);
          res.destroy();
        },
      };
      let pending = "";
      let sentToken = false;
      const flush = () => {
        if (pending.length === 0) return; // ended meanwhile
        const ok = res.write(pending);
        pending = "";
        sentToken = true;
        if (timing && timing.firstTokenNs === null) timing.firstTokenNs = process.hrtime.bigint();
        if (!ok) {
          job.blocked = true;
          res.once("drain", unblock);
        }
      };
      const unblock = () => {
        job.blocked = false;
        engine.wake();
      };
      res.on("close", () => {
        if (!finished) engine.cancel(job);
      });
      engine.submit(job);
      return;
    }

    // Non-streaming: the same engine job; the body is written once, at the end.
    let text = "";
    const entries: string[] = [];
    let finished = false;
    const job: EngineJob = {
      promptTokens: promptIds.length,
      blocked: false,
      step: () => {
        gen.step();
        if (gen.released.length > 0) {
          if (timing && timing.firstTokenNs === null) timing.firstTokenNs = process.hrtime.bigint();
          for (const t of gen.released) {
            text += t.text;
            if (logprobs) entries.push(fragments.entry(t, topN));
          }
          gen.released.length = 0;
        }
        if (!gen.finished) return false;
        finished = true;
        text += gen.tailText;
        const lp = logprobs ? `{"content":[${entries.join(",")}]}` : "null";
        const body = `{"id":"${id}","object":"chat.completion","created":${created},"model":${this.modelJson},"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)}},"logprobs":${lp},"finish_reason":"${gen.finishReason}"}],"usage":${usage()}}`;
        sendJson(res, 200, body);
        return true;
      },
      failed: (err) => {
        finished = true;
        sendError(res, err);
      },
    };
    res.on("close", () => {
      if (!finished) engine.cancel(job);
    });
    engine.submit(job);
  }
}

/** Checks a chat-completion body; throws HttpError (400/404) naming the problem. */
function parseRequest(json: unknown, servedModelName: string): ChatCompletionRequest {
  const parsed = ChatCompletionRequestSchema.safeParse(json);
  if (!parsed.success) throw invalidBody(parsed.error);
  const req = parsed.data;
  checkModel(req.model, servedModelName);
  if (req.n !== undefined && req.n !== null && req.n > 1)
    throw new HttpError(400, "n > 1 is not supported", { fields: { param: "n" } });
  if (req.top_logprobs !== undefined && req.top_logprobs !== null && req.top_logprobs > 0) {
    if (req.logprobs !== true)
      throw new HttpError(400, "top_logprobs requires logprobs to be true", {
        fields: { param: "top_logprobs" },
      });
  }
  if ((req.top_logprobs ?? 0) > TOP_K)
    throw new HttpError(400, `top_logprobs must be at most ${TOP_K}`, {
      fields: { param: "top_logprobs" },
    });
  const max = requestedMaxTokens(req);
  if (max !== undefined && req.min_tokens != null && req.min_tokens > max) {
    throw new HttpError(400, `min_tokens (${req.min_tokens}) must not exceed max_tokens (${max})`, {
      fields: { param: "min_tokens" },
    });
  }
  return req;
}

function generationParams(req: ChatCompletionRequest, promptTokens: number): GenerationParams {
  const room = MAX_MODEL_LEN - promptTokens;
  const asked = requestedMaxTokens(req);
  if (room <= 0 || (asked !== undefined && asked > room)) {
    throw new HttpError(
      400,
      `This model's maximum context length is ${MAX_MODEL_LEN} tokens; the prompt has ${promptTokens} and ${asked ?? 1} more were requested.`,
      { fields: { param: asked === undefined ? "messages" : "max_tokens" } },
    );
  }
  return samplingParams(req, asked ?? Math.min(DEFAULT_MAX_TOKENS, room));
}

/** Sends JSON already written out (the completions are, piece by piece), as vLLM does: no newline. */
function sendJson(res: ServerResponse, status: number, body: string): void {
  send(res, status, "application/json", body);
}

/** An error as OpenAI's API answers it: `{error: {message, type, param, code}}`. */
function sendError(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof HttpError
      ? err
      : new HttpError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const type = e.status >= 500 ? "server_error" : "invalid_request_error";
  const error = { message: e.message, type, param: null, code: null, ...e.extra.fields };
  send(res, e.status, "application/json", JSON.stringify({ error }), e.extra.headers);
}
