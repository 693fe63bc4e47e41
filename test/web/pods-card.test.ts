// Rented pods on the dashboard and in /api/state: state, provider and type, price, today's spend
// and idle time, from the validator's store; never the pod's address, token, certificate or the
// reason it is in its state (a pod's failure may name its address). No card with static pods.
import { describe, expect, it } from "vitest";
import { ValidatorStore } from "../../src/store/store.js";
import { stateView } from "../../src/web/api.js";
import { dashboardPage } from "../../src/web/pages.js";
import { rentalIntent } from "../helpers/rentals.js";
import { ordinary, pageInputs } from "./page-fixtures.js";

const NOON = Date.UTC(2025, 5, 1, 12);
const rules = { marginM0: 0.01, decayMs: 7 * 86_400_000, burnUid: 0 };

function storeWithPods(): ValidatorStore {
  const s = ValidatorStore.open(":memory:");
  const intent = rentalIntent({ autoDelete: { atMs: NOON + 3_600_000, spendCents: 1596 } });
  const ready = s.insertRentalIntent("cacheon-5Grwva", intent, NOON - 1_800_000);
  s.markRentalCreated(ready.name, "i-1", NOON - 1_800_000);
  s.markRentalReady(ready.name, "203.0.113.9:8750", NOON - 125_000);
  const gone = s.insertRentalIntent("cacheon-5Grwva", intent, NOON - 3_600_000);
  s.markRentalCreated(gone.name, "i-2", NOON - 3_600_000);
  s.markRentalReady(gone.name, "203.0.113.10:8750", NOON - 3_000_000);
  s.markRentalReleasing(gone.name, "it misbehaved: connect ECONNREFUSED 203.0.113.10:8750", NOON);
  s.markRentalDeleted(gone.name, "given back", NOON);
  return s;
}

describe("pods in the dashboard's state", () => {
  it("/api/state lists today's pods with price, spend and idle time, and no address or secret", () => {
    const s = storeWithPods();
    const v = stateView(s, { arena: "v1", rules, nowMs: NOON });
    expect(v.pods).toEqual([
      {
        name: "cacheon-5Grwva-1",
        state: "ready",
        provider: "shadeform",
        instanceType: "H200x4",
        hourlyPriceUsd: 15.96,
        spentTodayUsd: 7.98,
        idleSeconds: 125,
        rentedAt: new Date(NOON - 1_800_000).toISOString(),
      },
      {
        name: "cacheon-5Grwva-2",
        state: "deleted",
        provider: "shadeform",
        instanceType: "H200x4",
        hourlyPriceUsd: 15.96,
        spentTodayUsd: 15.96,
        idleSeconds: null,
        rentedAt: new Date(NOON - 3_600_000).toISOString(),
      },
    ]);
    expect(JSON.stringify(v)).not.toMatch(/203\.0\.113|secret-token|AB:CD|ECONNREFUSED/);
    s.close();
  });

  it("the dashboard shows a pods card with them, and none without rented pods", () => {
    const s = storeWithPods();
    const i = pageInputs(ordinary);
    const state = stateView(s, { arena: "v1", rules, nowMs: NOON });
    const page = dashboardPage(state, i.subs, i.history, i.evals);
    const card = /<section id="pods">[\s\S]*?<\/section>/.exec(page)?.[0] ?? "";
    const text = card
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    expect(text).toBe(
      "Pods 1 Pod State Machine Price Spent today Idle cacheon-5Grwva-1 ready shadeform H200x4 $15.96/h $7.98 2 min 5 s cacheon-5Grwva-2 deleted shadeform H200x4 $15.96/h $15.96 – Spent today (UTC): $23.94.",
    );
    expect(page).not.toMatch(/203\.0\.113|secret-token/);
    const none = dashboardPage({ ...state, pods: [] }, i.subs, i.history, i.evals);
    expect(none).not.toContain('id="pods"');
    s.close();
  });
});
