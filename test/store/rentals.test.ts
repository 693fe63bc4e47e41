// The rentals table: an intent gets a unique name before any create, each state moves only from the
// states it may come from, billing ends when a rental is deleted (or never began, for a failed
// intent), and the summaries readers get carry no address, token or certificate.
import { describe, expect, it } from "vitest";
import { ValidatorStore } from "../../src/store/store.js";
import { rentalIntent } from "../helpers/rentals.js";

const T0 = Date.UTC(2025, 5, 1, 12);
const intent = rentalIntent({ autoDelete: { atMs: T0 + 3_600_000, spendCents: 1596 } });

describe("rentals in the store", () => {
  it("names each intent uniquely, never reusing a name, and moves it through its life", () => {
    const s = ValidatorStore.open(":memory:");
    const a = s.insertRentalIntent("cacheon-5Grwva", intent, T0);
    const b = s.insertRentalIntent("cacheon-5Grwva", intent, T0 + 1);
    expect([a.name, b.name]).toEqual(["cacheon-5Grwva-1", "cacheon-5Grwva-2"]);
    expect(a).toMatchObject({ state: "intent", instanceId: null, address: null, endedAtMs: null });

    s.markRentalCreated(a.name, "id-a", T0 + 10);
    s.markRentalBooting(a.name, T0 + 20);
    s.markRentalReady(a.name, "127.0.0.1:9000", T0 + 30);
    expect(s.rental(a.name)).toMatchObject({
      state: "ready",
      instanceId: "id-a",
      address: "127.0.0.1:9000",
      readyAtMs: T0 + 30,
      idleSinceMs: T0 + 30,
    });
    s.setRentalBusy(a.name, true, T0 + 40);
    expect(s.rental(a.name)?.idleSinceMs).toBeNull();
    s.setRentalBusy(a.name, false, T0 + 50);
    expect(s.rental(a.name)?.idleSinceMs).toBe(T0 + 50);
    s.markRentalReleasing(a.name, "idle", T0 + 60);
    s.markRentalDeleted(a.name, "given back", T0 + 70);
    expect(s.rental(a.name)).toMatchObject({
      state: "deleted",
      endedAtMs: T0 + 70,
      reason: "idle",
    });

    s.markRentalFailed(b.name, "no capacity", T0 + 5);
    expect(s.rental(b.name)).toMatchObject({ state: "failed", endedAtMs: T0 + 1 });
    expect(s.liveRentals()).toEqual([]);
    // Deleted rentals' ids stay taken: a later intent never gets an old instance's name.
    s.db.prepare("DELETE FROM rentals").run();
    expect(s.insertRentalIntent("cacheon-5Grwva", intent, T0 + 9).name).toBe("cacheon-5Grwva-3");
    s.close();
  });

  it("refuses a step from a state it cannot come from, naming both", () => {
    const s = ValidatorStore.open(":memory:");
    const r = s.insertRentalIntent("p", intent, T0);
    expect(() => s.markRentalReady(r.name, "h:1", T0)).toThrow(
      `rental p-1 is intent, not created or booting`,
    );
    s.markRentalCreated(r.name, "x", T0);
    expect(() => s.markRentalCreated(r.name, "y", T0)).toThrow("rental p-1 is created, not intent");
    expect(() => s.markRentalFailed(r.name, "why", T0)).toThrow("is created, not intent");
    expect(() => s.markRentalBooting("p-9", T0)).toThrow("no rental p-9");
    s.close();
  });

  it("takes the operator's release of a live rental only", () => {
    const s = ValidatorStore.open(":memory:");
    const r = s.insertRentalIntent("p", intent, T0);
    expect(s.requestRentalRelease(r.name, T0)).toBe(true);
    expect(s.rental(r.name)?.releaseRequested).toBe(true);
    s.markRentalFailed(r.name, "gone", T0);
    expect(s.requestRentalRelease(r.name, T0)).toBe(false);
    expect(s.requestRentalRelease("nope", T0)).toBe(false);
    s.close();
  });

  it("counts a day's rentals (live, or ended since) and gives readers no secrets", () => {
    const s = ValidatorStore.open(":memory:");
    const old = s.insertRentalIntent("p", intent, T0 - 2 * 86_400_000);
    s.markRentalCreated(old.name, "o", T0);
    s.markRentalReleasing(old.name, "done", T0);
    s.markRentalDeleted(old.name, "done", T0 - 86_400_000);
    const live = s.insertRentalIntent("p", intent, T0);
    s.markRentalCreated(live.name, "l", T0);
    s.markRentalReady(live.name, "10.0.0.2:8750", T0);
    expect(s.rentalsSince(T0 - 3_600_000).map((r) => r.name)).toEqual([live.name]);
    const [summary] = s.rentalSummariesSince(T0 - 3_600_000);
    expect(summary?.name).toBe(live.name);
    for (const secret of ["address", "token", "fingerprint"])
      expect(summary).not.toHaveProperty(secret);
    expect(JSON.stringify(summary)).not.toMatch(/10\.0\.0\.2|secret-token|AB:CD/);
    expect(s.rentalCounts()).toMatchObject({ deleted: 1, ready: 1, intent: 0 });
    s.close();
  });
});
