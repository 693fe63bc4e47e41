// `cacheon contract check`: probes every requirement of DESIGN §2.1 against a running server and
// returns pass/fail per requirement with the evidence. The probes are independent requests, so a
// failure names one requirement instead of cascading. They stream through the harness's client, so
// they sit above it, in a folder of their own, not in contract/ (the contract's types and parsers).
import { Agent } from "undici";
import { fetchJson, fetchText } from "../contract/http.js";
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from "../contract/limits.js";
import {
  type ChatCompletionRequest,
  ChatCompletionResponseSchema,
  ModelListSchema,
  type TokenLogprob,
} from "../contract/schemas.js";
import { clip } from "../contract/stream.js";
import { type StreamResult, streamChat } from "../harness/client.js";

export const REQUIREMENTS = {
  health: "GET /health answers 200",
  models: "GET /v1/models lists the served model",
  stream: "streaming chat completion (SSE chunks, then [DONE])",
  non_stream: "non-streaming chat completion, same greedy text as streaming",
  logprobs: "logprobs: every token once, with top_logprobs",
  greedy: "greedy decoding is deterministic",
  max_tokens: "max_tokens and max_completion_tokens respected",
  fixed_length: "ignore_eos with min_tokens gives fixed-length output",
  stop: "stop strings end the output",
  usage: "usage reported (stream_options.include_usage)",
  sampling: "temperature, top_p and seed accepted",
} as const;
export type RequirementId = keyof typeof REQUIREMENTS;

export interface ProbeResult {
  id: RequirementId;
  title: string;
  passed: boolean;
  evidence: string;
}

export interface ContractReport {
  endpoint: string;
  model: string | null;
  passed: boolean;
  results: ProbeResult[];
}

export interface ContractCheckOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8000 */
  endpoint: string;
  /** The model name to send; default: the first one /v1/models lists. */
  model?: string;
  /** Deadline of each probe request. */
  timeoutMs?: number;
  /** Caps on what the server may send (default: DEFAULT_RESPONSE_LIMITS, the arena's defaults). */
  limits?: ResponseLimits;
  onResult?: (r: ProbeResult) => void;
}

const TOP_LOGPROBS = 5;
const PROMPT = [
  { role: "system" as const, content: "You are a concise assistant." },
  { role: "user" as const, content: "Describe how a lighthouse keeper spends a stormy night." },
];

class ProbeFailure extends Error {}
function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ProbeFailure(message);
}

export async function checkContract(opts: ContractCheckOptions): Promise<ContractReport> {
  const origin = opts.endpoint.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const limits = opts.limits ?? DEFAULT_RESPONSE_LIMITS;
  const info = { timeoutMs, maxBytes: limits.maxInfoBodyBytes };
  const dispatcher = new Agent({ connections: 4 });
  const results: ProbeResult[] = [];
  let model = opts.model ?? null;

  const run = async (id: RequirementId, probe: () => Promise<string>) => {
    let r: ProbeResult;
    try {
      r = { id, title: REQUIREMENTS[id], passed: true, evidence: await probe() };
    } catch (err) {
      const message = err instanceof ProbeFailure ? err.message : `probe error: ${String(err)}`;
      r = { id, title: REQUIREMENTS[id], passed: false, evidence: message };
    }
    results.push(r);
    opts.onResult?.(r);
  };
  const chat = (body: Partial<ChatCompletionRequest>) =>
    streamChat({
      dispatcher,
      origin,
      deadlineMs: timeoutMs,
      limits,
      body: { model: model ?? "", messages: PROMPT, temperature: 0, ...body },
    });
  const nonStream = (body: Partial<ChatCompletionRequest>) =>
    fetchJson(
      `${origin}/v1/chat/completions`,
      ChatCompletionResponseSchema,
      {
        method: "POST",
        timeoutMs,
        maxBytes: limits.maxResponseBytes,
        capName: "limits.maxResponseBytes",
        body: { model, messages: PROMPT, temperature: 0, stream: false, ...body },
      },
      dispatcher,
    );

  try {
    await run("health", async () => {
      // vLLM answers /health with an empty body: only the status matters.
      const res = await fetchText(`${origin}/health`, info, dispatcher);
      check(res.ok, res.ok ? "" : res.reason);
      return "200";
    });

    await run("models", async () => {
      const res = await fetchJson(`${origin}/v1/models`, ModelListSchema, info, dispatcher);
      check(res.ok, res.ok ? "" : res.reason);
      const ids = res.value.data.map((m) => m.id);
      check(ids.length > 0, "the model list is empty");
      if (model !== null)
        check(ids.includes(model), `${model} is not listed (listed: ${ids.join(", ")})`);
      model ??= ids[0] as string;
      return `lists ${ids.join(", ")}`;
    });
    if (model === null) model = "unknown";

    let reference: StreamResult | null = null;
    await run("stream", async () => {
      const r = await chat({ max_tokens: 48 });
      expectOk(r);
      check(r.text.length > 0, "the stream carried no generated text");
      check(r.finishReason !== null, "no chunk carried a finish_reason");
      reference = r;
      return `${r.text.length} chars, finish_reason ${r.finishReason}, TTFT ${ttftMs(r)} ms`;
    });

    await run("non_stream", async () => {
      const res = await nonStream({ max_tokens: 48 });
      check(res.ok, res.ok ? "" : res.reason);
      const text = res.value.choices[0]?.message.content ?? "";
      check(text.length > 0, "the response has no content");
      if (reference) {
        const ref: StreamResult = reference;
        check(
          text === ref.text,
          `text differs from the streamed greedy text at char ${firstDiff(text, ref.text)}`,
        );
      }
      return `${text.length} chars, finish_reason ${res.value.choices[0]?.finish_reason}`;
    });

    await run("logprobs", async () => {
      const r = await chat({ max_tokens: 32, logprobs: true, top_logprobs: TOP_LOGPROBS });
      expectOk(r);
      check(r.logprobs.length > 0, "no logprobs.content entries in the stream");
      const joined = r.logprobs.map((t) => t.token).join("");
      check(
        joined === r.text,
        `logprobs tokens concatenate to a different text than the stream (first difference at char ${firstDiff(joined, r.text)})`,
      );
      r.logprobs.forEach(checkEntry);
      return `${r.logprobs.length} tokens, each with ${TOP_LOGPROBS} top_logprobs; tokens concatenate to the text`;
    });

    await run("greedy", async () => {
      const body = { max_tokens: 64, logprobs: true, top_logprobs: 1, ignore_eos: true };
      const [a, b] = await Promise.all([chat(body), chat(body)]);
      expectOk(a);
      expectOk(b);
      const ta = a.logprobs.map((t) => t.token);
      const tb = b.logprobs.map((t) => t.token);
      const at = firstDiffArr(ta, tb);
      check(
        at === -1,
        `two identical greedy requests diverge at token ${at}: ${show(ta[at])} vs ${show(tb[at])}`,
      );
      let maxErr = 0;
      for (let i = 0; i < ta.length; i++) {
        maxErr = Math.max(
          maxErr,
          Math.abs((a.logprobs[i]?.logprob ?? 0) - (b.logprobs[i]?.logprob ?? 0)),
        );
      }
      return `${ta.length} identical tokens twice; max logprob difference ${maxErr.toExponential(2)}`;
    });

    await run("max_tokens", async () => {
      const a = await chat({ max_tokens: 7, logprobs: true, ignore_eos: true });
      expectOk(a);
      check(a.logprobs.length === 7, `max_tokens=7 (ignore_eos) gave ${a.logprobs.length} tokens`);
      check(a.finishReason === "length", `finish_reason ${a.finishReason}, expected length`);
      const b = await chat({ max_completion_tokens: 5, logprobs: true, ignore_eos: true });
      expectOk(b);
      check(
        b.logprobs.length === 5,
        `max_completion_tokens=5 (ignore_eos) gave ${b.logprobs.length} tokens`,
      );
      return "7 and 5 tokens, finish_reason length";
    });

    await run("fixed_length", async () => {
      const r = await chat({ max_tokens: 40, min_tokens: 40, ignore_eos: true, logprobs: true });
      expectOk(r);
      check(r.logprobs.length === 40, `asked for exactly 40 tokens, got ${r.logprobs.length}`);
      return "exactly 40 tokens";
    });

    await run("stop", async () => {
      const full = await chat({ max_tokens: 40, ignore_eos: true, logprobs: true });
      expectOk(full);
      // A stop string taken from the middle of the greedy output: the output must end right before it.
      const tokens = full.logprobs.map((t) => t.token);
      const pick = tokens.findIndex((t, i) => i >= 8 && t.trim().length >= 2);
      check(pick !== -1, "greedy output too short to pick a stop string from");
      const stop = tokens[pick] as string;
      const expected = full.text.slice(0, full.text.indexOf(stop));
      const r = await chat({ max_tokens: 40, ignore_eos: true, stop: [stop] });
      expectOk(r);
      check(
        r.text === expected,
        `with stop ${show(stop)} the output was ${show(clip(r.text, 80))}, expected ${show(clip(expected, 80))}`,
      );
      check(r.finishReason === "stop", `finish_reason ${r.finishReason}, expected stop`);
      return `stop ${show(stop)} ended the output after ${expected.length} chars`;
    });

    await run("usage", async () => {
      const r = await streamChat({
        dispatcher,
        origin,
        deadlineMs: timeoutMs,
        limits,
        body: {
          model: model ?? "",
          messages: PROMPT,
          temperature: 0,
          max_tokens: 16,
          logprobs: true,
          stream_options: { include_usage: true },
        },
      });
      expectOk(r);
      check(r.usage !== null, "no usage chunk although stream_options.include_usage was set");
      check(r.usage.prompt_tokens > 0, "usage.prompt_tokens is 0");
      check(
        r.usage.completion_tokens === r.logprobs.length,
        `usage.completion_tokens=${r.usage.completion_tokens} but ${r.logprobs.length} tokens were streamed`,
      );
      return `prompt_tokens ${r.usage.prompt_tokens}, completion_tokens ${r.usage.completion_tokens}`;
    });

    await run("sampling", async () => {
      const r = await chat({ temperature: 0.7, top_p: 0.9, seed: 1234, max_tokens: 16 });
      expectOk(r);
      return `accepted; ${r.text.length} chars`;
    });
  } finally {
    await dispatcher.close();
  }
  return { endpoint: origin, model, passed: results.every((r) => r.passed), results };
}

function expectOk(r: StreamResult): void {
  check(r.ok, `request failed (${r.failure?.kind}): ${r.failure?.message}`);
}

function checkEntry(e: TokenLogprob, i: number): void {
  check(e.logprob <= 0, `token ${i} has logprob ${e.logprob} > 0`);
  check(
    e.top_logprobs.length === TOP_LOGPROBS,
    `token ${i} has ${e.top_logprobs.length} top_logprobs, asked for ${TOP_LOGPROBS}`,
  );
  const best = Math.max(...e.top_logprobs.map((t) => t.logprob));
  check(
    e.logprob >= best - 1e-4,
    `greedy token ${i} ${show(e.token)} (logprob ${e.logprob}) is not the top-1 (${best})`,
  );
  if (e.bytes !== null && !e.token.startsWith("bytes:")) {
    const utf8 = [...Buffer.from(e.token, "utf8")];
    check(
      utf8.length === e.bytes.length && utf8.every((b, k) => b === e.bytes?.[k]),
      `token ${i} ${show(e.token)}: bytes do not match its UTF-8`,
    );
  }
}

function ttftMs(r: StreamResult): string {
  if (r.sentNs === null || r.firstTokenNs === null) return "?";
  return (Number(r.firstTokenNs - r.sentNs) / 1e6).toFixed(1);
}

function firstDiff(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function firstDiffArr(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function show(s: string | undefined): string {
  return s === undefined ? "<none>" : JSON.stringify(s);
}
