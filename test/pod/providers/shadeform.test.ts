// The Shadeform client against the loopback double: the happy path with a real `pod serve` behind
// the instance, and each fault the double injects.
import { afterEach, describe, expect, it } from "vitest";
import { HardwareSchema } from "../../../src/arena/config.js";
import { PodClient, PodError } from "../../../src/pod/client.js";
import { chooseOffer } from "../../../src/pod/providers/offers.js";
import { ShadeformProvider } from "../../../src/pod/providers/shadeform.js";
import {
  type ShadeformDouble,
  type ShadeformDoubleOptions,
  startShadeformDouble,
} from "../../../src/pod/providers/shadeform-double.js";
import type { Placement, RentalRequest, RentedInstance } from "../../../src/pod/providers/types.js";
import { rejection } from "./rejection.js";

const TOKEN = "rented-pod-token-0123456789";
const TAG = "cacheon-test-validator";
const PLACEMENT: Placement = { type: "H200x4", cloud: "massedcompute", region: "us-central-2" };

let double: ShadeformDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function setup(o: ShadeformDoubleOptions = {}, timeoutMs = 2_000) {
  double = await startShadeformDouble({ bootDelayMs: 150, ...o });
  const provider = new ShadeformProvider({
    apiKey: double.apiKey,
    baseUrl: double.url,
    timeoutMs,
    retries: 2,
    backoffMs: 10,
  });
  return { d: double, provider };
}

const request = (name: string, over: Partial<RentalRequest> = {}): RentalRequest => ({
  name,
  tags: [TAG],
  placement: PLACEMENT,
  launchScript: "#!/bin/sh\nexec cacheon pod serve --host 0.0.0.0\n",
  env: { CACHEON_POD_TOKEN: TOKEN },
  autoDelete: { atMs: Date.now() + 3_600_000, spendCents: 5_000 },
  ...over,
});

async function until(
  what: string,
  read: () => Promise<RentedInstance | null>,
  ok: (i: RentedInstance | null) => boolean,
  ms = 60_000,
): Promise<RentedInstance | null> {
  const end = Date.now() + ms;
  for (;;) {
    const i = await read();
    if (ok(i)) return i;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(i)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("ShadeformProvider against the double", () => {
  it("rents the cheapest fit, boots a real pod worker, finds it by tag and gives it back", async () => {
    const { d, provider } = await setup();
    const choice = chooseOffer(await provider.instanceTypes(), HardwareSchema.parse({}));
    expect(choice.offer).toMatchObject({ ...PLACEMENT, hourlyPriceCents: 1596, gpus: 4 });

    const atMs = Date.now() + 3_600_000;
    const { id } = await provider.create(
      request("cacheon-pod-1", { autoDelete: { atMs, spendCents: 5_000 } }),
    );
    const first = await provider.info(id);
    expect(first).toMatchObject({ id, name: "cacheon-pod-1", tags: [TAG] });
    expect(["pending", "booting"]).toContain(first?.status);
    expect(first?.address).toBeNull();

    const up = await until(
      "active",
      () => provider.info(id),
      (i) => i?.status === "active",
    );
    expect(up).toMatchObject({ ip: "127.0.0.1", hourlyPriceCents: 1596 });
    const pod = new PodClient(`http://${up?.address}`, TOKEN);
    expect((await pod.health()).ok).toBe(true);
    expect((await pod.list()).length).toBe(0);

    // What the provider received: the script (recorded, not run), the env, the backstop.
    const [seen] = d.instances();
    expect(seen?.launchScript).toBe("#!/bin/sh\nexec cacheon pod serve --host 0.0.0.0\n");
    expect(seen?.env).toEqual({ CACHEON_POD_TOKEN: TOKEN });
    expect(seen?.autoDelete).toEqual({ atMs: new Date(atMs).getTime(), spendCents: 5_000 });

    expect((await provider.list(TAG)).map((i) => i.id)).toEqual([id]);
    expect(await provider.list("someone-else")).toEqual([]);

    await provider.delete(id);
    await until(
      "deleted",
      () => provider.info(id),
      (i) => i?.status === "deleted",
    );
    expect(await provider.list(TAG)).toEqual([]);
    await expect(pod.health()).rejects.toBeInstanceOf(PodError);
    // Deleting again, or an instance the provider never had, is not an error.
    await provider.delete(id);
    await provider.delete("00000000-0000-4000-8000-000000000000");
    expect(await provider.info("00000000-0000-4000-8000-000000000000")).toBeNull();
  }, 90_000);

  it("refuses a wrong API key", async () => {
    const { d } = await setup();
    const wrong = new ShadeformProvider({ apiKey: "nope", baseUrl: d.url, retries: 0 });
    const err = await rejection(wrong.list(TAG));
    expect(err.kind).toBe("unauthorized");
    expect(err.message).toBe(
      "Shadeform GET /instances: 401: missing or invalid X-API-KEY (check the API key)",
    );
  });

  it("says no capacity, in the listing and on create", async () => {
    const { d, provider } = await setup();
    d.noCapacity = true;
    const choice = chooseOffer(await provider.instanceTypes(), HardwareSchema.parse({}));
    expect(choice).toMatchObject({ offer: null });
    expect((choice as { reason: string }).reason).toBe(
      "no capacity: 3 listed 4x H200 SXM on a VM or bare metal (from $15.00/h), none available now",
    );
    const err = await rejection(provider.create(request("cacheon-pod-2")));
    expect(err.kind).toBe("no_capacity");
    expect(err.message).toContain("is not available right now (no capacity)");
    expect(d.instances()).toEqual([]);
  });

  it("passes the provider's 400 message on", async () => {
    const { provider } = await setup();
    const err = await rejection(
      provider.create(request("x", { placement: { ...PLACEMENT, region: "mars-1" } })),
    );
    expect(err.kind).toBe("bad_request");
    expect(err.message).toBe(
      "Shadeform POST /instances/create: 400: instance type H200x4 is not offered by massedcompute in mars-1",
    );
  });

  it("retries reads on 5xx and on no answer, and gives up after its tries", async () => {
    const { d, provider } = await setup({}, 300);
    d.inject("list", "5xx", 2);
    expect(await provider.list(TAG)).toEqual([]);
    expect(d.requests.filter((r) => r.path === "/v1/instances").map((r) => r.status)).toEqual([
      500, 500, 200,
    ]);
    d.inject("types", "timeout");
    expect((await provider.instanceTypes()).length).toBeGreaterThan(0);
    d.inject("list", "5xx", 3);
    const err = await rejection(provider.list(TAG));
    expect(err.kind).toBe("unavailable");
    expect(err.message).toBe(
      "Shadeform GET /instances: 500: internal server error (injected) (3 tries)",
    );
  });

  it("never retries a create: a 5xx or a lost answer is uncertain, and the tag finds the truth", async () => {
    const { d, provider } = await setup({ bootDelayMs: 60_000 }, 300);
    d.inject("create", "5xx");
    const e5 = await rejection(provider.create(request("cacheon-pod-3")));
    expect(e5.kind).toBe("uncertain");
    expect(e5.message).toContain("it may have happened");
    expect(await provider.list(TAG)).toEqual([]);

    // No answer and nothing done, or done and the answer lost: the caller cannot tell them apart.
    d.inject("create", "timeout");
    expect((await rejection(provider.create(request("cacheon-pod-3b")))).kind).toBe("uncertain");
    expect(await provider.list(TAG)).toEqual([]);

    d.inject("create", "lost-answer");
    const lost = await rejection(provider.create(request("cacheon-pod-4")));
    expect(lost.kind).toBe("uncertain");
    expect(lost.message).toBe(
      "Shadeform create of cacheon-pod-4: no answer in time: it may have happened",
    );
    const found = await provider.list(TAG);
    expect(found.map((i) => i.name)).toEqual(["cacheon-pod-4"]);
    expect(d.requests.filter((r) => r.path === "/v1/instances/create")).toHaveLength(3);
  });

  it("retries a delete that fails once", async () => {
    const { d, provider } = await setup({ bootDelayMs: 60_000 });
    const { id } = await provider.create(request("cacheon-pod-5"));
    d.inject("delete", "5xx");
    await provider.delete(id);
    expect(d.instances()[0]?.deletedBy).toBe("request");
    expect(d.requests.filter((r) => r.path.endsWith("/delete")).map((r) => r.status)).toEqual([
      500, 200,
    ]);
  });

  it("shows an instance stuck booting as booting, with no address", async () => {
    const { d, provider } = await setup({ bootDelayMs: 50 });
    d.stuckBooting = true;
    const { id } = await provider.create(request("cacheon-pod-6"));
    await new Promise((r) => setTimeout(r, 400));
    expect(await provider.info(id)).toMatchObject({ status: "booting", address: null, ip: null });
    expect(d.instances()[0]?.podPid).toBeNull();
  });

  it("reports an instance whose worker cannot start (no token in its env) as error", async () => {
    const { provider } = await setup({ bootDelayMs: 50 });
    const { id } = await provider.create(request("cacheon-pod-7", { env: {} }));
    const failed = await until(
      "error",
      () => provider.info(id),
      (i) => i?.status === "error",
    );
    expect(failed?.statusDetail).toMatch(
      /^the pod worker exited \(\d+\) before it listened: .*TOKEN/,
    );
  }, 60_000);

  it("keeps the machine when its worker dies mid-job: the pod no longer answers", async () => {
    const { d, provider } = await setup();
    const { id } = await provider.create(request("cacheon-pod-8"));
    const up = await until(
      "active",
      () => provider.info(id),
      (i) => i?.status === "active",
    );
    const pod = new PodClient(`http://${up?.address}`, TOKEN);
    expect((await pod.health()).ok).toBe(true);
    await d.killPod(id);
    const err = await pod.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodError);
    expect((err as PodError).kind).toBe("unreachable");
    expect(await provider.info(id)).toMatchObject({ status: "active" });
    expect(d.instances()[0]?.podExited).toBe(true);
  }, 90_000);

  it("honours auto-delete on its clock: the date, and the spend from active on", async () => {
    // One real second is a simulated hour.
    const t0 = Date.now();
    const clock = () => t0 + (Date.now() - t0) * 3_600;
    const { d, provider } = await setup({ clock, bootDelayMs: 50 });
    d.stuckBooting = true;
    const early = await provider.create(
      request("cacheon-pod-9", { autoDelete: { atMs: clock() + 3_600_000, spendCents: 100_000 } }),
    );
    await until(
      "auto-deleted",
      () => provider.info(early.id),
      (i) => i?.status === "deleted",
      10_000,
    );
    expect(d.instances()[0]).toMatchObject({ deletedBy: "auto-delete", activeAtMs: null });
    expect(d.spendCents(early.id)).toBe(0);

    d.stuckBooting = false;
    const dear = await provider.create(
      request("cacheon-pod-10", { autoDelete: { atMs: clock() + 1e9, spendCents: 1_596 } }),
    );
    await until(
      "auto-deleted",
      () => provider.info(dear.id),
      (i) => i?.status === "deleted",
    );
    const done = d.instances().find((i) => i.id === dear.id);
    expect(done?.deletedBy).toBe("auto-delete");
    expect(done?.activeAtMs).not.toBeNull();
    // Deleted within a check of the limit: an hour at $15.96, give or take the checker's period.
    expect(d.spendCents(dear.id)).toBeGreaterThanOrEqual(1_596);
    expect(d.spendCents(dear.id)).toBeLessThan(1_596 + 1_000);
  }, 90_000);
});
