// The pod's HTTP API (docs/validators/pod.md): JSON in and out, every body parsed by its schema,
// every error one line in `{error}`. GET /health is open; everything else needs the bearer token,
// checked before anything else is read or run. No request, however malformed, ends the process.
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { hostPort } from "../contract/host.js";
import {
  answerClientErrors,
  decodePathSegment,
  lastResort,
  parseTarget,
  type ServerErrorReporter,
  stderrReporter,
} from "../contract/http-server.js";
import { closeServer, HttpError, listen, readJson, sendJson } from "../contract/http-toolkit.js";
import { formatZodIssues } from "../contract/json-file.js";
import { bearerMatches } from "./auth.js";
import { isJobId, type JobStore } from "./jobs.js";
import { JobRequestSchema, type PodEvent } from "./schema.js";
import type { PodTlsIdentity } from "./tls.js";
import type { WeightsTracker } from "./weights/status.js";
import type { PodWorker } from "./worker.js";

export const BODY_LIMIT = 1024 * 1024;

export interface PodServerOptions {
  host: string;
  port: number;
  token: string;
  store: JobStore;
  worker: PodWorker;
  /** Where an error inside a request's handling is reported (default: a line on stderr). */
  onError?: ServerErrorReporter;
  /** Serve HTTPS with this key pair (tls.ts); plain HTTP without. */
  tls?: PodTlsIdentity;
  /** The weights setup (pod/weights): shown by /health; no job is taken until it is ready. */
  weights?: Pick<WeightsTracker, "status" | "refusal">;
}

export interface PodServer {
  url: string;
  close(): Promise<void>;
}

function sendFile(res: ServerResponse, file: string, type: string): void {
  const size = statSync(file).size;
  const stream = createReadStream(file);
  // A file that cannot be read after all (gone meanwhile) cuts this response, nothing else.
  stream.once("error", () => res.destroy());
  res.once("close", () => stream.destroy());
  res.writeHead(200, { "content-type": type, "content-length": size, "cache-control": "no-store" });
  stream.pipe(res);
}

/** Streams the job's events: all so far, then each new one until the job ends. */
function streamEvents(res: ServerResponse, store: JobStore, id: string): void {
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  const write = (e: PodEvent) => res.write(`${JSON.stringify(e)}\n`);
  const follow = store.follow(id, (e) => {
    write(e);
    if (e.type === "job-end") res.end();
  });
  if (!follow) return void res.end();
  for (const e of follow.past) write(e);
  if (!follow.live) return void res.end();
  res.once("close", follow.stop);
}

export async function startPodServer(o: PodServerOptions): Promise<PodServer> {
  const { store, worker } = o;
  const report = o.onError ?? stderrReporter("cacheon pod");

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const target = parseTarget(req.url);
    if (!target.ok)
      throw new HttpError(target.status, target.message, { headers: { connection: "close" } });
    const path = target.path;
    const allow = (...methods: string[]) => {
      if (!methods.includes(method))
        throw new HttpError(405, `${method} ${path}: use ${methods.join(" or ")}`);
    };
    if (path === "/health") {
      allow("GET");
      return sendJson(res, 200, {
        ok: true,
        busy: worker.running !== null,
        ...(o.weights && { weights: o.weights.status() }),
      });
    }
    if (!bearerMatches(o.token, req.headers.authorization))
      throw new HttpError(401, "missing or wrong bearer token", {
        headers: { "www-authenticate": 'Bearer realm="cacheon-pod"' },
      });
    if (path === "/v1/jobs") {
      allow("GET", "POST");
      if (method === "GET") return sendJson(res, 200, { jobs: store.list() });
      const parsed = JobRequestSchema.safeParse(await readJson(req, BODY_LIMIT));
      if (!parsed.success) throw new HttpError(400, formatZodIssues(parsed.error));
      const refusal = o.weights?.refusal();
      if (refusal) throw new HttpError(503, refusal);
      const submitted = worker.submit(parsed.data);
      if ("running" in submitted)
        throw new HttpError(409, `the pod is busy with job ${submitted.running}`, {
          fields: { running: submitted.running },
        });
      return sendJson(res, 202, submitted);
    }
    const m = /^\/v1\/jobs\/([^/]+)(?:\/(events|report|cancel|logs\/([^/]+)))?$/.exec(path);
    const id = m?.[1] ?? "";
    if (!m) throw new HttpError(404, `no route ${method} ${path}`);
    const job = isJobId(id) ? store.get(id) : undefined;
    if (!job) throw new HttpError(404, `no job ${id}`);
    const what = m[2];
    if (what === "cancel") {
      allow("POST");
      if (!worker.cancel(id)) throw new HttpError(409, `job ${id} is not running (${job.status})`);
      return sendJson(res, 202, { id });
    }
    allow("GET");
    if (what === undefined) return sendJson(res, 200, job);
    if (what === "events") return streamEvents(res, store, id);
    if (what === "report") {
      const file = store.reportFile(id);
      if (!file) throw new HttpError(404, `job ${id} has no report (${job.status})`);
      return sendFile(res, file, "application/json");
    }
    const server = decodePathSegment(m[3] ?? "");
    if (server === null) throw new HttpError(400, `not a server name: ${m[3]}`);
    const file = store.logFile(id, server);
    if (!file) throw new HttpError(404, `job ${id} has no log of server ${server}`);
    return sendFile(res, file, "text/plain; charset=utf-8");
  };

  const handler = lastResort(async (req, res) => {
    try {
      await route(req, res);
    } catch (err) {
      if (res.headersSent) throw err; // the last resort cuts the response
      if (err instanceof HttpError) {
        for (const [k, v] of Object.entries(err.extra.headers ?? {})) res.setHeader(k, v);
        return sendJson(res, err.status, { error: err.message, ...err.extra.fields });
      }
      report(err, req);
      sendJson(res, 500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
    }
  }, report);
  const server = o.tls
    ? createHttpsServer({ key: o.tls.keyPem, cert: o.tls.certPem }, handler)
    : createServer(handler);
  answerClientErrors(server, report);
  const port = await listen(server, { host: o.host, port: o.port });
  return {
    url: `${o.tls ? "https" : "http"}://${hostPort(o.host, port)}`,
    close: () => closeServer(server),
  };
}
