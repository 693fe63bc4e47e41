// A RentalProvider made of shell commands the operator configures, so any marketplace or CLI fits
// without code. Each runs under /bin/sh with its argument passed as "$1" (never spliced into the
// command text), a deadline, and its output parsed by zod; on failure its stderr is in the error.
//   create       reads the rental as JSON on stdin (secrets stay out of argv), prints {"id", ...}
//   info ID      prints the instance as JSON, or null once it is gone
//   list TAG     prints a JSON array of the instances carrying TAG
//   delete ID    gives it back; exit 0 when done or already gone
// An instance printed is {"id", "name", "tags"?, "status"?, "address"? ("HOST:PORT" of the pod
// worker), "ip"?, "hourly_price_cents"?, "created_at"?}. A create that exits 75 (EX_TEMPFAIL) means
// no capacity; any other failure of a create, or no exit in time, is `uncertain`.
import { spawn } from "node:child_process";
import { z } from "zod";
import { formatZodIssues } from "../../contract/json-file.js";
import {
  createdId,
  INSTANCE_STATUSES,
  type InstanceOffer,
  RentalError,
  type RentalErrorKind,
  type RentalProvider,
  type RentalRequest,
  type RentedInstance,
} from "./types.js";

const Command = z.string().trim().min(1, "give a shell command");

/** The operator's configuration: the commands and what they rent. */
export const CommandProviderConfigSchema = z.strictObject({
  create: Command,
  info: Command,
  list: Command,
  delete: Command,
  /** What the commands rent, checked against the arena's hardware like any listed offer. */
  offer: z.strictObject({
    type: z.string().min(1).default("command"),
    gpus: z.number().int().min(1).max(16),
    gpuModel: z.string().min(1),
    interconnect: z.string().default("sxm"),
    /** The price when a command's answer gives none: the spend cap counts with it. */
    hourlyPriceCents: z.number().int().positive(),
  }),
  /** Per command run (default 2 min). */
  timeoutMs: z.number().int().positive().max(3_600_000).default(120_000),
});
export type CommandProviderConfig = z.input<typeof CommandProviderConfigSchema>;

const ADDRESS = /^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):\d{1,5}$/;

const InstanceOut = z.object({
  id: z.string().min(1),
  name: z.string(),
  tags: z.array(z.string()).default([]),
  status: z.enum(INSTANCE_STATUSES).optional(),
  address: z.string().regex(ADDRESS, 'expected "HOST:PORT"').nullish(),
  ip: z.string().min(1).nullish(),
  hourly_price_cents: z.number().int().nonnegative().nullish(),
  created_at: z.iso.datetime({ offset: true }).optional(),
});
const CreatedOut = z.object({ id: z.string().min(1) });

type Verb = "create" | "info" | "list" | "delete";
const EX_TEMPFAIL = 75;
const MAX_OUTPUT = 1 << 20;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class CommandProvider implements RentalProvider {
  readonly kind = "command";
  private readonly c: z.output<typeof CommandProviderConfigSchema>;

  constructor(config: CommandProviderConfig) {
    this.c = CommandProviderConfigSchema.parse(config);
  }

  async instanceTypes(): Promise<InstanceOffer[]> {
    const o = this.c.offer;
    return [
      {
        type: o.type,
        cloud: "command",
        region: "command",
        gpus: o.gpus,
        gpuModel: o.gpuModel,
        interconnect: o.interconnect,
        deployment: "vm",
        hourlyPriceCents: o.hourlyPriceCents,
        available: true,
      },
    ];
  }

  async create(req: RentalRequest): Promise<{ id: string }> {
    const input = JSON.stringify({
      name: req.name,
      tags: req.tags,
      type: req.placement.type,
      launch_script: req.launchScript ?? null,
      env: req.env,
      auto_delete: {
        at: new Date(req.autoDelete.atMs).toISOString(),
        spend_usd: (req.autoDelete.spendCents / 100).toFixed(2),
      },
    });
    const ran = await this.run("create", [], input);
    if (ran.timedOut || ran.code !== 0) {
      const kind: RentalErrorKind =
        !ran.timedOut && ran.code === EX_TEMPFAIL ? "no_capacity" : "uncertain";
      const tail = kind === "uncertain" ? `; it may have happened` : "";
      throw new RentalError(kind, `${failure("create", this.c.timeoutMs, ran)}${tail}`);
    }
    return { id: createdId(() => this.parse("create", CreatedOut, ran.stdout).id) };
  }

  async info(id: string): Promise<RentedInstance | null> {
    const out = this.parse("info", InstanceOut.nullable(), await this.ok("info", [id]));
    return out === null ? null : this.normalize(out);
  }

  async list(tag: string): Promise<RentedInstance[]> {
    const out = this.parse("list", z.array(InstanceOut), await this.ok("list", [tag]));
    return out
      .filter((i) => i.tags.includes(tag))
      .map((i) => this.normalize(i))
      .filter((i) => i.status !== "deleted");
  }

  async delete(id: string): Promise<void> {
    await this.ok("delete", [id]);
  }

  private normalize(i: z.infer<typeof InstanceOut>): RentedInstance {
    const address = i.address ?? null;
    const ip =
      i.ip ?? (address === null ? null : address.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""));
    return {
      id: i.id,
      name: i.name,
      tags: i.tags,
      status: i.status ?? (address === null ? "pending" : "active"),
      ip,
      address,
      hourlyPriceCents: i.hourly_price_cents ?? this.c.offer.hourlyPriceCents,
      createdAtMs: i.created_at === undefined ? 0 : Date.parse(i.created_at),
    };
  }

  /** Runs a command that must succeed; its stdout. */
  private async ok(what: Exclude<Verb, "create">, args: string[]): Promise<string> {
    const ran = await this.run(what, args);
    if (ran.timedOut || ran.code !== 0)
      throw new RentalError("unavailable", failure(what, this.c.timeoutMs, ran));
    return ran.stdout;
  }

  private parse<T>(what: string, schema: z.ZodType<T>, stdout: string): T {
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      throw new RentalError(
        "bad_response",
        `the ${what} command printed no JSON: ${JSON.stringify(stdout.trim().slice(0, 200))}`,
      );
    }
    const r = schema.safeParse(json);
    if (!r.success)
      throw new RentalError(
        "bad_response",
        `the ${what} command's output: ${formatZodIssues(r.error)}`,
      );
    return r.data;
  }

  private run(what: Verb, args: string[], stdin = ""): Promise<Ran> {
    const command = this.c[what];
    return new Promise((done) => {
      let settled = false;
      const resolve = (r: Ran) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(r);
      };
      // "$@" hands the argument over as data; a process group of its own, so a deadline ends
      // whatever the command started too.
      const child = spawn("/bin/sh", ["-c", `${command} "$@"`, `cacheon-${what}`, ...args], {
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {}
        // Something that left the group may hold the pipes open: do not wait for them.
        resolve({ code: null, stdout, stderr, timedOut });
      }, this.c.timeoutMs);
      child.stdout.setEncoding("utf8").on("data", (s: string) => {
        if (stdout.length < MAX_OUTPUT) stdout += s;
      });
      child.stderr.setEncoding("utf8").on("data", (s: string) => {
        stderr = (stderr + s).slice(-MAX_OUTPUT);
      });
      // A command that does not read its stdin must not fail the run.
      child.stdin.on("error", () => {});
      child.stdin.end(stdin);
      child.once("error", (err) =>
        resolve({ code: null, stdout, stderr: `${stderr}${err.message}`, timedOut }),
      );
      child.once("close", (code) => resolve({ code, stdout, stderr, timedOut }));
    });
  }
}

/** One line: what failed, how, and the tail of what the command said on stderr. */
function failure(what: string, timeoutMs: number, ran: Ran): string {
  const how = ran.timedOut
    ? `did not finish in ${timeoutMs / 1000} s`
    : `failed (exit ${ran.code ?? "by signal"})`;
  const said = ran.stderr.trim().split("\n").slice(-5).join(" | ").slice(-500);
  return `the ${what} command ${how}${said ? `: ${said}` : ""}`;
}
