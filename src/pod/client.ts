// The typed client of a pod's HTTP API: every answer parsed by the pod's own schemas, every failure
// a PodError with a kind a caller can act on and one line that says what happened. An https pod is
// reached only through its pinned certificate (tls.ts): a pod showing another one gets no request.
import { type Agent, type Dispatcher, request } from "undici";
import type { z } from "zod";
import { describeNetworkError } from "../contract/http.js";
import { formatZodIssues } from "../contract/json-file.js";
import { type EvalReport, EvalReportSchema } from "../eval/report.js";
import {
  ErrorBodySchema,
  HealthSchema,
  JobListSchema,
  type JobRequestInput,
  type JobStatus,
  JobStatusSchema,
  type PodEvent,
  PodEventSchema,
  SubmittedSchema,
} from "./schema.js";
import { PinMismatchError, type PodAddress, parsePodAddress, pinnedAgent } from "./tls.js";

export type PodErrorKind =
  | "unauthorized"
  | "busy"
  | "not_found"
  | "bad_request"
  | "unreachable"
  | "bad_response";

export class PodError extends Error {
  constructor(
    readonly kind: PodErrorKind,
    message: string,
    /** For `busy`: the job that holds the pod. */
    readonly running?: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

export class PodClient {
  private readonly base: string;
  /** For an https pod: connections that check its pin first. */
  private readonly dispatcher: Agent | undefined;

  /**
   * `address`: a PodAddress (tls.ts), or its text, `https://HOST:PORT#sha256=FINGERPRINT` or
   * `http://HOST:PORT` on loopback; a PodAddressError when it is neither.
   */
  constructor(
    address: PodAddress | string,
    private readonly token: string,
  ) {
    const { url, fingerprint } = typeof address === "string" ? parsePodAddress(address) : address;
    this.base = url.replace(/\/+$/, "");
    this.dispatcher = fingerprint === null ? undefined : pinnedAgent(fingerprint);
  }

  health(): Promise<z.infer<typeof HealthSchema>> {
    return this.json("GET", "/health", HealthSchema, "a health answer");
  }

  submit(req: JobRequestInput): Promise<{ id: string }> {
    return this.json("POST", "/v1/jobs", SubmittedSchema, "a job id", req);
  }

  /** Every job the pod keeps, newest first. */
  async list(): Promise<JobStatus[]> {
    return (await this.json("GET", "/v1/jobs", JobListSchema, "a job list")).jobs;
  }

  status(id: string): Promise<JobStatus> {
    return this.json("GET", `/v1/jobs/${enc(id)}`, JobStatusSchema, "a job status");
  }

  report(id: string): Promise<EvalReport> {
    return this.json("GET", `/v1/jobs/${enc(id)}/report`, EvalReportSchema, "an EvalReport");
  }

  async logs(id: string, server: string): Promise<string> {
    const res = await this.send("GET", `/v1/jobs/${enc(id)}/logs/${enc(server)}`);
    return res.body.text();
  }

  /** Asks the pod to cancel a running job (it ends `cancelled`, with its report). */
  async cancel(id: string): Promise<void> {
    const res = await this.send("POST", `/v1/jobs/${enc(id)}/cancel`);
    await res.body.dump();
  }

  /** The job's events from its start, then live, ending with its job-end event. */
  async *events(id: string): AsyncGenerator<PodEvent> {
    const path = `/v1/jobs/${enc(id)}/events`;
    // No body timeout: a server's startup (an image pull, loading weights) can be silent for minutes.
    const res = await this.send("GET", path, undefined, 0);
    let buffered = "";
    res.body.setEncoding("utf8");
    try {
      for await (const chunk of res.body as AsyncIterable<string>) {
        buffered += chunk;
        let nl = buffered.indexOf("\n");
        while (nl !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const e = parse(PodEventSchema, line, `GET ${path}`, "an event");
          yield e;
          if (e.type === "job-end") return;
          nl = buffered.indexOf("\n");
        }
      }
    } catch (err) {
      if (err instanceof PodError) throw err;
      throw new PodError(
        "unreachable",
        `the event stream of job ${id} broke: ${describeNetworkError(err)}`,
      );
    } finally {
      res.body.destroy();
    }
    throw new PodError(
      "unreachable",
      `the pod closed the event stream of job ${id} before the job ended`,
    );
  }

  private async json<T>(
    method: "GET" | "POST",
    path: string,
    schema: z.ZodType<T>,
    what: string,
    body?: unknown,
  ): Promise<T> {
    const res = await this.send(method, path, body);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new PodError("unreachable", `${method} ${path}: ${describeNetworkError(err)}`);
    }
    return parse(schema, text, `${method} ${path}`, what);
  }

  /** The response of a 2xx answer; any other answer or none at all is a PodError. */
  private async send(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    bodyTimeout = TIMEOUT_MS,
  ): Promise<Dispatcher.ResponseData> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      // Another certificate than the pinned one: someone else answers there, or the pod changed.
      if (err instanceof PinMismatchError)
        throw new PodError(
          "unauthorized",
          `the pod at ${this.base} is not the pinned one: ${err.message}`,
        );
      throw new PodError(
        "unreachable",
        `cannot reach the pod at ${this.base}: ${describeNetworkError(err)}`,
      );
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const text = await res.body.text().catch(() => "");
    let answer: z.infer<typeof ErrorBodySchema> | undefined;
    try {
      answer = ErrorBodySchema.parse(JSON.parse(text));
    } catch {
      answer = undefined;
    }
    const message = `${method} ${path}: ${answer?.error ?? `the pod answered ${res.statusCode}`}`;
    switch (res.statusCode) {
      case 401:
        throw new PodError("unauthorized", message);
      case 404:
        throw new PodError("not_found", message);
      case 409:
        // 409 with `running` is a busy pod; without, a job that is not running (cancel).
        if (answer?.running) throw new PodError("busy", message, answer.running);
        throw new PodError("bad_request", message);
      case 400:
      case 405:
      case 413:
        throw new PodError("bad_request", message);
      default:
        throw new PodError("bad_response", message);
    }
  }
}

const enc = encodeURIComponent;

function parse<T>(schema: z.ZodType<T>, text: string, call: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PodError("bad_response", `${call}: the pod's answer is not JSON`);
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new PodError("bad_response", `${call}: not ${what}: ${formatZodIssues(r.error)}`);
  return r.data;
}
