// Renting pods for the validator against the loopback Shadeform double, whose instances are real
// `pod serve` processes: the launch script, the rental's life from intent to deletion with its pod
// reached over pinned TLS, the adopt-or-delete reconciliation, an uncertain create found by name
// and never repeated, a broken pod given back, no capacity and the daily spend cap said once.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_ENV } from "../../src/pod/auth.js";
import { ShadeformProvider } from "../../src/pod/providers/shadeform.js";
import {
  type ShadeformDouble,
  startShadeformDouble,
} from "../../src/pod/providers/shadeform-double.js";
import { TLS_CERT_ENV, TLS_KEY_ENV } from "../../src/pod/tls.js";
import { ValidatorStore } from "../../src/store/store.js";
import type { ValidatorEvent } from "../../src/validator/events.js";
import { createMetrics } from "../../src/validator/metrics.js";
import { podViews } from "../../src/validator/pod-view.js";
import { launchScript, nearAutoDelete, RentedPods } from "../../src/validator/rented-pods.js";
import { rentalIntent } from "../helpers/rentals.js";

const IMAGE = `ghcr.io/cacheon/cacheon@sha256:${"ab".repeat(32)}`;
const LAUNCH = {
  image: IMAGE,
  podPort: 8750,
  modelsDir: "/models",
  weightsArena: "v1",
  weightsOnVolume: false,
};
const HARDWARE = { gpus: 4, gpuModel: "H200", interconnect: "sxm" as const, equivalents: [] };
const IDENTITY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

describe("the launch script", () => {
  it("runs Cacheon's image by digest with the pod's secrets taken from the environment", () => {
    const script = launchScript(LAUNCH);
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toContain("set -eu");
    const run = script.slice(script.indexOf("docker run")).replaceAll(" \\\n  ", " ");
    expect(run).toBe(
      `docker run -d --name cacheon-pod --restart unless-stopped --init --network host --user root --cap-add NET_ADMIN -v /var/run/docker.sock:/var/run/docker.sock -v '/models':'/models' -v cacheon-pod-state:/var/lib/cacheon-pod -e ${TOKEN_ENV} -e ${TLS_KEY_ENV} -e ${TLS_CERT_ENV} '${IMAGE}' pod serve --host 0.0.0.0 --port 8750 --state-dir /var/lib/cacheon-pod --models '/models' --gpus all --runtime docker --firewall iptables --weights 'v1'\n`,
    );
    // Each secret must be set, or the script stops before starting anything.
    for (const name of [TOKEN_ENV, TLS_KEY_ENV, TLS_CERT_ENV])
      expect(script).toContain(`: "\${${name}:?is not set: the rental passes it}"`);
  });

  it("quotes the models path and refuses an image that is not pinned by digest", () => {
    expect(launchScript({ ...LAUNCH, modelsDir: "/data/it's" })).toContain(
      `-v '/data/it'\\''s':'/data/it'\\''s' `,
    );
    // Weights a provider volume already holds are verified only, never downloaded.
    expect(launchScript({ ...LAUNCH, weightsOnVolume: true })).toMatch(
      / --weights 'v1' --no-download\n$/,
    );
    for (const image of ["ghcr.io/cacheon/cacheon:latest", `${IMAGE}; rm -rf /`])
      expect(() => launchScript({ ...LAUNCH, image })).toThrow("must be pinned by digest");
  });
});

describe("a pod near its auto-delete", () => {
  it("takes no new job within an hour (or a quarter of its span) of its time or spend limit", () => {
    const s = ValidatorStore.open(":memory:");
    const T = Date.UTC(2025, 5, 1);
    const H = 3_600_000;
    const rental = (atMs: number, spendCents: number) =>
      s.insertRentalIntent("p", rentalIntent({ autoDelete: { atMs, spendCents } }), T);
    // 12 h by time, $100 at $15.96/h by spend (6.27 h): the spend comes first.
    const r = rental(T + 12 * H, 10_000);
    expect(nearAutoDelete(r, T + 5.2 * H)).toBe(false);
    expect(nearAutoDelete(r, T + 5.3 * H)).toBe(true);
    // A 2 h rental: its last half hour.
    const short = rental(T + 2 * H, 100_000);
    expect(nearAutoDelete(short, T + 1.4 * H)).toBe(false);
    expect(nearAutoDelete(short, T + 1.6 * H)).toBe(true);
    s.close();
  });
});

describe("RentedPods against the Shadeform double", () => {
  let d: ShadeformDouble;
  let store: ValidatorStore;
  let events: ValidatorEvent[];
  const rentals = () => events.filter((e) => e.type === "rental");

  beforeAll(async () => {
    d = await startShadeformDouble({ bootDelayMs: 150 });
  });
  afterAll(() => d.close());
  afterEach(() => store?.close());

  function pods(
    o: {
      idleMs?: number;
      capCents?: number;
      maxPods?: number;
      bootTimeoutMs?: number;
      now?: () => number;
    } = {},
  ) {
    store = ValidatorStore.open(":memory:");
    events = [];
    return new RentedPods({
      store,
      provider: new ShadeformProvider({
        apiKey: d.apiKey,
        baseUrl: d.url,
        retries: 1,
        backoffMs: 10,
        timeoutMs: 1_000,
      }),
      policy: {
        maxPods: o.maxPods ?? 1,
        idleMs: o.idleMs ?? 60_000,
        dailySpendCapCents: o.capCents ?? 100_000,
        bootTimeoutMs: o.bootTimeoutMs ?? 20_000,
      },
      hardware: HARDWARE,
      launch: LAUNCH,
      identity: IDENTITY,
      maxRentalMs: 3_600_000,
      retryMs: 60_000,
      emit: (e) => events.push(e),
      ...(o.now ? { now: o.now } : {}),
    });
  }

  /** Ticks as the validator does (demand, then its step) until `done` holds. */
  async function tickUntil(p: RentedPods, waiting: number, done: () => boolean, ms = 20_000) {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end)
        throw new Error(`not done after ${ms} ms: ${JSON.stringify(rentals(), null, 1)}`);
      p.demand(waiting);
      await p.close();
      await delay(30);
    }
  }

  const ours = (name: string) => d.instances().filter((i) => i.name === name);

  it("rents one pod for a waiting job, reaches it over pinned TLS, and gives it back when idle", async () => {
    const p = pods({ idleMs: 200 });
    await p.reconcile();
    expect(await p.acquire()).toBeNull();
    await tickUntil(p, 1, () => store.liveRentals()[0]?.state === "ready");
    const [r] = store.liveRentals();
    if (!r) throw new Error("no rental");
    expect(r.name).toBe("cacheon-5GrwvaEF-1");
    const [inst] = ours(r.name);
    expect(inst).toMatchObject({
      tags: [`cacheon-${IDENTITY}`],
      type: "H200x4",
      cloud: "massedcompute",
      hourlyPriceCents: 1596,
      launchScript: launchScript(LAUNCH),
    });
    // The secrets travel in the create's env, the token being the store's and the cert the pinned one.
    expect(inst?.env[TOKEN_ENV]).toBe(r.token);
    expect(inst?.env[TLS_CERT_ENV]).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(inst?.autoDelete.atMs).toBeGreaterThan(Date.now() + 3_500_000);
    expect(inst?.autoDelete.spendCents).toBe(1596);
    expect(rentals().map((e) => e.type === "rental" && e.step)).toEqual([
      "intent",
      "created",
      "booting",
      "ready",
    ]);

    const lease = await p.acquire();
    expect(lease?.name).toBe(r.name);
    expect((await lease?.client.health())?.ok).toBe(true);
    expect(await p.acquire()).toBeNull();
    // Busy, with nothing waiting: kept, however long the job takes.
    await delay(250);
    p.demand(0);
    await p.close();
    expect(store.rental(r.name)?.state).toBe("ready");
    if (lease) p.release(lease);
    expect(podViews(store, Date.now())[0]).toMatchObject({ name: r.name, state: "ready" });
    await tickUntil(p, 0, () => store.rental(r.name)?.state === "deleted");
    expect(ours(r.name)[0]).toMatchObject({ deletedBy: "request" });
    expect(p.idle()).toBe(true);
  }, 30_000);

  it("on start deletes an instance with its tag that no live rental owns, and settles intents", async () => {
    const p = pods();
    const provider = new ShadeformProvider({ apiKey: d.apiKey, baseUrl: d.url });
    const placement = { type: "H200x4", cloud: "massedcompute", region: "us-central-2" };
    const req = (name: string) => ({
      name,
      tags: [p.tag],
      placement,
      env: {},
      autoDelete: { atMs: Date.now() + 3_600_000, spendCents: 100 },
    });
    const stray = await provider.create(req("cacheon-5GrwvaEF-77"));
    const otherValidators = await provider.create({ ...req("someone-else"), tags: ["other"] });
    const intent = (n: number) =>
      store.insertRentalIntent(
        "cacheon-5GrwvaEF",
        rentalIntent({ autoDelete: { atMs: Date.now() + 3_600_000, spendCents: 100 } }),
        Date.now() + n,
      );
    const made = intent(0); // its create happened, the kill came before its id was stored
    const never = intent(1); // killed before its create
    const found = await provider.create(req(made.name));
    await p.reconcile();
    expect(store.rental(made.name)).toMatchObject({ state: "created", instanceId: found.id });
    expect(store.rental(never.name)).toMatchObject({
      state: "failed",
      endedAtMs: never.createdAtMs,
    });
    const status = (id: string) => d.instances().find((i) => i.id === id)?.status;
    expect(status(stray.id)).toMatch(/^delet/);
    expect(status(otherValidators.id)).not.toMatch(/^delet/);
    expect(status(found.id)).not.toMatch(/^delet/);
    await provider.delete(otherValidators.id);
    await provider.delete(found.id);
    // The provider no longer lists the adopted one: the next start records it deleted.
    await pods().reconcile();
  }, 30_000);

  it("a create whose answer is lost is found by name, not made again; one never made is failed", async () => {
    const p = pods();
    await p.reconcile();
    d.inject("create", "lost-answer");
    const creates = () => d.requests.filter((r) => r.path.endsWith("/instances/create")).length;
    const before = creates();
    await tickUntil(p, 1, () => store.liveRentals()[0]?.state === "ready");
    expect(creates() - before).toBe(1);
    const [r] = store.liveRentals();
    expect(rentals().map((e) => e.type === "rental" && e.step)).toEqual([
      "intent",
      "error",
      "created",
      "booting",
      "ready",
    ]);
    if (r) store.requestRentalRelease(r.name, Date.now());
    await tickUntil(p, 0, () => p.idle());
    expect(ours(r?.name ?? "")[0]?.deletedBy).toBe("request");

    const q = pods({ maxPods: 1 });
    await q.reconcile();
    d.inject("create", "timeout");
    await tickUntil(q, 1, () => store.rental("cacheon-5GrwvaEF-1")?.state === "failed", 10_000);
    expect(store.rental("cacheon-5GrwvaEF-1")?.reason).toBe(
      "no instance has its name: never created",
    );
    // The next tick rents anew, under a new name.
    await tickUntil(q, 1, () => store.rental("cacheon-5GrwvaEF-2")?.state === "ready");
    await tickUntil(q, 0, () => {
      const n = store.rental("cacheon-5GrwvaEF-2");
      if (n && n.state === "ready") store.requestRentalRelease(n.name, Date.now());
      return q.idle();
    });
  }, 40_000);

  it("gives back a pod that misbehaved, and rents again for the job", async () => {
    const p = pods();
    await p.reconcile();
    await tickUntil(p, 1, () => store.liveRentals()[0]?.state === "ready");
    const lease = await p.acquire();
    if (!lease) throw new Error("no lease");
    const id = store.rental(lease.name)?.instanceId as string;
    await d.killPod(id);
    await expect(lease.client.health()).rejects.toThrow();
    p.release(lease, "unreachable");
    expect(store.rental(lease.name)).toMatchObject({
      state: "releasing",
      reason: "it misbehaved: unreachable",
    });
    await tickUntil(p, 1, () => store.liveRentals().some((r) => r.state === "ready"));
    expect(store.rental(lease.name)?.state).toBe("deleted");
    expect(d.instances().find((i) => i.id === id)?.deletedBy).toBe("request");
    const next = store.liveRentals()[0];
    if (next) store.requestRentalRelease(next.name, Date.now());
    await tickUntil(p, 0, () => p.idle());
  }, 40_000);

  it("says no capacity once and counts it; rents nothing past the daily spend cap and says so", async () => {
    const p = pods();
    const metrics = createMetrics(store, { dailySpendCapCents: 1000 });
    await p.reconcile();
    d.noCapacity = true;
    try {
      const creates = d.requests.filter((r) => r.path.endsWith("/create")).length;
      for (let k = 0; k < 3; k++) {
        p.demand(1);
        await p.close();
      }
      const held = rentals().filter((e) => e.type === "rental" && e.step === "held");
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ result: "no_capacity", name: null });
      expect(d.requests.filter((r) => r.path.endsWith("/create")).length).toBe(creates);
      for (const e of events) metrics.observe(e);
      expect(
        await metrics.registry.getSingleMetricAsString("cacheon_validator_rentals_total"),
      ).toMatch(/cacheon_validator_rentals_total\{result="no_capacity"\} 1/);
    } finally {
      d.noCapacity = false;
    }

    // Today already spent $12 of a $10 cap: a waiting job gets no pod, and the log says why, once.
    const noon = Date.UTC(2025, 5, 1, 12);
    const q = pods({ capCents: 1000, now: () => noon });
    const spent = store.insertRentalIntent(
      "cacheon-5GrwvaEF",
      rentalIntent({ hourlyPriceCents: 1200 }),
      noon - 3_600_000,
    );
    store.markRentalCreated(spent.name, "gone", noon - 3_600_000);
    store.markRentalReleasing(spent.name, "done", noon);
    store.markRentalDeleted(spent.name, "done", noon);
    await q.reconcile();
    for (let k = 0; k < 3; k++) {
      q.demand(2);
      await q.close();
    }
    const said = rentals().filter((e) => e.type === "rental" && e.step === "held");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ result: "spend_cap" });
    expect((said[0] as { message: string }).message).toMatch(
      /^daily spend cap \$10\.00 reached \(\$12\.00 spent today\): not renting$/,
    );
    expect(store.liveRentals()).toEqual([]);
    const m = createMetrics(store, { dailySpendCapCents: 1000, now: () => noon });
    const text = await m.registry.metrics();
    expect(text).toMatch(/cacheon_validator_pod_spend_cap_reached 1/);
    expect(text).toMatch(/cacheon_validator_pod_spend_today_dollars 12/);
    expect(text).toMatch(/cacheon_validator_pods\{state="ready"\} 0/);
  }, 30_000);
});
