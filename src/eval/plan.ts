// The requests of one session, the same for every server: each slot (warmup, the gate pass, each
// trial of each measured phase) with the phase settings it runs under and its prompts from the
// pool. Request keys (`<slot>:<index>`) pair a candidate's answer with the reference's.
import { type Arena, sessionSlots } from "../arena/index.js";
import { allocatePrompts, type PromptPool } from "../arena/pool.js";
import { closedLoopPhase, warmupPhase } from "../harness/phases.js";
import type { Prompt } from "../harness/prompts.js";
import type { Phase } from "../harness/workload.js";

export type SlotKind = "warmup" | "gate" | "measured";

export interface PlannedSlot {
  key: string;
  kind: SlotKind;
  phase: Phase;
  /** 0 for warmup and gate, else the trial (from 1). */
  trial: number;
  /** Seeds Poisson arrivals and the bootstrap CI of this slot. */
  seed: number;
  prompts: Prompt[];
}

export const requestKey = (slot: string, index: number) => `${slot}:${index}`;

/** The gate pass as a phase. */
export const gatePhase = (arena: Arena): Phase => closedLoopPhase("gate", arena.workload.gate);

/** A 32-bit seed for one slot from the session seed (hex) and the slot's position. */
export function slotSeed(seedHex: string, position: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${seedHex}/${position}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** The slots of a session in order, with the phase each runs under (no prompts yet). */
export function sessionLayout(arena: Arena): Omit<PlannedSlot, "prompts" | "seed">[] {
  const phases = new Map(arena.workload.phases.map((p) => [p.name, p]));
  return sessionSlots(arena)
    .filter((s) => s.count > 0)
    .map((s) => {
      if (s.key === "warmup")
        return { key: s.key, kind: "warmup", phase: warmupPhase(arena.workload.warmup), trial: 0 };
      if (s.key === "gate") return { key: s.key, kind: "gate", phase: gatePhase(arena), trial: 0 };
      const dot = s.key.lastIndexOf(".");
      const phase = phases.get(s.key.slice(0, dot));
      if (!phase) throw new Error(`slot ${s.key} names no phase of the arena`);
      return { key: s.key, kind: "measured", phase, trial: Number(s.key.slice(dot + 1)) };
    });
}

/** The slot a request record belongs to. */
export function slotKeyOf(r: { phase: string; trial: number }): string {
  return r.phase === "warmup" || r.phase === "gate" ? r.phase : `${r.phase}.${r.trial}`;
}

export function planSession(arena: Arena, pool: PromptPool, seedHex: string): PlannedSlot[] {
  const prompts = allocatePrompts(pool, seedHex, sessionSlots(arena));
  return sessionLayout(arena).map((s, position) => ({
    ...s,
    seed: slotSeed(seedHex, position),
    prompts: prompts.get(s.key) ?? [],
  }));
}
