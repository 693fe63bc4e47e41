// What a renting pod provider does (DESIGN §2.6), whatever the marketplace: list the instance types it
// offers, create a tagged instance with its own auto-delete backstop, read one or all of ours, delete.
// Every answer is normalized here, so the validator's rental logic never sees a provider's schema.
// Money is integer US cents per hour throughout (Shadeform's own unit), never dollars in a float.

/**
 * Where an instance is in its life. `pending`: asked for, no machine yet; `booting`: a machine is
 * assigned and starting; `active`: the machine is up (whether the pod worker answers yet is for the
 * caller to check, at `address`); `deleting`: being given back (no longer billed); `deleted`: gone;
 * `error`: the provider gave up on it (it may still need a delete).
 */
export const INSTANCE_STATUSES = [
  "pending",
  "booting",
  "active",
  "deleting",
  "deleted",
  "error",
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** One instance type in one region, as a provider lists it. */
export interface InstanceOffer {
  /** The provider's name for the type (Shadeform: `shade_instance_type`). */
  type: string;
  cloud: string;
  region: string;
  gpus: number;
  gpuModel: string;
  /** How the GPUs are linked, as the provider says it (e.g. "sxm", "pcie"); "" when unknown. */
  interconnect: string;
  /** A VM or bare metal can run Docker with the NVIDIA runtime, as the pod needs; a container cannot. */
  deployment: "vm" | "baremetal" | "container";
  hourlyPriceCents: number;
  available: boolean;
  /** The provider's estimate of the longest boot, when it gives one. */
  maxBootSeconds?: number;
}

/** Where to create an instance: an offer's identity. */
export type Placement = Pick<InstanceOffer, "type" | "cloud" | "region">;

export interface RentalRequest {
  /** Unique per rental: the store records the intent under it before the create call. */
  name: string;
  /** Ours to find again: listing by tag is how a restarted validator adopts or deletes instances. */
  tags: string[];
  placement: Placement;
  /** A shell script run on the machine once it is up (the provider encodes it as it needs). */
  launchScript?: string;
  /** Environment for the launch (secrets included: they travel in the request body, never argv). */
  env: Record<string, string>;
  /** The provider's own backstop: it deletes the instance at this time or past this spend. */
  autoDelete: { atMs: number; spendCents: number };
}

export interface RentedInstance {
  id: string;
  name: string;
  tags: string[];
  status: InstanceStatus;
  /** The provider's detail on the status, when it gives one. */
  statusDetail?: string;
  /** The machine's public address, once it has one. */
  ip: string | null;
  /** `HOST:PORT` where the pod worker listens, once known. */
  address: string | null;
  hourlyPriceCents: number | null;
  /** As the provider says; 0 when it does not. */
  createdAtMs: number;
}

/**
 * `no_capacity`: nothing to rent now (try later); `unauthorized`: the API key was refused;
 * `bad_request`: the provider rejected the request (its message says why); `unavailable`: no answer
 * or 5xx after the retries; `uncertain`: a create whose outcome is unknown (it may have happened:
 * reconcile by listing the tag); `bad_response`: an answer that does not parse.
 */
export type RentalErrorKind =
  | "no_capacity"
  | "unauthorized"
  | "bad_request"
  | "unavailable"
  | "uncertain"
  | "bad_response";

export class RentalError extends Error {
  constructor(
    readonly kind: RentalErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface RentalProvider {
  /** For logs and metrics: "shadeform", "command". */
  readonly kind: string;
  /** Every instance type and region the provider lists now, with price and availability. */
  instanceTypes(): Promise<InstanceOffer[]>;
  /**
   * Creates an instance; its id. Never retried inside: a create that got no answer may have
   * happened, so it fails `uncertain` and the caller looks for the name among its tag's instances.
   */
  create(req: RentalRequest): Promise<{ id: string }>;
  /** The instance, or null once the provider no longer knows it. */
  info(id: string): Promise<RentedInstance | null>;
  /** Every instance not yet deleted that carries this tag. */
  list(tag: string): Promise<RentedInstance[]>;
  /** Gives the instance back; an instance already gone counts as deleted. */
  delete(id: string): Promise<void>;
}

/** The hardware a rented pod must have: the arena's `hardware` section. */
export interface HardwareWanted {
  gpus: number;
  gpuModel: string;
  interconnect: "sxm" | "any";
  equivalents: readonly string[];
}

/**
 * The id from a create's successful answer. An answer that does not parse still means the create
 * happened: the failure is `uncertain`, so the caller reconciles rather than renting again.
 */
export function createdId(read: () => string): string {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof RentalError)) throw err;
    throw new RentalError("uncertain", `${err.message}; the create succeeded, so it has happened`);
  }
}

/** `$12.34`, for reasons a person reads. */
export function dollars(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
