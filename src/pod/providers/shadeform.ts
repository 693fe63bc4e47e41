// Shadeform (one REST API over many GPU clouds, data/shadeform/openapi.yml) as a RentalProvider.
// Reads and deletes are retried with backoff on no answer, 429 and 5xx; a create never is: one that
// got no answer may have happened, so it fails `uncertain` and the caller reconciles by tag.
import { type Dispatcher, request } from "undici";
import { z } from "zod";
import { describeNetworkError } from "../../contract/http.js";
import { formatZodIssues } from "../../contract/json-file.js";
import {
  createdId,
  type InstanceOffer,
  type InstanceStatus,
  RentalError,
  type RentalProvider,
  type RentalRequest,
  type RentedInstance,
} from "./types.js";

export const SHADEFORM_URL = "https://api.shadeform.ai/v1";

const ConfigurationSchema = z.object({
  num_gpus: z.number().int().nonnegative(),
  gpu_type: z.string(),
  interconnect: z.string().optional(),
});

const InstanceTypesSchema = z.object({
  instance_types: z.array(
    z.object({
      cloud: z.string(),
      shade_instance_type: z.string(),
      configuration: ConfigurationSchema,
      hourly_price: z.number().int().nonnegative(),
      // Absent in older answers, which listed VMs only.
      deployment_type: z.enum(["vm", "container", "baremetal"]).default("vm"),
      availability: z.array(z.object({ region: z.string(), available: z.boolean() })),
      boot_time: z.object({ max_boot_in_sec: z.number().int().optional() }).optional(),
    }),
  ),
});

const InstanceSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  status_details: z.string().optional(),
  ip: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  hourly_price: z.number().int().nonnegative().nullish(),
  port_mappings: z
    .array(z.object({ host_port: z.number().int(), container_port: z.number().int() }))
    .nullish(),
  created_at: z.string(),
});

const InstancesSchema = z.object({ instances: z.array(InstanceSchema).nullish() });
const CreatedSchema = z.object({ id: z.string().min(1) });
const ErrorSchema = z.object({ message: z.string().optional(), error: z.string().optional() });

/** Shadeform's statuses in ours: creating and pending_provider have no machine yet. */
const STATUS: Record<string, InstanceStatus> = {
  creating: "pending",
  pending_provider: "pending",
  pending: "booting",
  active: "active",
  deleting: "deleting",
  deleted: "deleted",
  error: "error",
};

const NO_CAPACITY = /capacity|not available|unavailable|out of stock|sold out/i;

export interface ShadeformOptions {
  apiKey: string;
  baseUrl?: string;
  /** Per request, for the headers and the body (default 30 s). */
  timeoutMs?: number;
  /** Retries of a read or a delete after the first try (default 3). */
  retries?: number;
  /** The first retry's wait, doubling after each (default 1 s). */
  backoffMs?: number;
  /** The port the launch script makes the pod listen on (default 8750). */
  podPort?: number;
  dispatcher?: Dispatcher;
}

type Answer = { status: number; text: string };

export class ShadeformProvider implements RentalProvider {
  readonly kind = "shadeform";
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly podPort: number;

  constructor(private readonly o: ShadeformOptions) {
    this.base = (o.baseUrl ?? SHADEFORM_URL).replace(/\/+$/, "");
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retries = o.retries ?? 3;
    this.backoffMs = o.backoffMs ?? 1_000;
    this.podPort = o.podPort ?? 8750;
  }

  async instanceTypes(): Promise<InstanceOffer[]> {
    const path = "/instances/types";
    const body = parse(InstanceTypesSchema, await this.read("GET", path), `GET ${path}`);
    return body.instance_types.flatMap((t) =>
      t.availability.map((a) => ({
        type: t.shade_instance_type,
        cloud: t.cloud,
        region: a.region,
        gpus: t.configuration.num_gpus,
        gpuModel: t.configuration.gpu_type,
        interconnect: t.configuration.interconnect ?? "",
        deployment: t.deployment_type,
        hourlyPriceCents: t.hourly_price,
        available: a.available,
        ...(t.boot_time?.max_boot_in_sec === undefined
          ? {}
          : { maxBootSeconds: t.boot_time.max_boot_in_sec }),
      })),
    );
  }

  async create(req: RentalRequest): Promise<{ id: string }> {
    const path = "/instances/create";
    const body = {
      cloud: req.placement.cloud,
      region: req.placement.region,
      shade_instance_type: req.placement.type,
      shade_cloud: true,
      name: req.name,
      ...(req.launchScript === undefined
        ? {}
        : {
            launch_configuration: {
              type: "script",
              script_configuration: {
                base64_script: Buffer.from(req.launchScript, "utf8").toString("base64"),
              },
            },
          }),
      auto_delete: {
        date_threshold: new Date(req.autoDelete.atMs).toISOString(),
        spend_threshold: (req.autoDelete.spendCents / 100).toFixed(2),
      },
      tags: req.tags,
      envs: Object.entries(req.env).map(([name, value]) => ({ name, value })),
    };
    const what = `create of ${req.name}`;
    let answer: Answer;
    try {
      answer = await this.send("POST", path, body);
    } catch (err) {
      // Refused before a byte was sent: nothing can have happened.
      const refused = (err as { code?: string }).code === "ECONNREFUSED";
      throw new RentalError(
        refused ? "unavailable" : "uncertain",
        `Shadeform ${what}: ${describeNetworkError(err)}${refused ? "" : ": it may have happened"}`,
      );
    }
    if (answer.status >= 500)
      throw new RentalError(
        "uncertain",
        `Shadeform ${what}: ${message(answer)}: it may have happened`,
      );
    this.check("POST", path, answer);
    return { id: createdId(() => parse(CreatedSchema, answer.text, `POST ${path}`).id) };
  }

  async info(id: string): Promise<RentedInstance | null> {
    const path = `/instances/${encodeURIComponent(id)}/info`;
    const text = await this.read("GET", path, true);
    if (text === null) return null;
    return this.normalize(parse(InstanceSchema, text, `GET ${path}`));
  }

  async list(tag: string): Promise<RentedInstance[]> {
    const body = parse(InstancesSchema, await this.read("GET", "/instances"), "GET /instances");
    return (body.instances ?? [])
      .filter((i) => i.tags?.includes(tag))
      .map((i) => this.normalize(i))
      .filter((i) => i.status !== "deleted");
  }

  async delete(id: string): Promise<void> {
    // Deleting twice is harmless and a 404 means already gone: safe to retry.
    await this.read("POST", `/instances/${encodeURIComponent(id)}/delete`, true);
  }

  private normalize(i: z.infer<typeof InstanceSchema>): RentedInstance {
    const ip = i.ip ? i.ip : null;
    const port =
      i.port_mappings?.find((m) => m.container_port === this.podPort)?.host_port ?? this.podPort;
    const status = STATUS[i.status];
    const created = Date.parse(i.created_at);
    return {
      id: i.id,
      name: i.name,
      tags: i.tags ?? [],
      // A status this client does not know yet: not gone, not usable.
      status: status ?? "booting",
      ...(status === undefined
        ? { statusDetail: `Shadeform status "${i.status}"` }
        : i.status_details
          ? { statusDetail: i.status_details }
          : {}),
      ip,
      address: ip === null ? null : `${ip.includes(":") ? `[${ip}]` : ip}:${port}`,
      hourlyPriceCents: i.hourly_price ?? null,
      createdAtMs: Number.isNaN(created) ? 0 : created,
    };
  }

  /**
   * A request that is safe to repeat, retried on no answer, 429 and 5xx; its body text. With
   * `missingOk`, a 404 is null rather than an error.
   */
  private read(method: "GET" | "POST", path: string): Promise<string>;
  private read(method: "GET" | "POST", path: string, missingOk: true): Promise<string | null>;
  private async read(method: "GET" | "POST", path: string, missingOk = false) {
    let failure = "";
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      let answer: Answer;
      try {
        answer = await this.send(method, path);
      } catch (err) {
        failure = describeNetworkError(err);
        continue;
      }
      if (answer.status >= 500 || answer.status === 429) {
        failure = message(answer);
        continue;
      }
      if (answer.status === 404 && missingOk) return null;
      this.check(method, path, answer);
      return answer.text;
    }
    throw new RentalError(
      "unavailable",
      `Shadeform ${method} ${path}: ${failure} (${this.retries + 1} tries)`,
    );
  }

  /** Throws for any answer but a 2xx. */
  private check(method: string, path: string, a: Answer): void {
    if (a.status >= 200 && a.status < 300) return;
    const text = `Shadeform ${method} ${path}: ${message(a)}`;
    if (a.status === 401 || a.status === 403)
      throw new RentalError("unauthorized", `${text} (check the API key)`);
    if (a.status === 429 || a.status >= 500) throw new RentalError("unavailable", text);
    throw new RentalError(NO_CAPACITY.test(text) ? "no_capacity" : "bad_request", text);
  }

  private async send(method: "GET" | "POST", path: string, body?: unknown): Promise<Answer> {
    const res = await request(`${this.base}${path}`, {
      method,
      headers: {
        "x-api-key": this.o.apiKey,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }
}

/** The provider's own words for a failed answer, or its status. */
function message(a: Answer): string {
  try {
    const e = ErrorSchema.parse(JSON.parse(a.text));
    const said = e.message ?? e.error;
    if (said) return `${a.status}: ${said}`;
  } catch {}
  const text = a.text.trim().slice(0, 300);
  return text ? `${a.status}: ${text}` : `answered ${a.status}`;
}

function parse<T>(schema: z.ZodType<T>, text: string, call: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RentalError("bad_response", `Shadeform ${call}: the answer is not JSON`);
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new RentalError(
      "bad_response",
      `Shadeform ${call}: unexpected answer: ${formatZodIssues(r.error)}`,
    );
  return r.data;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
