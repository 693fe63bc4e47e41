// The rentals table: every pod the validator rents (DESIGN §2.6), recorded as an intent before the
// provider's create call and moved along intent → created (the provider's id) → booting → ready →
// releasing → deleted; `failed` ends one that never existed (its create refused, or an intent no
// instance answers to). A restarted validator reads it to adopt its instances or delete them.
// The pod's token and certificate fingerprint are kept so a restart can reach it again; no reader
// outside the validator (the web, `pods ls`) is given them.
import type { Db, Row } from "./db.js";

export const RENTAL_STATES = [
  "intent",
  "created",
  "booting",
  "ready",
  "releasing",
  "deleted",
  "failed",
] as const;
export type RentalState = (typeof RENTAL_STATES)[number];

/** The states of a rental that may still have a machine (and a bill) behind it. */
export const LIVE_RENTAL_STATES: readonly RentalState[] = [
  "intent",
  "created",
  "booting",
  "ready",
  "releasing",
];

export interface Rental {
  id: number;
  /** Unique: the provider's instance name, how an intent without an id is found again. */
  name: string;
  provider: string;
  state: RentalState;
  /** The provider's id, once its create answered (or a listing showed it). */
  instanceId: string | null;
  cloud: string;
  region: string;
  instanceType: string;
  hourlyPriceCents: number;
  /** `HOST:PORT` of the pod worker, once it answered. */
  address: string | null;
  token: string;
  fingerprint: string;
  autoDelete: { atMs: number; spendCents: number };
  /** The intent: billing is counted from here (a create that succeeded bills from about then). */
  createdAtMs: number;
  readyAtMs: number | null;
  /** Since when a ready pod has had no job; null while it runs one or is not ready. */
  idleSinceMs: number | null;
  /** When it was given back (or found never to have existed): billing stops here. */
  endedAtMs: number | null;
  /** The operator asked for it back (`cacheon pods release`): given back once it has no job. */
  releaseRequested: boolean;
  /** Why it is in its state, when that needs saying (failed, releasing). */
  reason: string | null;
  updatedAtMs: number;
}

export interface RentalIntent {
  provider: string;
  cloud: string;
  region: string;
  instanceType: string;
  hourlyPriceCents: number;
  token: string;
  fingerprint: string;
  autoDelete: { atMs: number; spendCents: number };
}

const rentalOf = (r: Row): Rental => ({
  id: r.id as number,
  name: r.name as string,
  provider: r.provider as string,
  state: r.state as RentalState,
  instanceId: r.instance_id as string | null,
  cloud: r.cloud as string,
  region: r.region as string,
  instanceType: r.instance_type as string,
  hourlyPriceCents: r.hourly_price_cents as number,
  address: r.address as string | null,
  token: r.token as string,
  fingerprint: r.fingerprint as string,
  autoDelete: {
    atMs: r.auto_delete_at_ms as number,
    spendCents: r.auto_delete_spend_cents as number,
  },
  createdAtMs: r.created_at_ms as number,
  readyAtMs: r.ready_at_ms as number | null,
  idleSinceMs: r.idle_since_ms as number | null,
  endedAtMs: r.ended_at_ms as number | null,
  releaseRequested: r.release_requested === 1,
  reason: r.reason as string | null,
  updatedAtMs: r.updated_at_ms as number,
});

const LIVE = `state IN (${LIVE_RENTAL_STATES.map((s) => `'${s}'`).join(", ")})`;

/**
 * A new rental's intent, named `<prefix>-<id>` by the table itself (ids are never reused, so
 * neither are names); the caller makes the create call only after this has committed.
 */
export function insertRentalIntent(db: Db, prefix: string, i: RentalIntent, nowMs: number): Rental {
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO rentals (prefix, provider, state, cloud, region, instance_type,
         hourly_price_cents, token, fingerprint, auto_delete_at_ms, auto_delete_spend_cents,
         created_at_ms, updated_at_ms)
       VALUES (?, ?, 'intent', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      prefix,
      i.provider,
      i.cloud,
      i.region,
      i.instanceType,
      i.hourlyPriceCents,
      i.token,
      i.fingerprint,
      i.autoDelete.atMs,
      i.autoDelete.spendCents,
      nowMs,
      nowMs,
    );
  return rentalById(db, Number(lastInsertRowid)) as Rental;
}

function rentalById(db: Db, id: number): Rental | null {
  const r = db.prepare("SELECT * FROM rentals WHERE id = ?").get(id) as Row | undefined;
  return r ? rentalOf(r) : null;
}

export function rental(db: Db, name: string): Rental | null {
  const r = db.prepare("SELECT * FROM rentals WHERE name = ?").get(name) as Row | undefined;
  return r ? rentalOf(r) : null;
}

/** Rentals that may still have a machine behind them, oldest first. */
export function liveRentals(db: Db): Rental[] {
  return (db.prepare(`SELECT * FROM rentals WHERE ${LIVE} ORDER BY id`).all() as Row[]).map(
    rentalOf,
  );
}

/** Rentals live now or ended at `fromMs` or later (what a day's spend counts), oldest first. */
export function rentalsSince(db: Db, fromMs: number): Rental[] {
  return (
    db
      .prepare("SELECT * FROM rentals WHERE ended_at_ms IS NULL OR ended_at_ms >= ? ORDER BY id")
      .all(fromMs) as Row[]
  ).map(rentalOf);
}

/** A rental as readers outside the validator see it: no address, token or certificate. */
export type RentalSummary = Omit<Rental, "address" | "token" | "fingerprint">;

/** `rentalsSince` without the secrets, for the web and other readers. */
export function rentalSummariesSince(db: Db, fromMs: number): RentalSummary[] {
  return rentalsSince(db, fromMs).map(
    ({ address: _a, token: _t, fingerprint: _f, ...summary }) => summary,
  );
}

/** Rentals by result, for metrics: how many ever reached each final or current state. */
export function rentalCounts(db: Db): Record<RentalState, number> {
  const counts = Object.fromEntries(RENTAL_STATES.map((s) => [s, 0])) as Record<
    RentalState,
    number
  >;
  for (const r of db
    .prepare("SELECT state, COUNT(*) AS n FROM rentals GROUP BY state")
    .all() as Row[])
    counts[r.state as RentalState] = r.n as number;
  return counts;
}

/** Moves a rental on; throws when it is not in one of `from` (a bug: two writers, or a lost step). */
function move(
  db: Db,
  name: string,
  from: readonly RentalState[],
  set: string,
  args: unknown[],
): void {
  const r = db
    .prepare(
      `UPDATE rentals SET ${set} WHERE name = ? AND state IN (${from.map(() => "?").join(", ")})`,
    )
    .run(...args, name, ...from);
  if (r.changes === 0) {
    const now = rental(db, name);
    throw new Error(
      now ? `rental ${name} is ${now.state}, not ${from.join(" or ")}` : `no rental ${name}`,
    );
  }
}

/** The create answered (or a listing showed the instance under the intent's name). */
export function markRentalCreated(db: Db, name: string, instanceId: string, nowMs: number): void {
  move(db, name, ["intent"], "state = 'created', instance_id = ?, updated_at_ms = ?", [
    instanceId,
    nowMs,
  ]);
}

export function markRentalBooting(db: Db, name: string, nowMs: number): void {
  move(db, name, ["created"], "state = 'booting', updated_at_ms = ?", [nowMs]);
}

/** Its pod answered over pinned TLS at `address`: ready, and idle until a job takes it. */
export function markRentalReady(db: Db, name: string, address: string, nowMs: number): void {
  move(
    db,
    name,
    ["created", "booting"],
    "state = 'ready', address = ?, ready_at_ms = ?, idle_since_ms = ?, updated_at_ms = ?",
    [address, nowMs, nowMs, nowMs],
  );
}

/** A ready pod took a job (busy) or ended one (idle from now). */
export function setRentalBusy(db: Db, name: string, busy: boolean, nowMs: number): void {
  move(db, name, ["ready"], "idle_since_ms = ?, updated_at_ms = ?", [busy ? null : nowMs, nowMs]);
}

/** To be given back: the delete call comes next (and again after a restart until it is done). */
export function markRentalReleasing(db: Db, name: string, reason: string, nowMs: number): void {
  move(
    db,
    name,
    ["created", "booting", "ready", "releasing"],
    "state = 'releasing', idle_since_ms = NULL, reason = ?, updated_at_ms = ?",
    [reason, nowMs],
  );
}

/** The provider deleted it (at our request, or by itself): billing ends now. */
export function markRentalDeleted(db: Db, name: string, reason: string, nowMs: number): void {
  move(
    db,
    name,
    ["created", "booting", "ready", "releasing"],
    "state = 'deleted', idle_since_ms = NULL, ended_at_ms = ?, reason = COALESCE(reason, ?), updated_at_ms = ?",
    [nowMs, reason, nowMs],
  );
}

/** An intent that never became an instance: it cost nothing. */
export function markRentalFailed(db: Db, name: string, reason: string, nowMs: number): void {
  move(
    db,
    name,
    ["intent"],
    "state = 'failed', ended_at_ms = created_at_ms, reason = ?, updated_at_ms = ?",
    [reason, nowMs],
  );
}

/** The operator's `pods release`: false when no live rental has that name. */
export function requestRentalRelease(db: Db, name: string, nowMs: number): boolean {
  return (
    db
      .prepare(
        `UPDATE rentals SET release_requested = 1, updated_at_ms = ? WHERE name = ? AND ${LIVE}`,
      )
      .run(nowMs, name).changes > 0
  );
}
