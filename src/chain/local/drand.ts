// The local chain's drand pallet state, laid out as runtime 424 lays it out: Drand.BeaconConfig,
// Drand.Pulses(round) = { round, randomness, signature }, Drand.LastStoredRound and
// Drand.OldestStoredRound. Two beacons: quicknet (the real one; pulses arrive only when fed, their
// signatures verified against its key) and a test beacon whose secret key comes from a public seed,
// so the chain can sign each round itself once its time has come (tests and the demo: anyone can
// read a commit made to it early; never the beacon of real weights).
import { createHash } from "node:crypto";
import { u8aToHex } from "@polkadot/util";
import {
  decodeG2,
  G2_GENERATOR,
  type G2Point,
  scalarFromBeBytes,
  TimelockError,
} from "../timelock/bls.js";
import { QUICKNET, roundIdentity, verifyRoundSignature } from "../timelock/drand.js";
import type { Storage } from "./storage.js";

const D = "drand";
/** The seed of the test beacon's secret key: public, so the key is no secret. */
export const TEST_BEACON_SEED =
  "cacheon local chain: drand test beacon (a public key pair, never for real weights)";
/** Pulses kept: older ones are pruned (OldestStoredRound moves up). */
export const KEPT_PULSES = 1024;
/** At most this many rounds are signed in one block (a chain resumed after a long pause skips the rest). */
const MAX_ROUNDS_PER_BLOCK = 64;

const sha256 = (data: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());

const testSecret = ((): bigint => {
  const s = scalarFromBeBytes(sha256(TEST_BEACON_SEED));
  if (s === 0n) throw new Error("the test beacon seed gives the zero scalar");
  return s;
})();

/** The test beacon: quicknet's timing (genesis, 3 s period) under another key. */
export const TEST_BEACON = {
  publicKey: u8aToHex(G2_GENERATOR.multiply(testSecret).toBytes(true)),
  genesisTime: QUICKNET.genesisTime,
  period: QUICKNET.period,
} as const;

/** The test beacon's signature of `round` (48 bytes): the timelock key of that round. */
export function testBeaconSignature(round: number): Uint8Array {
  return roundIdentity(round).multiply(testSecret).toBytes(true);
}

const ascii = (s: string) => u8aToHex(new TextEncoder().encode(s));

/** Drand.BeaconConfig for a genesis: quicknet's exactly as the runtime's default, or the test beacon. */
export function beaconConfig(kind: "quicknet" | "test"): Record<string, unknown> {
  const quicknet = {
    publicKey: `0x${QUICKNET.publicKey}`,
    period: QUICKNET.period,
    genesisTime: QUICKNET.genesisTime,
    hash: `0x${QUICKNET.chainHash}`,
    groupHash: "0xf477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
    schemeId: ascii(QUICKNET.scheme),
    metadata: { beaconId: ascii("quicknet") },
  };
  if (kind === "quicknet") return quicknet;
  return {
    ...quicknet,
    publicKey: TEST_BEACON.publicKey,
    hash: u8aToHex(sha256(`${TEST_BEACON_SEED} chain hash`)),
    metadata: { beaconId: ascii("cacheon-local-test") },
  };
}

export interface Beacon {
  /** "test" when the stored key is the test beacon's (the chain signs its rounds itself). */
  kind: "quicknet" | "test" | "other";
  publicKey: G2Point;
  genesisTime: number;
  period: number;
}

export function beaconOf(storage: Storage): Beacon {
  const c = storage.get(D, "beaconConfig")?.toJSON() as {
    publicKey: string;
    genesisTime: number;
    period: number;
  };
  const hex = c.publicKey.toLowerCase();
  return {
    kind:
      hex === `0x${QUICKNET.publicKey}`
        ? "quicknet"
        : hex === TEST_BEACON.publicKey
          ? "test"
          : "other",
    publicKey: decodeG2(Buffer.from(hex.slice(2), "hex")),
    genesisTime: c.genesisTime,
    period: c.period,
  };
}

export const lastStoredRound = (storage: Storage): number =>
  Number(storage.get(D, "lastStoredRound")?.toString() ?? "0");

/** The pulse signature of `round`, when the chain has it. */
export function pulseSignature(storage: Storage, round: number): Uint8Array | undefined {
  const pulse = storage.get(D, "pulses", [round])?.toJSON() as { signature: string } | null;
  if (!pulse) return undefined;
  // The pallet strips a "0x" text prefix before reading the point; stored here as raw bytes.
  return Buffer.from(pulse.signature.slice(2), "hex");
}

/**
 * Checks a fed pulse as the pallet's write_pulse does: the round must follow LastStoredRound and
 * the signature must verify under the stored beacon's key. Throws TimelockError with the reason.
 */
export function checkPulse(storage: Storage, round: number, signature: Uint8Array): void {
  if (!Number.isSafeInteger(round) || round < 1)
    throw new TimelockError(`round ${round} is not a drand round`);
  const last = lastStoredRound(storage);
  if (round <= last)
    throw new TimelockError(
      `round ${round} is not after Drand.LastStoredRound ${last} (the pallet's InvalidRoundNumber)`,
    );
  if (!verifyRoundSignature(round, signature, beaconOf(storage).publicKey))
    throw new TimelockError(
      `that is not the beacon's signature of round ${round} (the pallet's PulseVerificationError)`,
    );
}

/** The latest round of the beacon at `nowMs` (round 1 at genesis), 0 before genesis. */
export function latestRound(beacon: Pick<Beacon, "genesisTime" | "period">, nowMs: number): number {
  const elapsed = nowMs / 1000 - beacon.genesisTime;
  return elapsed < 0 ? 0 : Math.floor(elapsed / beacon.period) + 1;
}

/** The rounds the test beacon signs in a block at `nowMs`: those after LastStoredRound, newest 64. */
export function dueTestRounds(storage: Storage, nowMs: number): number[] {
  const beacon = beaconOf(storage);
  if (beacon.kind !== "test") return [];
  const latest = latestRound(beacon, nowMs);
  const last = lastStoredRound(storage);
  const from = Math.max(last === 0 ? latest : last + 1, latest - MAX_ROUNDS_PER_BLOCK + 1, 1);
  return Array.from({ length: Math.max(0, latest - from + 1) }, (_, i) => from + i);
}

/**
 * Writes pulses (rounds ascending, each after LastStoredRound, already checked) and moves
 * LastStoredRound and OldestStoredRound; prunes all but the newest KEPT_PULSES rounds.
 */
export function storePulses(
  storage: Storage,
  pulses: { round: number; signature: Uint8Array }[],
): void {
  if (pulses.length === 0) return;
  for (const { round, signature } of pulses)
    storage.put(D, "pulses", [round], {
      round,
      randomness: u8aToHex(sha256(signature)),
      signature: u8aToHex(signature),
    });
  const last = (pulses[pulses.length - 1] as { round: number }).round;
  storage.put(D, "lastStoredRound", [], last);
  let oldest = Number(storage.get(D, "oldestStoredRound")?.toString() ?? "0");
  if (oldest === 0) oldest = (pulses[0] as { round: number }).round;
  const keepFrom = last - KEPT_PULSES + 1;
  // Bounded: after a long pause, stale rounds below the window may stay (they are never read).
  for (let r = oldest, n = 0; r < keepFrom && n < 4 * MAX_ROUNDS_PER_BLOCK; r++, n++)
    storage.remove(D, "pulses", [r]);
  storage.put(D, "oldestStoredRound", [], Math.max(oldest, keepFrom));
}
