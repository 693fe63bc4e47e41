// Small HTTP helpers for the contract probes: every call has a deadline and returns a value or a
// one-line reason; nothing a server sends makes them throw.
import { type Dispatcher, request } from "undici";
import type { z } from "zod";

export type Fetched<T> = { ok: true; status: number; value: T } | { ok: false; reason: string };

interface Init {
  method?: "GET" | "POST";
  body?: unknown;
  timeoutMs: number;
}

/** The response body as text when the status is 200. */
export async function fetchText(
  dispatcher: Dispatcher,
  url: string,
  init: Init,
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
    const e = err as { code?: string; message: string; name: string };
    return { ok: false, reason: `request failed: ${e.code ?? e.name}: ${e.message}` };
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    return { ok: false, reason: `body could not be read: ${(err as Error).message}` };
  }
  if (res.statusCode !== 200) {
    return { ok: false, reason: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` };
  }
  return { ok: true, status: res.statusCode, value: text };
}

/** The response body parsed as JSON and checked by `schema`, when the status is 200. */
export async function fetchJson<S extends z.ZodType>(
  dispatcher: Dispatcher,
  url: string,
  schema: S,
  init: Init,
): Promise<Fetched<z.infer<S>>> {
  const res = await fetchText(dispatcher, url, init);
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
