import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  autoDeleteFor,
  dayStartMs,
  decide,
  type PolicyConfig,
  type PolicyInput,
  type PolicyPod,
  spentCents,
  spentTodayCents,
} from "../../../src/pod/providers/policy.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const config: PolicyConfig = {
  maxPods: 2,
  idleMs: 10 * MIN,
  dailySpendCapCents: 50_000,
  bootTimeoutMs: 30 * MIN,
};

function input(over: Partial<PolicyInput>): PolicyInput {
  return { nowMs: NOW, waiting: 0, pods: [], spentTodayCents: 0, config, ...over };
}
const pod = (name: string, state: PolicyPod["state"], agoMs: number): PolicyPod => ({
  name,
  state,
  sinceMs: NOW - agoMs,
});

describe("the rental policy", () => {
  it("does nothing when no job waits and no pod is held", () => {
    expect(decide(input({}))).toEqual({ action: "nothing", reason: "no jobs wait" });
  });

  it("rents one pod when jobs wait and none is free", () => {
    expect(decide(input({ waiting: 3 }))).toEqual({
      action: "rent",
      reason: "3 jobs wait and no pod is free: renting one (1 of at most 2)",
    });
    // One is busy: the waiting job still has no pod.
    expect(decide(input({ waiting: 1, pods: [pod("a", "busy", MIN)] }))).toMatchObject({
      action: "rent",
      reason: "1 job waits and no pod is free: renting one (2 of at most 2)",
    });
  });

  it("does not rent while an idle or booting pod can take the waiting jobs", () => {
    expect(decide(input({ waiting: 1, pods: [pod("a", "idle", HOUR)] }))).toEqual({
      action: "nothing",
      reason: "1 job waits; 1 pod idle and 0 booting will take it",
    });
    expect(decide(input({ waiting: 1, pods: [pod("a", "booting", MIN)] }))).toMatchObject({
      action: "nothing",
    });
    // Two wait, one pod coming: a second is rented.
    expect(decide(input({ waiting: 2, pods: [pod("a", "booting", MIN)] }))).toMatchObject({
      action: "rent",
    });
  });

  it("never holds more than maxPods", () => {
    const pods = [pod("a", "busy", MIN), pod("b", "busy", MIN)];
    expect(decide(input({ waiting: 5, pods }))).toEqual({
      action: "nothing",
      reason: "5 jobs wait but maxPods 2 is reached (2 pods rented): not renting",
    });
  });

  it("stops renting at the daily spend cap and says so", () => {
    expect(decide(input({ waiting: 1, spentTodayCents: 50_000 }))).toEqual({
      action: "nothing",
      reason: "daily spend cap $500.00 reached ($500.00 spent today): not renting",
    });
    expect(decide(input({ waiting: 1, spentTodayCents: 49_999 }))).toMatchObject({
      action: "rent",
    });
  });

  it("gives back a pod idle for idleMs with nothing waiting, not sooner", () => {
    const pods = [pod("a", "idle", 10 * MIN), pod("b", "idle", 9 * MIN), pod("c", "busy", HOUR)];
    expect(decide(input({ pods }))).toEqual({
      action: "release",
      names: ["a"],
      reason: "a idle for 10 min or more: giving back",
    });
    expect(decide(input({ pods: pods.slice(1) }))).toEqual({
      action: "nothing",
      reason: "no jobs wait; no pod idle long enough",
    });
  });

  it("keeps an idle pod when jobs wait (it is about to get one)", () => {
    expect(decide(input({ waiting: 1, pods: [pod("a", "idle", 5 * HOUR)] }))).toMatchObject({
      action: "nothing",
    });
  });

  it("at the cap, gives back every idle pod at once", () => {
    const pods = [pod("a", "idle", MIN), pod("b", "idle", 0), pod("c", "busy", MIN)];
    expect(decide(input({ pods, spentTodayCents: 60_000 }))).toEqual({
      action: "release",
      names: ["a", "b"],
      reason: "daily spend cap $500.00 reached ($600.00 spent today): giving back idle a, b",
    });
  });

  it("gives back a pod stuck booting past bootTimeoutMs, before anything else", () => {
    const pods = [pod("a", "booting", 30 * MIN), pod("b", "booting", 29 * MIN)];
    expect(decide(input({ waiting: 4, pods }))).toEqual({
      action: "release",
      names: ["a"],
      reason: "a not up 30 min after renting: giving back",
    });
  });

  it("says durations under a minute in seconds", () => {
    const c = { ...config, idleMs: 500 };
    expect(decide(input({ config: c, pods: [pod("a", "idle", 600)] })).reason).toBe(
      "a idle for 1 s or more: giving back",
    );
  });

  it("holds its invariants for any situation", () => {
    const podArb = fc.record({
      name: fc.string({ minLength: 1, maxLength: 4 }),
      state: fc.constantFrom("booting" as const, "idle" as const, "busy" as const),
      sinceMs: fc.integer({ min: NOW - 10 * HOUR, max: NOW }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(podArb, { maxLength: 5 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 4 }),
        (waiting, pods, spent, maxPods) => {
          const c = { ...config, maxPods };
          const d = decide(input({ waiting, pods, spentTodayCents: spent, config: c }));
          expect(d.reason.length).toBeGreaterThan(0);
          if (d.action === "rent") {
            expect(waiting).toBeGreaterThan(0);
            expect(pods.length).toBeLessThan(maxPods);
            expect(spent).toBeLessThan(c.dailySpendCapCents);
            const free = pods.filter((p) => p.state !== "busy").length;
            expect(free).toBeLessThan(waiting);
          }
          if (d.action === "release") {
            expect(d.names.length).toBeGreaterThan(0);
            for (const name of d.names) {
              const p = pods.find((x) => x.name === name);
              expect(p?.state).not.toBe("busy");
            }
          }
        },
      ),
    );
  });
});

describe("spend", () => {
  it("is the hourly price times the time rented, within the window", () => {
    const rentals = [
      { hourlyPriceCents: 1600, rentedAtMs: NOW - 2 * HOUR, endedAtMs: NOW - HOUR },
      { hourlyPriceCents: 1000, rentedAtMs: NOW - 30 * MIN, endedAtMs: null },
    ];
    expect(spentCents(rentals, 0, NOW)).toBe(1600 + 500);
    // Only the part inside the window counts.
    expect(spentCents(rentals, NOW - 90 * MIN, NOW)).toBe(800 + 500);
    expect(spentCents(rentals, NOW - 10 * HOUR, NOW - 5 * HOUR)).toBe(0);
  });

  it("counts today from midnight UTC, a rental over midnight only for its part today", () => {
    expect(dayStartMs(NOW)).toBe(Date.UTC(2026, 11, 6));
    const overnight = {
      hourlyPriceCents: 2400,
      rentedAtMs: Date.UTC(2026, 11, 5, 23, 0),
      endedAtMs: null,
    };
    const at = Date.UTC(2026, 11, 6, 0, 30);
    expect(spentTodayCents([overnight], at)).toBe(1200);
  });
});

describe("the provider's auto-delete for a rental", () => {
  it("ends after maxRentalMs and caps the spend at that time's price", () => {
    expect(
      autoDeleteFor({
        nowMs: NOW,
        hourlyPriceCents: 1600,
        maxRentalMs: 6 * HOUR,
        spentTodayCents: 0,
        dailySpendCapCents: 50_000,
      }),
    ).toEqual({ atMs: NOW + 6 * HOUR, spendCents: 9600 });
  });

  it("caps the spend at what is left under today's cap, but at least an hour's price", () => {
    const base = { nowMs: NOW, hourlyPriceCents: 1600, maxRentalMs: 6 * HOUR };
    expect(
      autoDeleteFor({ ...base, spentTodayCents: 47_000, dailySpendCapCents: 50_000 }).spendCents,
    ).toBe(3000);
    expect(
      autoDeleteFor({ ...base, spentTodayCents: 49_900, dailySpendCapCents: 50_000 }).spendCents,
    ).toBe(1600);
  });
});
