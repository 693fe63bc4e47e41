// The API's OpenAPI 3.1 description, served at /api/openapi.json. Written by hand next to the
// payload types in api.ts and eval-view.ts; a test checks every documented path answers and every
// route the server has is documented.
import { RENTAL_STATES, SUBMISSION_STATUSES } from "../store/store.js";

const json = (schema: object, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string) => ({ type: [type, "null"] });
const errors = {
  "400": json(
    ref("Error"),
    "A query parameter is unknown (an endpoint without parameters takes none), repeated or invalid; the message names it",
  ),
  "429": json(ref("Error"), "Too many requests from this address; see Retry-After"),
};

export function openApiDocument(version: string): object {
  return {
    openapi: "3.1.0",
    info: {
      title: "Cacheon validator API",
      version,
      description:
        "Read-only state of one Cacheon (SN14) validator: the king, the margin a challenger must beat, the queue, every submission with its latest result, the king history and each eval job's report. Every endpoint is GET, needs no credentials, allows any origin (CORS) and is rate limited per client address.",
    },
    paths: {
      "/api/state": {
        get: {
          summary: "The king, the margin now, the queue, jobs in progress and the last weights",
          responses: { "200": json(ref("State"), "The state now"), ...errors },
        },
      },
      "/api/submissions": {
        get: {
          summary: "Submissions with their latest settled result, paged",
          parameters: [
            { name: "hotkey", in: "query", schema: { type: "string" }, description: "SS58" },
            { name: "status", in: "query", schema: { enum: [...SUBMISSION_STATUSES] } },
            {
              name: "order",
              in: "query",
              schema: { enum: ["score", "commit"], default: "score" },
              description: "score: best first, unevaluated last; commit: block order",
            },
            { name: "page", in: "query", schema: { type: "integer", minimum: 1, default: 1 } },
            {
              name: "per_page",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 200, default: 50 },
            },
          ],
          responses: { "200": json(ref("SubmissionsPage"), "One page"), ...errors },
        },
      },
      "/api/history": {
        get: {
          summary: "Every king change: crowned, defended, dethroned (beaten, failed, deregistered)",
          responses: {
            "200": json({ type: "array", items: ref("HistoryEntry") }, "Oldest first"),
            ...errors,
          },
        },
      },
      "/api/evals/{id}": {
        get: {
          summary: "One eval job: its candidates, results and a summary of its EvalReport",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
          responses: {
            "200": json(ref("Eval"), "The job"),
            "404": json(ref("Error"), "No such job"),
            ...errors,
          },
        },
      },
      "/api/evals/{id}/report": {
        get: {
          summary: "The job's full EvalReport (schema cacheon.eval.v1), as stored",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
          responses: {
            "200": { description: "The report", content: { "application/json": {} } },
            "404": json(ref("Error"), "No such job, or no report yet"),
            ...errors,
          },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1" }, ...errors },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (queue depth, evals, last weights block, king score)",
          responses: {
            "200": { description: "Prometheus text format" },
            "429": json(ref("Error"), "Scraped too often from this address (a limit of its own)"),
          },
        },
      },
      "/healthz": {
        get: { summary: "Liveness", responses: { "200": { description: "ok" } } },
      },
    },
    components: {
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "string" } },
        },
        State: {
          type: "object",
          properties: {
            arena: { type: "string" },
            now: { type: "string", format: "date-time" },
            king: {
              oneOf: [{ type: "null" }, ref("King")],
            },
            rules: {
              type: "object",
              properties: {
                marginM0: { type: "number" },
                decayMs: { type: "number" },
                burnUid: { type: "integer" },
              },
            },
            queue: {
              type: "object",
              properties: {
                depth: { type: "integer" },
                next: { type: "array", items: { type: "object" } },
              },
            },
            evaluating: { type: "array", items: { type: "object" } },
            weights: { type: "object" },
            lastScanBlock: nullable("integer"),
            pods: {
              type: "array",
              description:
                "Rented pods live now or given back today (empty with static pods); never an address or key",
              items: ref("Pod"),
            },
          },
        },
        Pod: {
          type: "object",
          properties: {
            name: { type: "string" },
            state: {
              type: "string",
              enum: [...RENTAL_STATES],
            },
            provider: { type: "string" },
            instanceType: { type: "string" },
            hourlyPriceUsd: { type: "number" },
            spentTodayUsd: { type: "number", description: "since midnight UTC" },
            idleSeconds: nullable("integer"),
            rentedAt: { type: "string", format: "date-time" },
          },
        },
        King: {
          type: "object",
          properties: {
            submissionId: { type: "integer" },
            hotkey: { type: "string" },
            uid: { type: "integer" },
            digest: { type: "string" },
            image: nullable("string"),
            score: { type: "number" },
            crownedAt: { type: "string", format: "date-time" },
            marginNow: { type: "number", description: "score units a challenger must beat by" },
            marginZeroAt: { type: "string", format: "date-time" },
          },
        },
        Submission: {
          type: "object",
          properties: {
            id: { type: "integer" },
            hotkey: { type: "string" },
            uid: nullable("integer"),
            image: nullable("string"),
            digest: nullable("string"),
            block: { type: "integer" },
            seenAt: { type: "string", format: "date-time" },
            status: { enum: [...SUBMISSION_STATUSES] },
            reason: nullable("string"),
            king: { type: "boolean" },
            result: {
              oneOf: [
                { type: "null" },
                {
                  type: "object",
                  properties: {
                    evalId: { type: "integer" },
                    passed: { type: "boolean" },
                    score: { type: "number" },
                    ttftMs: nullable("number"),
                    tokensPerSec: nullable("number"),
                    failure: nullable("string"),
                  },
                },
              ],
            },
          },
        },
        SubmissionsPage: {
          type: "object",
          properties: {
            page: { type: "integer" },
            perPage: { type: "integer" },
            total: { type: "integer" },
            submissions: { type: "array", items: ref("Submission") },
          },
        },
        HistoryEntry: {
          type: "object",
          properties: {
            at: { type: "string", format: "date-time" },
            type: {
              type: "string",
              description:
                "crowned, defended, uid_changed, dethroned:beaten, dethroned:failed, dethroned:deregistered",
            },
            submissionId: { type: "integer" },
            hotkey: { type: "string" },
            uid: { type: "integer" },
            score: { type: "number" },
            evalId: nullable("integer"),
          },
        },
        Eval: {
          type: "object",
          description:
            "report: per server (baseline first) TTFT samples of the TTFT phase, throughput per trial, and for candidates the score and the gate's verdict per prompt with the first divergence token by token and, after it, the teacher's evidence (per token: the candidate's token, the teacher's logprob, rank and top-1, the candidate's own logprob, the verdict)",
          properties: {
            id: { type: "integer" },
            status: { enum: ["pending", "submitted", "settled", "failed"] },
            seed: { type: "string" },
            seedBlock: { type: "integer" },
            candidates: { type: "array", items: { type: "object" } },
            reportUrl: nullable("string"),
            report: { type: ["object", "null"] },
            reportProblem: nullable("string"),
          },
        },
      },
    },
  };
}
