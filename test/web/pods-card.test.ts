// Rented pods on the dashboard and in /api/state: state, provider and type, price, today's spend
// and idle time, from the validator's store; never the pod's address, token, certificate or the
// reason it is in its state (a pod's failure may name its address). No card with static pods.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { V1_KING_RULES } from "../../src/score/margin.js";
import { createLocalArtifactStore } from "../../src/store/artifacts/index.js";
import { ValidatorStore } from "../../src/store/store.js";
import { rentalAddresses } from "../../src/validator/rented-pods.js";
import { stateView } from "../../src/web/api.js";
import { dashboardPage } from "../../src/web/pages.js";
import { createWebServer } from "../../src/web/server.js";
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

describe("a rented pod's address in a failure's reason", () => {
  it("is replaced on every page, for pods rented after the server started too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cacheon-pods-web-"));
    const store = ValidatorStore.open(":memory:");
    const server = createWebServer({
      store,
      artifacts: createLocalArtifactStore(dir),
      arena: "v1",
      rules: V1_KING_RULES,
      redact: () => rentalAddresses(store.rentalsSince(0)),
      version: "test",
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const hotkey = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
      const digest = `sha256:${"ab".repeat(32)}`;
      const image = `localhost/a/engine@${digest}`;
      store.recordScan(
        10,
        [{ hotkey, block: 5, ok: true, image, digest }],
        new Map([[hotkey, 1]]),
        NOON,
      );
      const r = store.insertRentalIntent("cacheon-5Grwva", rentalIntent(), NOON);
      store.markRentalCreated(r.name, "i-1", NOON);
      store.markRentalReady(r.name, "198.51.100.7:8750", NOON);
      const job = store.createJob(store.queue(), { hash: "0xabc", block: 9 }, NOON);
      store.markSubmitted(job.id, r.name, "pod-job-1", NOON);
      const why = "its report: connect ECONNREFUSED 198.51.100.7:8750 (https://198.51.100.7:8750)";
      store.releaseJob(job.id, `pod ${r.name}: ${why}`, 1, NOON);
      const ev = (await (await fetch(`${url}/api/evals/1`)).json()) as { reason: string };
      expect(ev.reason).toContain("ECONNREFUSED [pod] (https://[pod])");
      for (const path of ["/", "/evals/1", "/api/submissions", "/api/evals/1", "/api/state"])
        expect(await (await fetch(`${url}${path}`)).text(), path).not.toContain("198.51.100");
    } finally {
      await new Promise((r) => server.close(r));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
