// A local double of Shadeform's API on 127.0.0.1, for tests, the renting bench and `cacheon demo
// --rent`. Every request is checked against the API description (data/shadeform/openapi.yml) with
// ajv, stricter than the description in one way: an object's unknown fields are refused (400), as
// are missing required fields, wrong types and unknown query parameters; a missing or wrong
// X-API-KEY is 401. Its instances are real `cacheon pod serve --runtime local` processes on
// loopback, started after a boot delay; status goes creating → pending → active, with the pod's
// port as the host port of `port_mappings` (container port `podPort`, where a real launch script
// makes the pod listen). The launch script is recorded, never run: the double starts `pod serve`
// with the request's `envs`, the environment the script would give it. Billing runs from active to
// delete on the double's clock (which a bench may speed up), and the auto-delete thresholds (date
// and spend) are honoured on it. Faults: no capacity, 5xx, requests that never get an answer
// (before or after their effect), instances stuck booting, a pod killed mid-job.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../../arena/pool.js";
import { cliEntry } from "../../entry.js";
import { readAnnouncement } from "../announce.js";

/** An instance type as Shadeform lists it (the API's own shape). */
export interface ApiInstanceType {
  cloud: string;
  shade_instance_type: string;
  cloud_instance_type: string;
  configuration: {
    num_gpus: number;
    gpu_type: string;
    interconnect: string;
    vram_per_gpu_in_gb: number;
    memory_in_gb: number;
    storage_in_gb: number;
    vcpus: number;
  };
  hourly_price: number;
  deployment_type: "vm" | "container" | "baremetal";
  availability: { region: string; available: boolean }[];
  boot_time?: { min_boot_in_sec: number; max_boot_in_sec: number };
}

const h200 = (o: {
  cloud: string;
  region: string;
  price: number;
  gpus?: number;
  interconnect?: string;
  deployment?: ApiInstanceType["deployment_type"];
  available?: boolean;
}): ApiInstanceType => {
  const gpus = o.gpus ?? 4;
  return {
    cloud: o.cloud,
    shade_instance_type: `H200x${gpus}`,
    cloud_instance_type: `gpu-${gpus}x-h200`,
    configuration: {
      num_gpus: gpus,
      gpu_type: "H200",
      interconnect: o.interconnect ?? "sxm",
      vram_per_gpu_in_gb: 141,
      memory_in_gb: 256 * gpus,
      storage_in_gb: 2000,
      vcpus: 24 * gpus,
    },
    hourly_price: o.price,
    deployment_type: o.deployment ?? "vm",
    availability: [{ region: o.region, available: o.available ?? true }],
    boot_time: { min_boot_in_sec: 120, max_boot_in_sec: 600 },
  };
};

/**
 * A small market: the cheapest fit is `massedcompute` at $15.96/h; cheaper entries are a container,
 * PCIe GPUs, or sold out, and a dearer 8-GPU type does not fit the V1 arena.
 */
export const DEFAULT_INSTANCE_TYPES: readonly ApiInstanceType[] = [
  h200({ cloud: "runpod", region: "us-tx-3", price: 1400, deployment: "container" }),
  h200({ cloud: "hyperstack", region: "canada-1", price: 1450, interconnect: "pcie" }),
  h200({ cloud: "lambdalabs", region: "us-east-1", price: 1500, available: false }),
  h200({ cloud: "massedcompute", region: "us-central-2", price: 1596 }),
  h200({ cloud: "datacrunch", region: "fin-01", price: 1790 }),
  h200({ cloud: "datacrunch", region: "fin-01", price: 3580, gpus: 8 }),
];

export type DoubleOp = "types" | "list" | "create" | "info" | "update" | "delete";
/**
 * `5xx`: answered 500, nothing done. `timeout`: never answered, nothing done. `lost-answer`: done,
 * then never answered (a create or delete the caller cannot know happened).
 */
export type DoubleFault = "5xx" | "timeout" | "lost-answer";

export interface ShadeformDoubleOptions {
  /** The key the double accepts (default: a random one, see `apiKey`). */
  apiKey?: string;
  instanceTypes?: readonly ApiInstanceType[];
  /** From create to the pod process being started (real time; default 300 ms). */
  bootDelayMs?: number;
  /** Extra `pod serve` arguments, e.g. `--images FILE` for the demo's miners. */
  podArgs?: string[];
  /** The port a launch script makes the pod listen on, reported as the container port. */
  podPort?: number;
  /** The double's time for created_at, billing and auto-delete (default Date.now). */
  clock?: () => number;
  /** How often auto-delete thresholds are checked, in real time (default 50 ms). */
  checkEveryMs?: number;
  log?: (line: string) => void;
}

/** What the double knows of one instance, for tests and the bench to inspect. */
export interface DoubleInstance {
  id: string;
  name: string;
  tags: string[];
  status: "creating" | "pending" | "active" | "error" | "deleting" | "deleted";
  statusDetails?: string;
  cloud: string;
  region: string;
  type: string;
  hourlyPriceCents: number;
  /** The launch script as the double received it, decoded (recorded, not run). */
  launchScript: string | null;
  env: Record<string, string>;
  autoDelete: { atMs: number | null; spendCents: number | null };
  createdAtMs: number;
  activeAtMs: number | null;
  deletedAtMs: number | null;
  deletedBy: "request" | "auto-delete" | null;
  /** The pod worker's URL once it listens. */
  podUrl: string | null;
  podPid: number | null;
  /** The pod worker exited (killed, or failed to start). */
  podExited: boolean;
  stuck: boolean;
}

interface Live extends DoubleInstance {
  child: ChildProcess | null;
  stderr: string;
  stateDir: string;
  timers: NodeJS.Timeout[];
  exited: Promise<void> | null;
}

export interface ShadeformDouble {
  /** The API's base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  apiKey: string;
  /** While set, every instance type is sold out and a create answers 400 no capacity. */
  noCapacity: boolean;
  /** While set, new instances never leave `pending` (no pod is started). */
  stuckBooting: boolean;
  /** The next `times` requests of `op` meet `fault`. */
  inject(op: DoubleOp, fault: DoubleFault, times?: number): void;
  /** Every request so far: method, path and the status answered (null: never answered). */
  readonly requests: { method: string; path: string; status: number | null }[];
  /** Snapshots of every instance ever created, deleted ones included. */
  instances(): DoubleInstance[];
  /** What an instance has cost so far on the double's clock, in cents. */
  spendCents(id: string): number;
  /** SIGKILL to an instance's pod worker and its servers: the machine stays, the worker dies. */
  killPod(id: string): Promise<void>;
  /** Applies the auto-delete thresholds now (they are also checked on a timer and per request). */
  enforceAutoDelete(): void;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
const MAX_BODY = 1 << 20;
const HOUR_MS = 3_600_000;

/** Where the API description lives in the package. */
export function shadeformDescriptionPath(): string {
  return join(packageRoot(), "data", "shadeform", "openapi.yml");
}

type Json = Record<string, unknown>;

/** Sets `additionalProperties: false` on every object schema that lists its properties. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) closeObjects(n);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const o = node as Json;
  if (o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
  for (const [k, v] of Object.entries(o)) {
    // allOf parts are validated one by one: closing them would refuse each other's fields.
    if (k !== "allOf") closeObjects(v);
  }
}

interface Route {
  method: string;
  pattern: RegExp;
  params: string[];
  op: DoubleOp | null;
  body: ValidateFunction | null;
  query: Map<string, { schema: Json; validate: ValidateFunction }>;
  path: Map<string, ValidateFunction>;
  responses: Map<number, ValidateFunction>;
}

const OPS: Record<string, DoubleOp> = {
  listInstanceTypes: "types",
  listInstances: "list",
  createInstance: "create",
  getInstance: "info",
  updateInstance: "update",
  deleteInstance: "delete",
};

function compileRoutes(file: string): Route[] {
  const doc = parseYaml(readFileSync(file, "utf8")) as {
    paths: Record<string, Record<string, Json>>;
    components: Json;
  };
  closeObjects(doc.components);
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("uuid", UUID);
  ajv.addFormat("date-time", {
    validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addSchema({ $id: "shadeform", components: doc.components });
  const deref = (node: Json): Json => {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    const [, kind, name] = ref.split("/").slice(1);
    return deref(((doc.components[kind as string] as Json)[name as string] ?? {}) as Json);
  };
  const schema = (s: Json) =>
    ajv.compile(typeof s.$ref === "string" ? { $ref: `shadeform${s.$ref}` } : s);
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    const params: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/\{(\w+)\}/g, (_, name: string) => {
        params.push(name);
        return "([^/]+)";
      })}$`,
    );
    for (const [method, opRaw] of Object.entries(methods)) {
      const op = opRaw as Json;
      const route: Route = {
        method: method.toUpperCase(),
        pattern,
        params,
        op: OPS[op.operationId as string] ?? null,
        body: null,
        query: new Map(),
        path: new Map(),
        responses: new Map(),
      };
      for (const p of (op.parameters ?? []) as Json[]) {
        const param = deref(p);
        const s = param.schema as Json;
        if (param.in === "query")
          route.query.set(param.name as string, { schema: s, validate: schema(s) });
        else if (param.in === "path") route.path.set(param.name as string, schema(s));
      }
      const body = op.requestBody as Json | undefined;
      const bodySchema = (body?.content as Json | undefined)?.["application/json"] as
        | Json
        | undefined;
      if (bodySchema) route.body = schema(bodySchema.schema as Json);
      for (const [code, r] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        const json = (deref(r).content as Json | undefined)?.["application/json"] as
          | Json
          | undefined;
        if (json) route.responses.set(Number(code), schema(json.schema as Json));
      }
      routes.push(route);
    }
  }
  return routes;
}

function describeErrors(where: string, errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const at = `${where}${e.instancePath}`;
      if (e.keyword === "additionalProperties")
        return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      if (e.keyword === "required")
        return `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
      return `${at}: ${e.message}`;
    })
    .join("; ");
}

function snapshot(i: Live): DoubleInstance {
  const {
    child: _child,
    stderr: _stderr,
    stateDir: _dir,
    timers: _timers,
    exited: _exited,
    ...rest
  } = i;
  return { ...rest, tags: [...i.tags], env: { ...i.env }, autoDelete: { ...i.autoDelete } };
}

/** The auto-delete thresholds of a create or an update (checked by the schema but for the amount). */
function autoDeleteOf(raw: unknown): DoubleInstance["autoDelete"] {
  const auto = (raw ?? {}) as { date_threshold?: string; spend_threshold?: string };
  const dollars = auto.spend_threshold === undefined ? null : Number(auto.spend_threshold);
  if (dollars !== null && !(Number.isFinite(dollars) && dollars >= 0))
    throw new HttpError(
      400,
      "bad_request",
      `auto_delete.spend_threshold "${auto.spend_threshold}" is not an amount in dollars`,
    );
  return {
    atMs: auto.date_threshold === undefined ? null : Date.parse(auto.date_threshold),
    spendCents: dollars === null ? null : Math.round(dollars * 100),
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startShadeformDouble(
  o: ShadeformDoubleOptions = {},
): Promise<ShadeformDouble> {
  const routes = compileRoutes(shadeformDescriptionPath());
  const apiKey = o.apiKey ?? randomBytes(16).toString("hex");
  const types = o.instanceTypes ?? DEFAULT_INSTANCE_TYPES;
  const bootDelayMs = o.bootDelayMs ?? 300;
  const podPort = o.podPort ?? 8750;
  const clock = o.clock ?? Date.now;
  const log = o.log ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), "cacheon-shadeform-"));
  const live = new Map<string, Live>();
  const faults: { op: DoubleOp; fault: DoubleFault }[] = [];
  const requests: ShadeformDouble["requests"] = [];
  const hanging = new Set<ServerResponse>();
  let closed = false;

  const spend = (i: Live) =>
    i.activeAtMs === null
      ? 0
      : (i.hourlyPriceCents * Math.max(0, (i.deletedAtMs ?? clock()) - i.activeAtMs)) / HOUR_MS;

  const killGroup = (i: Live) => {
    if (i.child?.pid !== undefined && !i.podExited)
      try {
        process.kill(-i.child.pid, "SIGKILL");
      } catch {}
  };

  const remove = (i: Live, by: "request" | "auto-delete") => {
    if (i.status === "deleting" || i.status === "deleted") return;
    for (const t of i.timers) clearTimeout(t);
    i.status = "deleting";
    i.deletedAtMs = clock();
    i.deletedBy = by;
    killGroup(i);
    log(`instance ${i.name} (${i.id}): deleting (${by})`);
    i.timers.push(
      setTimeout(() => {
        i.status = "deleted";
      }, 50),
    );
  };

  const enforceAutoDelete = () => {
    const now = clock();
    for (const i of live.values()) {
      if (i.status === "deleting" || i.status === "deleted") continue;
      const late = i.autoDelete.atMs !== null && now >= i.autoDelete.atMs;
      const dear = i.autoDelete.spendCents !== null && spend(i) >= i.autoDelete.spendCents;
      if (late || dear) remove(i, "auto-delete");
    }
  };
  const checker = setInterval(enforceAutoDelete, o.checkEveryMs ?? 50);
  checker.unref();

  const startPod = (i: Live) => {
    if (closed || i.status !== "pending") return;
    const env: Record<string, string> = {};
    // A fresh machine: none of this process's Cacheon settings, only what the launch gives.
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith("CACHEON_")) env[k] = v;
    Object.assign(env, i.env);
    const child = spawn(
      process.execPath,
      [
        cliEntry(),
        "pod",
        "serve",
        "--runtime",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--state-dir",
        i.stateDir,
        ...(o.podArgs ?? []),
      ],
      { detached: true, stdio: ["ignore", "pipe", "pipe"], env },
    );
    i.child = child;
    i.podPid = child.pid ?? null;
    i.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let stdout = "";
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      i.stderr = (i.stderr + s).slice(-4000);
    });
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      const ready = readAnnouncement(stdout);
      if (!ready || i.podUrl !== null) return;
      i.podUrl = ready.url;
      if (i.status !== "pending") return;
      i.status = "active";
      i.activeAtMs = clock();
      log(`instance ${i.name} (${i.id}): active, pod at ${i.podUrl}`);
    });
    child.once("exit", (code, signal) => {
      i.podExited = true;
      if (i.status === "pending") {
        i.status = "error";
        const last = i.stderr.trim().split("\n").at(-1) ?? "";
        i.statusDetails = `the pod worker exited (${signal ?? code}) before it listened: ${last}`;
      }
    });
  };

  const toApi = (i: Live): Json => {
    const port = i.podUrl === null ? null : Number(new URL(i.podUrl).port);
    const type = types.find((t) => t.cloud === i.cloud && t.shade_instance_type === i.type);
    return {
      id: i.id,
      cloud: i.cloud,
      region: i.region,
      shade_instance_type: i.type,
      cloud_instance_type: type?.cloud_instance_type ?? i.type,
      cloud_assigned_id: `vm-${i.id.slice(0, 8)}`,
      shade_cloud: true,
      name: i.name,
      configuration: type?.configuration ?? {},
      ip: i.status === "active" ? "127.0.0.1" : "",
      ssh_user: "shadeform",
      ssh_port: 22,
      status: i.status,
      ...(i.statusDetails ? { status_details: i.statusDetails } : {}),
      cost_estimate: (spend(i) / 100).toFixed(2),
      hourly_price: i.hourlyPriceCents,
      tags: i.tags,
      ...(port === null ? {} : { port_mappings: [{ host_port: port, container_port: podPort }] }),
      created_at: new Date(i.createdAtMs).toISOString(),
      ...(i.activeAtMs === null ? {} : { active_at: new Date(i.activeAtMs).toISOString() }),
      ...(i.deletedAtMs === null ? {} : { deleted_at: new Date(i.deletedAtMs).toISOString() }),
    };
  };

  const find = (id: string): Live => {
    const i = live.get(id);
    if (!i) throw new HttpError(404, "not_found", `instance ${id} not found`);
    return i;
  };

  const create = (body: Json): Json => {
    const lc = body.launch_configuration as Json | undefined;
    if (lc?.docker_configuration && lc.script_configuration)
      throw new HttpError(
        400,
        "bad_request",
        "only one of docker_configuration or script_configuration may be given",
      );
    if (lc && !lc[`${lc.type as string}_configuration`])
      throw new HttpError(
        400,
        "bad_request",
        `launch_configuration of type ${lc.type as string} needs ${lc.type as string}_configuration`,
      );
    const script = (lc?.script_configuration as Json | undefined)?.base64_script as
      | string
      | undefined;
    if (script !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(script))
      throw new HttpError(400, "bad_request", "base64_script is not base64");
    const [cloud, region, typeName] = [body.cloud, body.region, body.shade_instance_type] as [
      string,
      string,
      string,
    ];
    const type = types.find(
      (t) =>
        t.cloud === cloud &&
        t.shade_instance_type === typeName &&
        t.availability.some((a) => a.region === region),
    );
    if (!type)
      throw new HttpError(
        400,
        "bad_request",
        `instance type ${typeName} is not offered by ${cloud} in ${region}`,
      );
    const open = type.availability.find((a) => a.region === region)?.available === true;
    if (!open || state.noCapacity)
      throw new HttpError(
        400,
        "no_capacity",
        `${typeName} on ${cloud} in ${region} is not available right now (no capacity)`,
      );
    const autoDelete = autoDeleteOf(body.auto_delete);
    const id = randomUUID();
    const i: Live = {
      id,
      name: body.name as string,
      tags: (body.tags as string[] | undefined) ?? [],
      status: "creating",
      cloud,
      region,
      type: typeName,
      hourlyPriceCents: type.hourly_price,
      launchScript: script === undefined ? null : Buffer.from(script, "base64").toString("utf8"),
      env: Object.fromEntries(
        ((body.envs as { name: string; value: string }[] | undefined) ?? []).map((e) => [
          e.name,
          e.value,
        ]),
      ),
      autoDelete,
      createdAtMs: clock(),
      activeAtMs: null,
      deletedAtMs: null,
      deletedBy: null,
      podUrl: null,
      podPid: null,
      podExited: false,
      stuck: state.stuckBooting,
      child: null,
      stderr: "",
      stateDir: join(root, id),
      timers: [],
      exited: null,
    };
    live.set(id, i);
    log(`instance ${i.name} (${id}): creating ${typeName} on ${cloud}/${region}`);
    i.timers.push(
      setTimeout(
        () => {
          if (i.status === "creating") i.status = "pending";
        },
        Math.floor(bootDelayMs / 2),
      ),
    );
    if (!i.stuck) i.timers.push(setTimeout(() => startPod(i), bootDelayMs));
    return { id };
  };

  const update = (i: Live, body: Json) => {
    if (typeof body.name === "string") i.name = body.name;
    if (Array.isArray(body.tags)) i.tags = body.tags as string[];
    if (body.auto_delete !== undefined) i.autoDelete = autoDeleteOf(body.auto_delete);
  };

  /** The body of the answer to a checked request (undefined: an empty 200). */
  const handle = (route: Route, params: string[], query: URLSearchParams, body: unknown) => {
    const id = params[0] as string;
    switch (route.op) {
      case "types": {
        const cloud = query.get("cloud");
        const region = query.get("region");
        const gpus = query.get("num_gpus");
        const gpuType = query.get("gpu_type");
        const availableOnly = query.get("available") === "true";
        let list = types
          .map((t) => ({
            ...t,
            availability: t.availability
              .filter((a) => region === null || a.region === region)
              .map((a) => ({ ...a, available: a.available && !state.noCapacity })),
          }))
          .filter(
            (t) =>
              (cloud === null || t.cloud === cloud) &&
              (gpus === null || String(t.configuration.num_gpus) === gpus) &&
              (gpuType === null || t.configuration.gpu_type === gpuType) &&
              t.availability.length > 0 &&
              (!availableOnly || t.availability.some((a) => a.available)),
          );
        if (query.get("sort") === "price")
          list = [...list].sort((a, b) => a.hourly_price - b.hourly_price);
        return { instance_types: list };
      }
      case "list":
        return {
          instances: [...live.values()].filter((i) => i.status !== "deleted").map(toApi),
        };
      case "create":
        return create(body as Json);
      case "info":
        return toApi(find(id));
      case "update":
        update(find(id), body as Json);
        return undefined;
      case "delete":
        remove(find(id), "request");
        return undefined;
      default:
        throw new HttpError(501, "not_implemented", "the double does not implement this route");
    }
  };

  const server = createServer((req, res) => {
    void serve(req, res);
  });

  const send = (
    res: ServerResponse,
    entry: { status: number | null },
    status: number,
    body?: unknown,
  ) => {
    entry.status = status;
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json" }).end(text);
  };

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://double");
    const entry = { method: req.method ?? "", path: url.pathname, status: null as number | null };
    requests.push(entry);
    const fail = (e: HttpError) => send(res, entry, e.status, { code: e.code, message: e.message });
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_BODY) throw new HttpError(413, "too_large", "request body over 1 MiB");
        chunks.push(c);
      }
      enforceAutoDelete();
      if (!url.pathname.startsWith("/v1/")) throw new HttpError(404, "not_found", "no such route");
      const path = url.pathname.slice(3);
      let params: string[] | null = null;
      const route = routes.find((r) => {
        const m = r.pattern.exec(path);
        if (!m) return false;
        params = m.slice(1).map(decodeURIComponent);
        return r.method === req.method;
      });
      if (!route) {
        const known = routes.some((r) => r.pattern.test(path));
        throw new HttpError(
          known ? 405 : 404,
          known ? "method_not_allowed" : "not_found",
          `${req.method} ${url.pathname}: no such route`,
        );
      }
      if (req.headers["x-api-key"] !== apiKey)
        throw new HttpError(401, "unauthorized", "missing or invalid X-API-KEY");
      const problems: string[] = [];
      route.params.forEach((name, k) => {
        const v = route.path.get(name);
        if (v && !v((params as string[] | null)?.[k]))
          problems.push(describeErrors(`path ${name}`, v.errors));
      });
      for (const [name, value] of url.searchParams) {
        const q = route.query.get(name);
        if (!q) {
          problems.push(`query: unknown parameter "${name}"`);
          continue;
        }
        const typed =
          q.schema.type === "boolean"
            ? value === "true"
              ? true
              : value === "false"
                ? false
                : value
            : value;
        if (!q.validate(typed)) problems.push(describeErrors(`query ${name}`, q.validate.errors));
      }
      let body: unknown;
      const raw = Buffer.concat(chunks).toString("utf8");
      if (route.body) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, "bad_request", "the request body is not JSON");
        }
        if (!route.body(body)) problems.push(describeErrors("body", route.body.errors));
      } else if (raw.trim() !== "") problems.push("body: this route takes no request body");
      if (problems.length > 0) throw new HttpError(400, "bad_request", problems.join("; "));

      const k = faults.findIndex((f) => f.op === route.op);
      const fault = k === -1 ? null : (faults.splice(k, 1)[0] as (typeof faults)[number]).fault;
      if (fault === "5xx") throw new HttpError(500, "internal", "internal server error (injected)");
      if (fault === "timeout") {
        hanging.add(res);
        return;
      }
      const answer = handle(route, params ?? [], url.searchParams, body);
      if (fault === "lost-answer") {
        hanging.add(res);
        return;
      }
      const check = route.responses.get(200);
      if (answer !== undefined && check && !check(answer))
        throw new Error(
          `the double's own answer breaks the description: ${describeErrors("answer", check.errors)}`,
        );
      send(res, entry, 200, answer);
    } catch (err) {
      if (err instanceof HttpError) fail(err);
      else fail(new HttpError(500, "internal", (err as Error).message));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const state: ShadeformDouble = {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    noCapacity: false,
    stuckBooting: false,
    requests,
    inject(op, fault, times = 1) {
      for (let n = 0; n < times; n++) faults.push({ op, fault });
    },
    instances: () => [...live.values()].map(snapshot),
    spendCents: (id) => spend(find(id)),
    async killPod(id) {
      const i = find(id);
      killGroup(i);
      await i.exited;
    },
    enforceAutoDelete,
    async close() {
      closed = true;
      clearInterval(checker);
      for (const i of live.values()) {
        for (const t of i.timers) clearTimeout(t);
        killGroup(i);
      }
      await Promise.all([...live.values()].map((i) => i.exited));
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return state;
}
