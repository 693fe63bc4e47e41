// Pods rented on demand (DESIGN §2.6) behind the validator's PodProvider: on each tick the policy
// (pod/providers/policy.ts) rents one while jobs wait and no pod is free, and gives back pods idle
// too long, stuck booting, misbehaving or asked back by the operator. Money is at stake, so every
// step is in the store first: a rental's intent is committed before the create call, its id right
// after, and a restarted validator lists the provider's instances with its tag and adopts those
// the store holds live, finds an intent's instance by its unique name, and deletes every other.
// A create whose outcome is unknown is reconciled the same way, never tried again blindly.

import { TOKEN_ENV } from "../pod/auth.js";
import { PodClient } from "../pod/client.js";
import { chooseOffer } from "../pod/providers/offers.js";
import {
  autoDeleteFor,
  decide,
  type PolicyConfig,
  type PolicyPod,
} from "../pod/providers/policy.js";
import {
  dollars,
  type HardwareWanted,
  RentalError,
  type RentalProvider,
  type RentedInstance,
} from "../pod/providers/types.js";
import { makePodCredentials, podCredentialsEnv, TLS_CERT_ENV, TLS_KEY_ENV } from "../pod/tls.js";
import type { Rental, ValidatorStore } from "../store/store.js";
import type { RentalStep, ValidatorEvent } from "./events.js";
import { failpoint } from "./failpoint.js";
import { spentTodayCents } from "./pod-view.js";
import type { PodLease, PodProvider } from "./pods.js";

/** What the launch script starts on a fresh machine. */
export interface LaunchSpec {
  /** Cacheon's own image, pinned by digest: `REPO@sha256:<64 hex>`. */
  image: string;
  /** Where the pod listens (the provider maps it to a public port). */
  podPort: number;
  /** The weights directory on the machine, mounted at the same path (the engine resolves it there). */
  modelsDir: string;
  /** The arena preset whose pinned weights the pod gets into modelsDir and verifies before any job. */
  weightsArena: string;
  /** The provider's volume already holds the weights: verify them, never download. */
  weightsOnVolume: boolean;
}

export const IMAGE_BY_DIGEST = /^[a-z0-9][a-z0-9._:/-]*@sha256:[0-9a-f]{64}$/;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The script a rented machine runs once it is up: the pod worker from Cacheon's image pinned by
 * digest, as docker-compose.gpu.yml runs it (host network, the Docker socket, the weights at the
 * same path, the state on a volume, root with NET_ADMIN for the firewall rule), its token and TLS
 * key pair from the rental's environment (`-e NAME` copies them without putting them in argv). The
 * pod fetches and verifies the arena's pinned weights itself (`--weights`), so the weights folder is
 * writable to it; the engines still get it read-only.
 */
export function launchScript(spec: LaunchSpec): string {
  if (!IMAGE_BY_DIGEST.test(spec.image))
    throw new Error(`${spec.image}: the pod image must be pinned by digest (REPO@sha256:…)`);
  const secrets = [TOKEN_ENV, TLS_KEY_ENV, TLS_CERT_ENV];
  const models = quote(spec.modelsDir);
  return [
    "#!/bin/sh",
    "# The Cacheon pod worker on a rented machine; written by the validator that rented it.",
    "set -eu",
    ...secrets.map((name) => `: "\${${name}:?is not set: the rental passes it}"`),
    `mkdir -p ${models}`,
    [
      "docker run -d --name cacheon-pod --restart unless-stopped --init",
      "--network host --user root --cap-add NET_ADMIN",
      "-v /var/run/docker.sock:/var/run/docker.sock",
      `-v ${models}:${models}`,
      "-v cacheon-pod-state:/var/lib/cacheon-pod",
      ...secrets.map((name) => `-e ${name}`),
      quote(spec.image),
      `pod serve --host 0.0.0.0 --port ${spec.podPort} --state-dir /var/lib/cacheon-pod`,
      `--models ${models} --gpus all --runtime docker --firewall iptables`,
      `--weights ${quote(spec.weightsArena)}${spec.weightsOnVolume ? " --no-download" : ""}`,
    ].join(" \\\n  "),
    "",
  ].join("\n");
}

/**
 * Every address a rented pod has had, and its host alone: what a failure's reason may name, so
 * the web replaces them as it does static pods' URLs.
 */
export function rentalAddresses(rentals: readonly Rental[]): string[] {
  return rentals.flatMap((r) =>
    r.address === null ? [] : [r.address, r.address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "")],
  );
}

export interface RentedPodsOptions {
  store: ValidatorStore;
  provider: RentalProvider;
  policy: PolicyConfig;
  hardware: HardwareWanted;
  launch: LaunchSpec;
  /** The validator's identity (its hotkey): every instance's tag, and its names' prefix. */
  identity: string;
  /** The provider's auto-delete time for every instance: the backstop for a validator gone. */
  maxRentalMs: number;
  /** After no capacity or a failed create, the next try waits this long. */
  retryMs: number;
  emit: (e: ValidatorEvent) => void;
  now?: () => number;
}

const BOOTING = new Set(["intent", "created", "booting"]);
const HOUR_MS = 3_600_000;

/**
 * Whether the provider's auto-delete (its time, or its spend at the pod's price) is near enough
 * that a job started now might be cut by it: within an hour, or a quarter of the rental's span.
 */
export function nearAutoDelete(r: Rental, nowMs: number): boolean {
  const bySpend = r.createdAtMs + (r.autoDelete.spendCents / r.hourlyPriceCents) * HOUR_MS;
  const end = Math.min(r.autoDelete.atMs, bySpend);
  return end - nowMs < Math.min(HOUR_MS, (end - r.createdAtMs) / 4);
}

export class RentedPods implements PodProvider {
  private readonly now: () => number;
  private readonly leases = new Map<string, PodLease>();
  private waiting = 0;
  private stepping: Promise<void> | null = null;
  /** False until the provider's instances and the store agree (at start, after an uncertain create). */
  private reconciled = false;
  private rentNotBefore = 0;
  /** The last "not renting" said, so it is said once, not every tick. */
  private held = "";

  constructor(private readonly o: RentedPodsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Every instance this validator rents carries it: how a restart finds them. */
  get tag(): string {
    return `cacheon-${this.o.identity}`;
  }

  private get prefix(): string {
    return `cacheon-${this.o.identity.slice(0, 8)}`;
  }

  async acquire(): Promise<PodLease | null> {
    if (!this.reconciled) return null;
    const now = this.now();
    const free = this.o.store
      .liveRentals()
      .find(
        (r) =>
          r.state === "ready" &&
          !r.releaseRequested &&
          r.idleSinceMs !== null &&
          !nearAutoDelete(r, now),
      );
    return free ? this.take(free) : null;
  }

  lease(name: string): PodLease | null {
    const r = this.o.store.rental(name);
    return r?.state === "ready" ? this.take(r) : null;
  }

  release(lease: PodLease, broken?: string): void {
    const r = this.o.store.rental(lease.name);
    if (r?.state !== "ready") return;
    const now = this.now();
    if (broken !== undefined) this.giveBackLater(r, `it misbehaved: ${broken}`, now);
    else if (r.releaseRequested) this.giveBackLater(r, "the operator asked for it back", now);
    else this.o.store.setRentalBusy(r.name, false, now);
  }

  /** Each tick: how many jobs wait; one step of renting runs unless the last is still running. */
  demand(waiting: number): void {
    this.waiting = waiting;
    this.stepping ??= this.step()
      .catch((err: unknown) => this.say("error", null, (err as Error).message))
      .finally(() => {
        this.stepping = null;
      });
  }

  /** No rental is live: nothing rented is left to give back (what `--exit-when-idle` waits for). */
  idle(): boolean {
    return this.o.store.liveRentals().length === 0;
  }

  /** Waits for a step in flight, so a clean stop never cuts a create or a delete in two. */
  async close(): Promise<void> {
    await this.stepping;
  }

  /**
   * The provider's instances with our tag against the store: an intent's instance found by name is
   * recorded, an intent without one failed (its create never happened); a rental the provider no
   * longer lists is deleted (auto-delete, or our own delete before a kill); any instance no live
   * rental owns is deleted now.
   */
  async reconcile(): Promise<void> {
    const instances = await this.o.provider.list(this.tag);
    const now = this.now();
    const byName = new Map(instances.map((i) => [i.name, i]));
    const byId = new Map(instances.map((i) => [i.id, i]));
    const busy = new Set(
      this.o.store
        .openJobs()
        .filter((j) => j.status === "submitted")
        .map((j) => j.pod),
    );
    for (const r of this.o.store.liveRentals()) {
      if (r.instanceId === null) {
        const found = byName.get(r.name);
        if (found) {
          this.o.store.markRentalCreated(r.name, found.id, now);
          this.say("created", r.name, `found by its name as instance ${found.id}`, "created");
        } else {
          this.o.store.markRentalFailed(r.name, "no instance has its name: never created", now);
          this.say(
            "failed",
            r.name,
            "no instance has its name: the create never happened",
            "never_created",
          );
        }
        continue;
      }
      const inst = byId.get(r.instanceId);
      if (!inst) {
        this.o.store.markRentalDeleted(r.name, "the provider no longer lists it", now);
        this.forget(r.name);
        this.say("deleted", r.name, "the provider no longer lists it");
      } else if (r.state !== "releasing" && (inst.status === "error" || inst.status === "deleting"))
        this.giveBackLater(r, `the provider reports it ${inst.status}`, now);
      else if (r.state !== "releasing") {
        if (r.state === "ready" && r.idleSinceMs === null && !busy.has(r.name))
          this.o.store.setRentalBusy(r.name, false, now);
        this.say("adopted", r.name, `${r.state}, instance ${r.instanceId}: kept`);
      }
    }
    const owned = new Set(this.o.store.liveRentals().map((r) => r.instanceId));
    for (const inst of instances) {
      if (owned.has(inst.id) || inst.status === "deleting") continue;
      await this.o.provider.delete(inst.id);
      this.say("stray", inst.name, `instance ${inst.id} has our tag and no live rental: deleted`);
    }
    this.reconciled = true;
  }

  private async step(): Promise<void> {
    if (!this.reconciled) await this.reconcile();
    for (const r of this.o.store.liveRentals()) {
      if (r.state === "created" || r.state === "booting") await this.checkBoot(r);
      else if (r.state === "releasing") await this.giveBack(r);
    }
    const now = this.now();
    for (const r of this.o.store.liveRentals()) {
      const free = BOOTING.has(r.state) || r.idleSinceMs !== null;
      if (!free || !r.instanceId) continue;
      if (r.releaseRequested) this.giveBackLater(r, "the operator asked for it back", now);
      // Before the provider's backstop deletes it, between jobs rather than during one.
      else if (r.state === "ready" && nearAutoDelete(r, now))
        this.giveBackLater(r, "its auto-delete is near: giving it back between jobs", now);
    }
    await this.applyPolicy();
  }

  private async applyPolicy(): Promise<void> {
    const now = this.now();
    const live = this.o.store.liveRentals().filter((r) => r.state !== "releasing");
    const pods: PolicyPod[] = live.map((r) =>
      BOOTING.has(r.state)
        ? { name: r.name, state: "booting", sinceMs: r.createdAtMs }
        : r.idleSinceMs === null
          ? { name: r.name, state: "busy", sinceMs: r.readyAtMs ?? r.createdAtMs }
          : { name: r.name, state: "idle", sinceMs: r.idleSinceMs },
    );
    const spent = spentTodayCents(this.o.store, now);
    const d = decide({
      nowMs: now,
      waiting: this.waiting,
      pods,
      spentTodayCents: spent,
      config: this.o.policy,
    });
    if (d.action === "release") {
      for (const name of d.names) {
        const r = this.o.store.rental(name);
        // An intent is the reconciliation's to settle: it has no instance to delete yet.
        if (r?.instanceId) await this.giveBack(this.giveBackLater(r, d.reason, now));
      }
      return;
    }
    if (d.action === "nothing") {
      if (this.waiting > 0 && spent >= this.o.policy.dailySpendCapCents)
        this.hold(d.reason, "spend_cap");
      return;
    }
    if (now < this.rentNotBefore) return;
    await this.rent(spent);
  }

  private async rent(spent: number): Promise<void> {
    const o = this.o;
    const choice = chooseOffer(await o.provider.instanceTypes(), o.hardware);
    if (choice.offer === null) {
      this.rentNotBefore = this.now() + o.retryMs;
      this.hold(choice.reason, "no_capacity");
      return;
    }
    const offer = choice.offer;
    const credentials = await makePodCredentials();
    const now = this.now();
    const autoDelete = autoDeleteFor({
      nowMs: now,
      hourlyPriceCents: offer.hourlyPriceCents,
      maxRentalMs: o.maxRentalMs,
      spentTodayCents: spent,
      dailySpendCapCents: o.policy.dailySpendCapCents,
    });
    const r = o.store.insertRentalIntent(
      this.prefix,
      {
        provider: o.provider.kind,
        cloud: offer.cloud,
        region: offer.region,
        instanceType: offer.type,
        hourlyPriceCents: offer.hourlyPriceCents,
        token: credentials.token,
        fingerprint: credentials.fingerprint,
        autoDelete,
      },
      now,
    );
    this.held = "";
    this.say(
      "intent",
      r.name,
      `renting ${offer.type} on ${offer.cloud}/${offer.region} at ${dollars(offer.hourlyPriceCents)}/h (auto-delete after ${new Date(autoDelete.atMs).toISOString()} or ${dollars(autoDelete.spendCents)})`,
    );
    failpoint("after-rental-intent");
    let id: string;
    try {
      ({ id } = await o.provider.create({
        name: r.name,
        tags: [this.tag],
        placement: offer,
        launchScript: launchScript(o.launch),
        env: podCredentialsEnv(credentials),
        autoDelete,
      }));
    } catch (err) {
      const kind = err instanceof RentalError ? err.kind : "uncertain";
      if (kind === "uncertain") {
        // It may exist: the next step lists our tag and finds it by name, or fails the intent.
        this.reconciled = false;
        this.say("error", r.name, `${(err as Error).message}: looking for it by name`);
        return;
      }
      o.store.markRentalFailed(r.name, (err as Error).message, this.now());
      this.rentNotBefore = this.now() + o.retryMs;
      this.say("failed", r.name, (err as Error).message, kind);
      return;
    }
    failpoint("after-rental-create");
    o.store.markRentalCreated(r.name, id, this.now());
    this.say("created", r.name, `instance ${id} created`, "created");
  }

  /** A created instance: booting until the provider says active and its pod answers, pinned. */
  private async checkBoot(r: Rental): Promise<void> {
    const inst = await this.o.provider.info(r.instanceId as string);
    const now = this.now();
    if (inst === null || inst.status === "deleted" || inst.status === "deleting") {
      this.o.store.markRentalDeleted(r.name, "the provider deleted it while it booted", now);
      this.say("deleted", r.name, "the provider deleted it while it booted");
      return;
    }
    if (inst.status === "error") {
      const why = `the provider reports an error${inst.statusDetail ? `: ${inst.statusDetail}` : ""}`;
      await this.giveBack(this.giveBackLater(r, why, now));
      return;
    }
    if (r.state === "created") {
      this.o.store.markRentalBooting(r.name, now);
      this.say("booting", r.name, `instance ${inst.id} ${inst.status}`);
      failpoint("rental-booting");
    }
    if (inst.status !== "active" || inst.address === null) return;
    const pod = await this.podState(r, inst);
    if (pod === "waiting") return;
    if (pod !== "ready") {
      await this.giveBack(this.giveBackLater(r, pod.failed, now));
      return;
    }
    this.o.store.markRentalReady(r.name, inst.address, this.now());
    const secs = Math.round((this.now() - r.createdAtMs) / 1000);
    this.say(
      "ready",
      r.name,
      `its pod answers over pinned TLS with its weights verified, ${secs} s after renting`,
    );
  }

  /** Ready once its pod answers over the pinned certificate with the arena's weights verified. */
  private async podState(
    r: Rental,
    inst: RentedInstance,
  ): Promise<"ready" | "waiting" | { failed: string }> {
    let weights: Awaited<ReturnType<PodClient["health"]>>["weights"];
    try {
      ({ weights } = await this.clientOf(r, inst.address as string).health());
    } catch {
      return "waiting"; // not listening yet: the boot timeout decides when to give up
    }
    if (weights === undefined || weights.state === "ready") return "ready";
    if (weights.state === "failed")
      return { failed: `its weights were refused: ${weights.error ?? "no reason given"}` };
    return "waiting";
  }

  /** Marks it to be given back; the delete comes in this step or the next. */
  private giveBackLater(r: Rental, reason: string, now: number): Rental {
    this.o.store.markRentalReleasing(r.name, reason, now);
    this.say("releasing", r.name, reason);
    return { ...r, state: "releasing" };
  }

  private async giveBack(r: Rental): Promise<void> {
    await this.o.provider.delete(r.instanceId as string);
    failpoint("after-rental-delete");
    this.o.store.markRentalDeleted(r.name, "given back", this.now());
    this.forget(r.name);
    this.say("deleted", r.name, `instance ${r.instanceId} given back`);
  }

  private hold(reason: string, result: string): void {
    if (reason === this.held) return;
    this.held = reason;
    this.say("held", null, reason, result);
  }

  private take(r: Rental): PodLease {
    this.o.store.setRentalBusy(r.name, true, this.now());
    return this.leases.get(r.name) ?? this.remember(r);
  }

  private remember(r: Rental): PodLease {
    const lease = { name: r.name, client: this.clientOf(r, r.address as string) };
    this.leases.set(r.name, lease);
    return lease;
  }

  private clientOf(r: Rental, address: string): PodClient {
    return new PodClient({ url: `https://${address}`, fingerprint: r.fingerprint }, r.token);
  }

  private forget(name: string): void {
    this.leases.delete(name);
  }

  private say(step: RentalStep, name: string | null, message: string, result?: string): void {
    this.o.emit({ type: "rental", step, name, message, ...(result ? { result } : {}) });
  }
}
