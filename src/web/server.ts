// The validator's HTTP server (`--http`): the read-only API, the dashboard, /metrics and /healthz.
// Everything is GET (or HEAD); any origin may read the API (it is public data); each client address
// is rate limited (/metrics by a bucket of its own) so a watcher polling hard cannot slow the loop
// this process also runs; no request, however malformed, can end that process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Counter, type Registry } from "prom-client";
import { z } from "zod";
import {
  answerClientErrors,
  lastResort,
  parseTarget,
  type ServerErrorReporter,
  stderrReporter,
} from "../contract/http-server.js";
import { HttpError, send } from "../contract/http-toolkit.js";
import type { KingRules } from "../score/margin.js";
import type { ArtifactStore } from "../store/artifacts/types.js";
import type { ReadonlyStore } from "../store/store.js";
import { historyView, SubmissionsQuerySchema, stateView, submissionsPage } from "./api.js";
import { APP_JS, STYLE_CSS } from "./assets.js";
import { EvalReader } from "./evals.js";
import { openApiDocument } from "./openapi.js";
import { dashboardPage, errorPage, evalPage } from "./pages.js";
import {
  DEFAULT_METRICS_RATE_LIMIT,
  DEFAULT_RATE_LIMIT,
  RateLimiter,
  type RateLimitRules,
} from "./rate-limit.js";
import { type Redact, redactor } from "./redact.js";

export interface WebOptions {
  store: ReadonlyStore;
  artifacts: ArtifactStore;
  /** Prometheus metrics served at /metrics (absent: 404). */
  registry?: Registry;
  arena: string;
  rules: KingRules;
  /**
   * Names never to serve (the pods' URLs), replaced in every answer; a function for a list that
   * grows (rented pods' addresses), read per answer.
   */
  redact: readonly string[] | (() => readonly string[]);
  version: string;
  rateLimit?: RateLimitRules;
  /** Reads eval jobs and their reports (default: one over `store` and `artifacts`). */
  evals?: EvalReader;
  /** The limit on /metrics, per client address, apart from the rest. */
  metricsRateLimit?: RateLimitRules;
  now?: () => number;
  /** Where an error inside a request's handling is reported (default: a line on stderr); it is
   *  also counted in `cacheon_validator_http_errors_total` when there is a registry. */
  onError?: ServerErrorReporter;
}

export const HTTP_ERRORS_METRIC = "cacheon_validator_http_errors_total";

/** The parameters of the API endpoints that take none: any given is a 400. */
const NoQuerySchema = z.strictObject({});

const JSON_TYPE = "application/json; charset=utf-8";

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The query string as an object, parsed by `schema`; a repeated or unknown parameter is a 400. */
function query<T>(params: URLSearchParams, schema: z.ZodType<T>): T {
  // No prototype: `__proto__` or `constructor` is a parameter name like any other.
  const raw: Record<string, string> = Object.create(null);
  for (const [k, v] of params) {
    if (Object.hasOwn(raw, k)) throw new HttpError(400, `query parameter ${k} is given twice`);
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
  const metricsLimiter = new RateLimiter(o.metricsRateLimit ?? DEFAULT_METRICS_RATE_LIMIT);
  const onError = o.onError ?? stderrReporter("cacheon validator http");
  const httpErrors =
    o.registry &&
    ((o.registry.getSingleMetric(HTTP_ERRORS_METRIC) as Counter | undefined) ??
      new Counter({
        name: HTTP_ERRORS_METRIC,
        help: "Requests to the --http server whose handling failed (answered 500, or cut)",
        registers: [o.registry],
      }));
  const report: ServerErrorReporter = (err, req) => {
    httpErrors?.inc();
    onError(err, req);
  };
  const evals = o.evals ?? new EvalReader(o.store, o.artifacts);
  const secrets = o.redact;
  const redact: Redact =
    typeof secrets === "function" ? (v) => redactor(secrets())(v) : redactor(secrets);
  const openapi = JSON.stringify(openApiDocument(o.version));

  /** An answer with the security headers, not cached unless `headers` say otherwise. */
  const reply = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
  ) =>
    send(res, status, type, body, { ...SECURITY_HEADERS, "cache-control": "no-store", ...headers });
  const replyJson = (res: ServerResponse, status: number, v: unknown) =>
    reply(res, status, JSON_TYPE, `${JSON.stringify(redact(v))}\n`);
  const html = "text/html; charset=utf-8";

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    params: URLSearchParams,
  ): Promise<void> {
    const api = path.startsWith("/api/");
    if (api) res.setHeader("access-control-allow-origin", "*");
    // Every API endpoint parses its parameters; those that take none refuse any.
    if (api && path !== "/api/submissions") query(params, NoQuerySchema);
    if (path === "/healthz") return reply(res, 200, "text/plain; charset=utf-8", "ok\n");
    if (path === "/metrics") {
      if (!o.registry) throw new HttpError(404, "metrics are not served here");
      return reply(res, 200, o.registry.contentType, await o.registry.metrics());
    }
    if (path === "/api/openapi.json") return reply(res, 200, JSON_TYPE, openapi);
    const state = () => stateView(o.store, { arena: o.arena, rules: o.rules, nowMs: now() });
    if (path === "/api/state") return replyJson(res, 200, state());
    if (path === "/api/submissions")
      return replyJson(res, 200, submissionsPage(o.store, query(params, SubmissionsQuerySchema)));
    if (path === "/api/history") return replyJson(res, 200, historyView(o.store));
    const report = /^\/api\/evals\/([^/]+)\/report$/.exec(path);
    if (report) {
      const id = evalId(report[1] as string);
      // Reports are large JSON and never change once settled: their gzip is kept, not redone.
      const zip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      const bytes = zip ? await evals.reportGzip(id) : await evals.reportBytes(id);
      if (!bytes) throw new HttpError(404, "no such eval, or it has no report yet");
      return reply(res, 200, "application/json", bytes, {
        "cache-control": "public, max-age=3600",
        vary: "accept-encoding",
        ...(zip ? { "content-encoding": "gzip" } : {}),
      });
    }
    const one = /^\/(api\/)?evals\/([^/]+)$/.exec(path);
    if (one) {
      const v = await evals.eval(evalId(one[2] as string));
      if (!v) throw new HttpError(404, `no eval ${one[2]}`);
      return one[1] ? replyJson(res, 200, v) : reply(res, 200, html, evalPage(redact(v), o.arena));
    }
    if (path === "/" || path === "/index.html") {
      // The dashboard shows the best page; the API pages through the rest.
      const subs = submissionsPage(o.store, { order: "score", page: 1, per_page: 200 });
      const jobs = o.store.recentJobs(10).map((j) => ({ id: j.id, status: j.status }));
      return reply(
        res,
        200,
        html,
        dashboardPage(redact(state()), redact(subs), historyView(o.store), jobs),
      );
    }
    if (path === "/assets/style.css")
      return reply(res, 200, "text/css; charset=utf-8", STYLE_CSS, {
        "cache-control": "public, max-age=300",
      });
    if (path === "/assets/app.js")
      return reply(res, 200, "text/javascript; charset=utf-8", APP_JS, {
        "cache-control": "public, max-age=300",
      });
    throw new HttpError(404, `nothing at ${path}`);
  }

  const server = createServer(
    lastResort(async (req, res) => {
      const target = parseTarget(req.url);
      const path = target.ok ? target.path : "";
      const api = path.startsWith("/api/");
      const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
        api || path === "/metrics"
          ? reply(res, status, JSON_TYPE, `${JSON.stringify({ error: message })}\n`, {
              ...(api ? { "access-control-allow-origin": "*" } : {}),
              ...headers,
            })
          : reply(res, status, html, errorPage(status, message, o.arena), headers);
      if (!target.ok) return fail(target.status, target.message, { connection: "close" });
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
      // Health checks are never limited; the metrics scraper has a bucket of its own, so a flood of
      // /metrics neither starves the API's clients nor goes unchecked.
      if (path !== "/healthz") {
        const bucket = path === "/metrics" ? metricsLimiter : limiter;
        const d = bucket.take(req.socket.remoteAddress ?? "unknown", now());
        if (!d.ok)
          return fail(429, `too many requests; retry in ${d.retryAfterS} s`, {
            "retry-after": String(d.retryAfterS),
          });
      }
      try {
        await route(req, res, path, target.query);
      } catch (err) {
        if (res.headersSent) throw err; // the last resort cuts the response
        if (err instanceof HttpError) return fail(err.status, err.message, err.extra.headers);
        report(err, req);
        return fail(500, `internal error: ${redact((err as Error)?.message ?? String(err))}`);
      }
    }, report),
  );
  answerClientErrors(server, onError);
  return server;
}
