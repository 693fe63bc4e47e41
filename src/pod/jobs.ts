// The pod's job store: one folder per job under `<state>/jobs/<id>/` — job.json (the status),
// events.ndjson (appended, one event a line), report.json and logs/<server>.log once the session has
// ended; every file but the events is written whole or not at all (contract/atomic-write.ts). The
// events are the truth of what was done: a worker killed mid-job leaves them behind, and the next
// start marks that job interrupted from them.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../contract/atomic-write.js";
import type { EvalReport } from "../eval/report.js";
import {
  type JobRequest,
  type JobServer,
  type JobStatus,
  JobStatusSchema,
  type PodEvent,
  PodEventSchema,
} from "./schema.js";

const JOB_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** Sortable by time, unique by its random tail, and safe as a folder name. */
export function newJobId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export const isJobId = (id: string) => JOB_ID.test(id);

/** Every server of a request, none started yet: the baseline first, as the session runs them. */
export function pendingServers(req: JobRequest): JobServer[] {
  return ["baseline", ...req.candidates.map((c) => c.name)].map((name) => ({
    name,
    state: "pending",
  }));
}

/** The servers after one event: a server-start makes one running, a server-end done or failed. */
export function applyEvent(servers: readonly JobServer[], e: PodEvent): JobServer[] {
  if (e.type !== "server-start" && e.type !== "server-end") return [...servers];
  return servers.map((s): JobServer => {
    if (s.name !== e.server) return s;
    if (e.type === "server-start") return { name: s.name, state: "running" };
    return e.failure
      ? { name: s.name, state: "failed", failure: e.failure }
      : { name: s.name, state: "done" };
  });
}

/** The servers as the report has them (a gate failure and a candidate not run count as failed). */
export function reportServers(report: EvalReport): JobServer[] {
  return [report.baseline, ...report.candidates].map((r) =>
    r.failure
      ? { name: r.name, state: "failed", failure: r.failure }
      : { name: r.name, state: "done" },
  );
}

/** A job's servers when its worker stopped: the one that was running is interrupted. */
export function interruptedServers(servers: readonly JobServer[]): JobServer[] {
  return servers.map((s) => (s.state === "running" ? { name: s.name, state: "interrupted" } : s));
}

export type JobOutcome =
  | { status: "done" | "cancelled"; report: EvalReport }
  | { status: "failed"; error: string };

type Listener = (e: PodEvent) => void;

/** How long per-request progress lines may wait before they are written. */
const FLUSH_MS = 250;

export class JobStore {
  private readonly jobs = new Map<string, JobStatus>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Per-request progress lines not yet on disk (written in batches, see append). */
  private readonly unwritten = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly root: string;

  /** Loads every job under `<dir>/jobs`; `warn` hears of a folder that holds no readable job. */
  constructor(dir: string, warn: (line: string) => void = () => {}) {
    this.root = join(dir, "jobs");
    mkdirSync(this.root, { recursive: true });
    for (const id of readdirSync(this.root)) {
      if (!isJobId(id)) continue;
      const file = join(this.root, id, "job.json");
      if (!existsSync(file)) continue; // killed between its folder and its first write
      try {
        this.jobs.set(id, JobStatusSchema.parse(JSON.parse(readFileSync(file, "utf8"))));
      } catch (err) {
        warn(`job ${id}: cannot read ${file}, skipped: ${(err as Error).message.split("\n")[0]}`);
      }
    }
  }

  /** Newest first. */
  list(): JobStatus[] {
    return [...this.jobs.values()].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
    );
  }

  get(id: string): JobStatus | undefined {
    return this.jobs.get(id);
  }

  create(request: JobRequest, now = new Date()): JobStatus {
    const id = newJobId(now);
    mkdirSync(join(this.root, id, "logs"), { recursive: true });
    const at = now.toISOString();
    const job: JobStatus = {
      id,
      status: "running",
      request,
      createdAt: at,
      startedAt: at,
      finishedAt: null,
      servers: pendingServers(request),
    };
    this.save(job);
    this.append(id, { type: "job-start", job: id, at });
    return job;
  }

  /**
   * Records one event and tells whoever follows the job. A `requests` event comes with every
   * finished request, on the event loop that times the server: those are written in batches
   * (a kill loses at most the last FLUSH_MS of them, never a server's start or end).
   */
  append(id: string, e: PodEvent): void {
    const job = this.mustGet(id);
    const line = `${JSON.stringify(e)}\n`;
    if (e.type === "requests") {
      this.unwritten.set(id, (this.unwritten.get(id) ?? "") + line);
      this.flushTimer ??= setTimeout(() => this.flushAll(), FLUSH_MS).unref();
    } else appendFileSync(this.eventsFile(id), this.takeUnwritten(id) + line);
    if (e.type === "server-start" || e.type === "server-end")
      this.save({ ...job, servers: applyEvent(job.servers, e) });
    for (const listener of this.listeners.get(id) ?? []) listener(e);
    if (e.type === "job-end") this.listeners.delete(id);
  }

  /** Ends a running job: its report and logs first, then its status, then the job-end event. */
  finish(id: string, outcome: JobOutcome, now = new Date()): JobStatus {
    const job = this.mustGet(id);
    const at = now.toISOString();
    let ended: JobStatus;
    if (outcome.status === "failed") {
      ended = {
        ...job,
        status: "failed",
        finishedAt: at,
        servers: interruptedServers(job.servers),
        error: outcome.error,
      };
    } else {
      const { report } = outcome;
      for (const r of [report.baseline, ...report.candidates])
        writeFileAtomic(join(this.root, id, "logs", `${r.name}.log`), r.logs);
      writeFileAtomic(join(this.root, id, "report.json"), `${JSON.stringify(report)}\n`);
      ended = { ...job, status: outcome.status, finishedAt: at, servers: reportServers(report) };
    }
    this.save(ended);
    this.append(id, this.endEvent(ended));
    return ended;
  }

  /** At start: every job left running by a worker that died is interrupted, with what was done. */
  recover(now = new Date()): JobStatus[] {
    const recovered: JobStatus[] = [];
    for (const job of this.jobs.values()) {
      if (job.status !== "running") continue;
      const servers = interruptedServers(
        this.events(job.id).reduce(applyEvent, pendingServers(job.request)),
      );
      const finished = servers.filter((s) => s.state === "done" || s.state === "failed").length;
      const ended: JobStatus = {
        ...job,
        status: "interrupted",
        finishedAt: now.toISOString(),
        servers,
        error: `the pod worker stopped while this job ran (${finished} of ${servers.length} servers had finished)`,
      };
      this.save(ended);
      this.closeCutLine(job.id);
      this.append(job.id, this.endEvent(ended));
      recovered.push(ended);
    }
    return recovered;
  }

  /**
   * The job's events so far, and `listener` for each later one until job-end (none for a job that
   * has ended). Call `stop` when no longer interested. Undefined for an unknown job.
   */
  follow(
    id: string,
    listener: Listener,
  ): { past: PodEvent[]; live: boolean; stop: () => void } | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    // Read and subscribe in one tick: appends are synchronous, so nothing falls in between.
    const past = this.events(id);
    if (job.status !== "running") return { past, live: false, stop: () => {} };
    const set = this.listeners.get(id) ?? new Set<Listener>();
    this.listeners.set(id, set);
    set.add(listener);
    return { past, live: true, stop: () => set.delete(listener) };
  }

  /** report.json once written. */
  reportFile(id: string): string | undefined {
    const file = join(this.root, id, "report.json");
    return this.jobs.has(id) && existsSync(file) ? file : undefined;
  }

  /** The server's log file once the report is written. */
  logFile(id: string, server: string): string | undefined {
    const job = this.jobs.get(id);
    if (!job?.servers.some((s) => s.name === server)) return undefined;
    const file = join(this.root, id, "logs", `${server}.log`);
    return existsSync(file) ? file : undefined;
  }

  private takeUnwritten(id: string): string {
    const lines = this.unwritten.get(id) ?? "";
    this.unwritten.delete(id);
    return lines;
  }

  private flushAll(): void {
    this.flushTimer = null;
    for (const id of [...this.unwritten.keys()])
      appendFileSync(this.eventsFile(id), this.takeUnwritten(id));
  }

  private events(id: string): PodEvent[] {
    const file = this.eventsFile(id);
    const unwritten = this.takeUnwritten(id);
    if (unwritten) appendFileSync(file, unwritten);
    if (!existsSync(file)) return [];
    const events: PodEvent[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line) continue;
      // A line cut short by a kill is skipped; the rest still tell what was done.
      try {
        const e = PodEventSchema.safeParse(JSON.parse(line));
        if (e.success) events.push(e.data);
      } catch {}
    }
    return events;
  }

  /** Ends a last line that a kill cut short, so the next event starts a line of its own. */
  private closeCutLine(id: string): void {
    const file = this.eventsFile(id);
    if (existsSync(file) && !readFileSync(file, "utf8").endsWith("\n")) appendFileSync(file, "\n");
  }

  private endEvent(job: JobStatus): PodEvent {
    return {
      type: "job-end",
      job: job.id,
      at: job.finishedAt ?? new Date().toISOString(),
      status: job.status,
      ...(job.error === undefined ? {} : { error: job.error }),
    };
  }

  private eventsFile(id: string): string {
    return join(this.root, id, "events.ndjson");
  }

  private mustGet(id: string): JobStatus {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    return job;
  }

  private save(job: JobStatus): void {
    writeFileAtomic(join(this.root, job.id, "job.json"), `${JSON.stringify(job, null, 2)}\n`);
    this.jobs.set(job.id, job);
  }
}
