// Running a session's slots on one healthy server, in plan order (warmup, the gate pass, each
// trial of each measured phase), one phase trial each on one connection pool. Every answer is kept
// by request key; a candidate's are stored against the reference's and judged as each slot ends.
// The first failed request, failing answer or cancellation ends the server's run there.
import { Pool } from "undici";
import type { Arena } from "../arena/index.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import type { PhaseStats, RequestRecord } from "../harness/report.js";
import { type PhaseRunContext, runPhaseTrial } from "../harness/run.js";
import { round3 } from "../harness/stats.js";
import { phaseConnections } from "../harness/workload.js";
import type { Answer, Judge } from "./judge.js";
import { gateOutputOf, type StoredOutput, storeOutput } from "./outputs.js";
import { type PlannedSlot, requestKey } from "./plan.js";
import type { ServerFailure, SlotRun } from "./report.js";

export type SlotProgress =
  | { type: "slot-start"; server: string; slot: string; requests: number }
  | {
      type: "requests";
      server: string;
      slot: string;
      done: number;
      failed: number;
      requests: number;
    }
  | { type: "slot-end"; server: string; slot: string; ok: number; failed: number; wallMs: number };

export interface SlotsOptions {
  arena: Arena;
  vocab: Vocabulary;
  onProgress?: (e: SlotProgress) => void;
  signal?: AbortSignal;
}

/** For a candidate: the reference's answers, and the judge of its slots. */
export interface Against {
  reference: ReadonlyMap<string, Answer>;
  judge: Judge;
}

export interface SlotsRun {
  records: RequestRecord[];
  /** The measured slots' statistics. */
  phases: PhaseStats[];
  slots: SlotRun[];
  outputs: Record<string, StoredOutput>;
  /** Answers by request key; only a reference's are kept (a judged candidate's are in `outputs`). */
  answers: Map<string, Answer>;
  /** Sum of the slots' wall times. */
  requestsMs: number;
  failure: ServerFailure | null;
}

function firstFailure(slot: PlannedSlot, records: readonly RequestRecord[]): ServerFailure | null {
  const failed = records.filter((r) => r.status !== "ok");
  const first = failed[0];
  if (!first) return null;
  return {
    stage: slot.key,
    kind: "request_failed",
    message: `${failed.length} of ${records.length} requests failed in ${slot.key}; first: ${requestKey(slot.key, first.index)}: ${first.failure?.kind}: ${first.failure?.message}`,
  };
}

/** Runs the plan's slots on the server at `origin` until one fails; the caller stops the server. */
export async function runSlots(
  opts: SlotsOptions,
  name: string,
  origin: string,
  plan: readonly PlannedSlot[],
  against: Against | null,
): Promise<SlotsRun> {
  const emit = (e: SlotProgress) => opts.onProgress?.(e);
  const judge = against?.judge;
  const out: SlotsRun = {
    records: [],
    phases: [],
    slots: [],
    outputs: {},
    answers: new Map(),
    requestsMs: 0,
    failure: null,
  };
  const connections = phaseConnections(plan.map((s) => s.phase));
  const dispatcher = new Pool(origin, { connections, keepAliveTimeout: 30_000 });
  const ctx: PhaseRunContext = {
    dispatcher,
    origin,
    model: opts.arena.model.servedModelName,
    vocab: opts.vocab,
    tolerance: opts.arena.workload.tokenTolerance,
    runStartNs: process.hrtime.bigint(),
    limits: opts.arena.limits,
    signal: opts.signal,
  };
  try {
    for (const slot of plan) {
      if (opts.signal?.aborted) {
        out.failure = { stage: slot.key, kind: "cancelled", message: "the session was cancelled" };
        break;
      }
      emit({ type: "slot-start", server: name, slot: slot.key, requests: slot.prompts.length });
      const run = await runPhaseTrial(ctx, slot.phase, slot.trial, slot.prompts, {
        seed: slot.seed,
        onResult: (done, failed) =>
          emit({
            type: "requests",
            server: name,
            slot: slot.key,
            done,
            failed,
            requests: slot.prompts.length,
          }),
      });
      out.records.push(...run.records);
      if (slot.kind === "measured") out.phases.push(run.stats);
      out.slots.push({
        key: slot.key,
        kind: slot.kind,
        trial: slot.trial,
        seed: slot.seed,
        wallMs: run.stats.wallMs,
        hitTimeLimit: run.stats.hitTimeLimit,
        ok: run.stats.ok,
        failed: run.stats.failed,
      });
      out.requestsMs = round3(out.requestsMs + run.stats.wallMs);
      emit({
        type: "slot-end",
        server: name,
        slot: slot.key,
        ok: run.stats.ok,
        failed: run.stats.failed,
        wallMs: run.stats.wallMs,
      });
      run.attempts.forEach((a, i) => {
        const key = requestKey(slot.key, a.index);
        const rec = run.records[i] as RequestRecord;
        if (rec.status === "ok" && a.result) {
          const answer = gateOutputOf(a.result);
          out.answers.set(key, answer);
          const ref = against?.reference.get(key);
          out.outputs[key] = storeOutput(answer, ref && !("failure" in ref) ? ref : undefined);
        } else {
          out.answers.set(key, {
            failure: `${rec.failure?.kind}: ${rec.failure?.message ?? "failed"}`,
          });
        }
      });
      out.failure = opts.signal?.aborted
        ? { stage: slot.key, kind: "cancelled", message: "the session was cancelled" }
        : (firstFailure(slot, run.records) ?? judge?.(slot, out.answers) ?? null);
      // Only the reference's answers are needed later; a judged candidate's are in `outputs`.
      if (judge) out.answers.clear();
      if (out.failure) break;
    }
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
  return out;
}
