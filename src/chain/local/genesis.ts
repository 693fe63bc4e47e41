// The local chain's genesis: subnets with registered hotkeys and endowed accounts, validated with
// zod (it comes from a JSON file on the CLI) and written into storage under the real keys.

import { decodeAddress } from "@polkadot/util-crypto";
import { z } from "zod";
import { readJsonFile } from "../../contract/json-file.js";
import { beaconConfig } from "./drand.js";
import type { Storage } from "./storage.js";

const Ss58 = z.string().refine(
  (s) => {
    try {
      return decodeAddress(s).length === 32;
    } catch {
      return false;
    }
  },
  { message: "must be an SS58 address of a 32-byte account" },
);
/** The account an address names (its SS58 spelling varies with the prefix); itself if invalid. */
function accountKey(address: string): string {
  try {
    return decodeAddress(address).join(",");
  } catch {
    return address; // already reported by the address check
  }
}

const U16 = z.number().int().min(0).max(0xffff);
const U64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A balance or stake in rao: an integer, or a decimal string for values past 2^53. */
const Amount = z
  .union([U64, z.string().regex(/^\d+$/, "must be a decimal integer")])
  .transform((v) => BigInt(v));

const HotkeySchema = z.strictObject({
  address: Ss58,
  /** Owner coldkey; defaults to the hotkey itself. */
  coldkey: Ss58.optional(),
  /** Stake in rao, stored as TotalHotkeyAlpha(hotkey, netuid). */
  stake: Amount.default(0n),
  validatorPermit: z.boolean().default(false),
});

// Defaults are the runtime's own storage defaults, except where noted.
const SubnetSchema = z.strictObject({
  netuid: U16.min(1, "netuid 0 is the root network"),
  tempo: U16.default(360),
  hotkeys: z.array(HotkeySchema).max(4096).default([]),
  weightsVersionKey: U64.default(0),
  weightsSetRateLimit: U64.default(100),
  commitRevealWeightsEnabled: z.boolean().default(true),
  revealPeriodEpochs: U64.default(1),
  minAllowedWeights: U16.default(1024),
  maxWeightsLimit: U16.default(0xffff),
});

const AccountSchema = z.strictObject({
  address: Ss58,
  nonce: z.number().int().min(0).max(0xffffffff).default(0),
  /** Free balance in rao. */
  free: Amount.default(0n),
});

/**
 * The drand beacon whose pulses the chain stores. `quicknet`: the real one (Drand.BeaconConfig's
 * default); its pulses arrive only when fed (addPulse / cacheon_addDrandPulse, signatures verified),
 * e.g. the public round-1000 signature. `test`: the chain is its own beacon, with a key derived from
 * a public seed (src/chain/local/drand.ts), and stores each round's pulse once its time has come by
 * the blocks' timestamps: anyone can read commits early, so it is for tests and the demo only.
 */
const DrandSchema = z.strictObject({
  beacon: z.enum(["quicknet", "test"]).default("quicknet"),
});

export const GenesisSchema = z
  .strictObject({
    subnets: z.array(SubnetSchema).default([]),
    accounts: z.array(AccountSchema).default([]),
    /** CommitRevealWeightsVersion, the version commit_timelocked_*weights must name (runtime default 4). */
    commitRevealWeightsVersion: U16.default(4),
    drand: DrandSchema.default({ beacon: "quicknet" }),
  })
  .superRefine((g, ctx) => {
    const netuids = new Set<number>();
    for (const [i, s] of g.subnets.entries()) {
      if (netuids.has(s.netuid))
        ctx.addIssue({
          code: "custom",
          path: ["subnets", i, "netuid"],
          message: "duplicate netuid",
        });
      netuids.add(s.netuid);
      const hotkeys = new Set<string>();
      for (const [j, h] of s.hotkeys.entries()) {
        const id = accountKey(h.address);
        if (hotkeys.has(id))
          ctx.addIssue({
            code: "custom",
            path: ["subnets", i, "hotkeys", j, "address"],
            message: "hotkey registered twice on the subnet",
          });
        hotkeys.add(id);
      }
    }
  });

/** Genesis as written by a caller (defaults optional). */
export type GenesisConfig = z.input<typeof GenesisSchema>;
/** Genesis with defaults applied. */
export type Genesis = z.output<typeof GenesisSchema>;

export class GenesisError extends Error {}

export function parseGenesis(value: unknown): Genesis {
  const parsed = GenesisSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "genesis";
    throw new GenesisError(`${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Read and validate a genesis JSON file (returned as written; startLocalChain applies the defaults). */
export function readGenesisFile(path: string): GenesisConfig {
  const json = readJsonFile(path, "genesis file", (m) => new GenesisError(m));
  try {
    parseGenesis(json);
    return json as GenesisConfig;
  } catch (err) {
    throw new GenesisError(`${path}: ${(err as Error).message}`);
  }
}

/** The well-known Substrate sr25519 dev accounts (//Alice …), SS58 prefix 42. */
export const DEV_ADDRESSES = {
  alice: "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
  bob: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
  charlie: "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
  dave: "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy",
  eve: "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw",
} as const;

const TAO = 1_000_000_000n;

export interface DevGenesisOptions {
  /**
   * Commit-reveal v4 on subnet 1, as finney's default (default true): weights go as timelocked
   * commits, revealed by the chain with its own test beacon's pulses (`drand.beacon: "test"`).
   * false: commit-reveal off, weights set directly with set_weights.
   */
  commitReveal?: boolean;
}

/**
 * Subnet 1 with //Alice (uid 0, validator permit, 1000 TAO staked) and //Bob, //Charlie, //Dave,
 * //Eve (uids 1–4) registered; all five endowed. Short tempo and rate limit, so a demo sets weights
 * within seconds; commit-reveal v4 on (as on finney) with the chain as its own drand beacon, unless
 * `commitReveal: false`.
 */
export function devGenesis(opts: DevGenesisOptions = {}): GenesisConfig {
  const commitReveal = opts.commitReveal ?? true;
  const { alice, bob, charlie, dave, eve } = DEV_ADDRESSES;
  return {
    subnets: [
      {
        netuid: 1,
        tempo: 20,
        hotkeys: [
          { address: alice, validatorPermit: true, stake: (1000n * TAO).toString() },
          { address: bob },
          { address: charlie },
          { address: dave },
          { address: eve },
        ],
        weightsVersionKey: 0,
        weightsSetRateLimit: 10,
        commitRevealWeightsEnabled: commitReveal,
        revealPeriodEpochs: 1,
        minAllowedWeights: 1,
        maxWeightsLimit: 0xffff,
      },
    ],
    accounts: [alice, bob, charlie, dave, eve].map((address) => ({
      address,
      free: (1000n * TAO).toString(),
    })),
    commitRevealWeightsVersion: 4,
    drand: { beacon: commitReveal ? "test" : "quicknet" },
  };
}

/** Write the genesis into empty storage: the items the metagraph, commitments and weights read. */
export function writeGenesis(storage: Storage, genesis: Genesis): void {
  const S = "subtensorModule";
  for (const account of genesis.accounts) {
    storage.put("system", "account", [account.address], {
      nonce: account.nonce,
      consumers: 0,
      providers: 1,
      sufficients: 0,
      data: { free: account.free, reserved: 0, frozen: 0, flags: 0n },
    });
  }
  storage.put(S, "totalNetworks", [], genesis.subnets.length);
  storage.put(S, "commitRevealWeightsVersion", [], genesis.commitRevealWeightsVersion);
  storage.put("drand", "beaconConfig", [], beaconConfig(genesis.drand.beacon));
  for (const s of genesis.subnets) {
    const n = s.hotkeys.length;
    storage.put(S, "networksAdded", [s.netuid], true);
    storage.put(S, "tempo", [s.netuid], s.tempo);
    storage.put(S, "subnetworkN", [s.netuid], n);
    storage.put(S, "weightsVersionKey", [s.netuid], s.weightsVersionKey);
    storage.put(S, "weightsSetRateLimit", [s.netuid], s.weightsSetRateLimit);
    storage.put(S, "commitRevealWeightsEnabled", [s.netuid], s.commitRevealWeightsEnabled);
    storage.put(S, "revealPeriodEpochs", [s.netuid], s.revealPeriodEpochs);
    storage.put(S, "minAllowedWeights", [s.netuid], s.minAllowedWeights);
    storage.put(S, "maxWeightsLimit", [s.netuid], s.maxWeightsLimit);
    storage.put(S, "maxAllowedUids", [s.netuid], Math.max(n, 256));
    storage.put(
      S,
      "validatorPermit",
      [s.netuid],
      s.hotkeys.map((h) => h.validatorPermit),
    );
    storage.put(
      S,
      "active",
      [s.netuid],
      s.hotkeys.map(() => true),
    );
    storage.put(
      S,
      "lastUpdate",
      [s.netuid],
      s.hotkeys.map(() => 0),
    );
    const owner = s.hotkeys[0]?.coldkey ?? s.hotkeys[0]?.address;
    if (owner) storage.put(S, "subnetOwner", [s.netuid], owner);
    for (const [uid, h] of s.hotkeys.entries()) {
      storage.put(S, "keys", [s.netuid, uid], h.address);
      storage.put(S, "uids", [s.netuid, h.address], uid);
      storage.put(S, "isNetworkMember", [h.address, s.netuid], true);
      storage.put(S, "owner", [h.address], h.coldkey ?? h.address);
      storage.put(S, "blockAtRegistration", [s.netuid, uid], 0);
      if (h.stake > 0n) storage.put(S, "totalHotkeyAlpha", [h.address, s.netuid], h.stake);
    }
  }
}
