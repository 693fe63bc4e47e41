// The validator's HTTP server (`--http`): the read-only API, the dashboard, /metrics and /healthz.
// Everything is GET (or HEAD); any origin may read the API (it is public data); each client address
// is rate limited so a watcher polling hard cannot slow the loop this process also runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Registry } from "prom-client";
import type { ZodType } from "zod";
import type { KingRules } from "../score/margin.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { ValidatorStore } from "../store/store.js";
import { historyView, SubmissionsQuerySchema, stateView, submissionsPage } from "./api.js";
import { APP_JS, STYLE_CSS } from "./assets.js";
import { EvalReader } from "./evals.js";
import { openApiDocument } from "./openapi.js";
import { dashboardPage, errorPage, evalPage } from "./pages.js";
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitRules } from "./rate-limit.js";
import { redactor } from "./redact.js";

const gz = promisify(gzip);

export interface WebOptions {
  store: ValidatorStore;
  artifacts: ArtifactStore;
  /** Prometheus metrics served at /metrics (absent: 404). */
  registry?: Registry;
  arena: string;
  rules: KingRules;
  /** Names never to serve (the pods' URLs), replaced in every answer. */
  redact: readonly string[];
  version: string;
  rateLimit?: RateLimitRules;
  now?: () => number;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The query string as an object, parsed by `schema`; a repeated or unknown parameter is a 400. */
function query<T>(url: URL, schema: ZodType<T>): T {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in raw) throw new HttpError(400, `query parameter ${k} is given twice`);
    raw[k] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new HttpError(
      400,
      parsed.error.issues
        .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
        .join("; "),
    );
  return parsed.data;
}

function evalId(text: string): number {
  const id = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(id) || id < 1)
    throw new HttpError(400, `eval id must be a positive integer, got ${JSON.stringify(text)}`);
  return id;
}

export function createWebServer(o: WebOptions): Server {
  const now = o.now ?? Date.now;
  const limiter = new RateLimiter(o.rateLimit ?? DEFAULT_RATE_LIMIT);
  const evals = new EvalReader(o.store, o.artifacts);
  const redact = redactor(o.redact);
  const openapi = JSON.stringify(openApiDocument(o.version));

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
  ) => {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      "content-type": type,
      "content-length": String(bytes.length),
      "cache-control": "no-store",
      ...headers,
    });
    res.end(req.method === "HEAD" ? undefined : bytes);
  };
  const sendJson = (req: IncomingMessage, res: ServerResponse, status: number, v: unknown) =>
    send(req, res, status, "application/json; charset=utf-8", `${JSON.stringify(redact(v))}\n`);
  const html = "text/html; charset=utf-8";

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const api = path.startsWith("/api/");
    if (api) res.setHeader("access-control-allow-origin", "*");
    if (path === "/healthz") return send(req, res, 200, "text/plain; charset=utf-8", "ok\n");
    if (path === "/metrics") {
      if (!o.registry) throw new HttpError(404, "metrics are not served here");
      return send(req, res, 200, o.registry.contentType, await o.registry.metrics());
    }
    if (path === "/api/openapi.json")
      return send(req, res, 200, "application/json; charset=utf-8", openapi);
    const state = () => stateView(o.store, { arena: o.arena, rules: o.rules, nowMs: now() });
    if (path === "/api/state") return sendJson(req, res, 200, state());
    if (path === "/api/submissions")
      return sendJson(req, res, 200, submissionsPage(o.store, query(url, SubmissionsQuerySchema)));
    if (path === "/api/history") return sendJson(req, res, 200, historyView(o.store));
    const report = /^\/api\/evals\/([^/]+)\/report$/.exec(path);
    if (report) {
      const bytes = await evals.reportBytes(evalId(report[1] as string));
      if (!bytes) throw new HttpError(404, "no such eval, or it has no report yet");
      // Reports are large JSON and never change once settled.
      const zip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      return send(req, res, 200, "application/json", zip ? await gz(bytes) : bytes, {
        "cache-control": "public, max-age=3600",
        vary: "accept-encoding",
        ...(zip ? { "content-encoding": "gzip" } : {}),
      });
    }
    const one = /^\/(api\/)?evals\/([^/]+)$/.exec(path);
    if (one) {
      const v = await evals.eval(evalId(one[2] as string));
      if (!v) throw new HttpError(404, `no eval ${one[2]}`);
      return one[1]
        ? sendJson(req, res, 200, v)
        : send(req, res, 200, html, evalPage(redact(v), o.arena));
    }
    if (path === "/" || path === "/index.html") {
      // The dashboard shows the best page; the API pages through the rest.
      const subs = submissionsPage(o.store, { order: "score", page: 1, per_page: 200 });
      const jobs = o.store.recentJobs(10).map((j) => ({ id: j.id, status: j.status }));
      return send(
        req,
        res,
        200,
        html,
        dashboardPage(redact(state()), redact(subs), historyView(o.store), jobs),
      );
    }
    if (path === "/assets/style.css")
      return send(req, res, 200, "text/css; charset=utf-8", STYLE_CSS, {
        "cache-control": "public, max-age=300",
      });
    if (path === "/assets/app.js")
      return send(req, res, 200, "text/javascript; charset=utf-8", APP_JS, {
        "cache-control": "public, max-age=300",
      });
    throw new HttpError(404, `nothing at ${path}`);
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://validator.invalid");
    const api = url.pathname.startsWith("/api/");
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      api || url.pathname === "/metrics"
        ? send(
            req,
            res,
            status,
            "application/json; charset=utf-8",
            `${JSON.stringify({ error: message })}\n`,
            {
              ...(api ? { "access-control-allow-origin": "*" } : {}),
              ...headers,
            },
          )
        : send(req, res, status, html, errorPage(status, message, o.arena), headers);
    if (req.method === "OPTIONS") {
      res
        .writeHead(204, {
          ...SECURITY_HEADERS,
          "access-control-allow-origin": "*",
          "access-control-allow-methods": "GET, HEAD",
          "access-control-max-age": "86400",
          allow: "GET, HEAD, OPTIONS",
        })
        .end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      return fail(405, "read-only: GET or HEAD only", { allow: "GET, HEAD, OPTIONS" });
    // Health checks and the metrics scraper are not rate limited: they must never see a 429.
    if (url.pathname !== "/healthz" && url.pathname !== "/metrics") {
      const d = limiter.take(req.socket.remoteAddress ?? "unknown", now());
      if (!d.ok)
        return fail(429, `too many requests; retry in ${d.retryAfterS} s`, {
          "retry-after": String(d.retryAfterS),
        });
    }
    route(req, res, url).catch((err: unknown) => {
      if (err instanceof HttpError) fail(err.status, err.message);
      else fail(500, `internal error: ${redact((err as Error).message)}`);
    });
  });
}
