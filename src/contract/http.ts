// Small HTTP helpers for the contract probes: every call has a deadline and returns a value or a
// one-line reason; nothing a server sends makes them throw. A body is read only up to its cap: past
// it the connection is closed and the call fails with `tooLarge` set, so memory stays bounded.
import { type Dispatcher, getGlobalDispatcher, request } from "undici";
import type { z } from "zod";
import { DEFAULT_RESPONSE_LIMITS, formatBytes } from "./limits.js";

/**
 * `unreachable` is set when no HTTP answer came at all (as opposed to a bad one); `tooLarge` when
 * the body went past its cap.
 */
export type Fetched<T> =
  | { ok: true; status: number; value: T }
  | { ok: false; reason: string; unreachable?: boolean; tooLarge?: boolean };

/** A transport error as a person would say it. */
export function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string };
  switch (e.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
      return "host not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connect timed out";
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return "no answer in time";
    default:
      if (e.name === "TimeoutError" || e.name === "AbortError") return "no answer in time";
      return `${e.code ?? e.name}: ${e.message}`;
  }
}

interface Init {
  method?: "GET" | "POST";
  body?: unknown;
  timeoutMs: number;
  /** Cap on the body's bytes (default: DEFAULT_RESPONSE_LIMITS.maxInfoBodyBytes). */
  maxBytes?: number;
  /** The arena setting the cap comes from, for the reason (default: limits.maxInfoBodyBytes). */
  capName?: string;
}

/** The response body as text when the status is 200. */
export async function fetchText(
  url: string,
  init: Init,
  dispatcher: Dispatcher = getGlobalDispatcher(),
): Promise<Fetched<string>> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      dispatcher,
      method: init.method ?? "GET",
      headers: init.body === undefined ? {} : { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      headersTimeout: init.timeoutMs,
      bodyTimeout: init.timeoutMs,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    return { ok: false, reason: describeNetworkError(err), unreachable: true };
  }
  const maxBytes = init.maxBytes ?? DEFAULT_RESPONSE_LIMITS.maxInfoBodyBytes;
  const parts: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const part of res.body) {
      bytes += (part as Buffer).length;
      if (bytes > maxBytes) {
        res.body.destroy();
        const cap = init.capName ?? "limits.maxInfoBodyBytes";
        return {
          ok: false,
          tooLarge: true,
          reason: `HTTP ${res.statusCode} with a body over the ${formatBytes(maxBytes)} cap (${cap})`,
        };
      }
      parts.push(part as Buffer);
    }
  } catch (err) {
    return { ok: false, reason: `body could not be read: ${(err as Error).message}` };
  }
  // As undici's body.text(): UTF-8, a leading BOM dropped.
  const text = new TextDecoder().decode(Buffer.concat(parts, bytes));
  if (res.statusCode !== 200) {
    return { ok: false, reason: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
  }
  return { ok: true, status: res.statusCode, value: text };
}

/** The response body parsed as JSON and checked by `schema`, when the status is 200. */
export async function fetchJson<S extends z.ZodType>(
  url: string,
  schema: S,
  init: Init,
  dispatcher: Dispatcher = getGlobalDispatcher(),
): Promise<Fetched<z.infer<S>>> {
  const res = await fetchText(url, init, dispatcher);
  if (!res.ok) return res;
  let json: unknown;
  try {
    json = JSON.parse(res.value);
  } catch {
    return { ok: false, reason: `body is not JSON: ${res.value.slice(0, 120)}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `body breaks the schema at ${issue?.path.join(".") || "<root>"}: ${issue?.message}`,
    };
  }
  return { ok: true, status: res.status, value: parsed.data };
}
