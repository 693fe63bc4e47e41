// The calls the local chain executes, with subtensor's checks in subtensor's order and its real
// error names (pallets/subtensor/src/subnets/weights.rs, pallets/commitments/src/lib.rs). A failed
// call throws ModuleError; the block builder turns it into DispatchError::Module and rolls back.
import type { Call } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import { u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsHex, decodeAddress } from "@polkadot/util-crypto";
import { commitExpired, epochIndex, inRevealEpoch, revealBlocks } from "./epoch.js";
import type { Storage } from "./storage.js";
import { maxLimited, maxUpscaleU16 } from "./upscale.js";

export class ModuleError extends Error {
  constructor(
    readonly pallet: "SubtensorModule" | "Commitments",
    readonly error: string,
  ) {
    super(`${pallet}.${error}`);
  }
}

export interface DispatchContext {
  storage: Storage;
  /** The number of the block being built. */
  block: number;
  /** The signer's SS58 address. */
  who: string;
  /** Deposit a pallet event: section and name as in the metadata, args in order. */
  emit(section: string, name: string, args: unknown[]): void;
}

const S = "subtensorModule";
const MAX_UNREVEALED_COMMITS = 10;
const fail = (error: string): never => {
  throw new ModuleError("SubtensorModule", error);
};

const num = (c: Codec | null): number => (c ? Number(c.toString()) : 0);
const arr = (c: Codec | null): number[] => (c ? (c.toJSON() as number[]) : []);

function uidOf(ctx: DispatchContext, netuid: number): number | null {
  const uid = ctx.storage.get(S, "uids", [netuid, ctx.who]);
  return uid ? num(uid) : null;
}

/** check_rate_limit: a uid may act again once WeightsSetRateLimit blocks passed since LastUpdate. */
function rateLimitOk(ctx: DispatchContext, netuid: number, uid: number): boolean {
  const last = arr(ctx.storage.get(S, "lastUpdate", [netuid]))[uid] ?? 0;
  if (last === 0) return true;
  return ctx.block - last >= num(ctx.storage.get(S, "weightsSetRateLimit", [netuid]));
}

function setLastUpdate(ctx: DispatchContext, netuid: number, uid: number): void {
  const last = arr(ctx.storage.get(S, "lastUpdate", [netuid]));
  while (last.length <= uid) last.push(0);
  last[uid] = ctx.block;
  ctx.storage.put(S, "lastUpdate", [netuid], last);
}

const crEnabled = (ctx: DispatchContext, netuid: number): boolean =>
  ctx.storage.get(S, "commitRevealWeightsEnabled", [netuid])?.toJSON() === true;

const isSelfWeight = (uid: number, uids: number[], values: number[]): boolean =>
  values.length === 1 && uids[0] === uid;

/** do_set_weights (also what a revealed timelocked commit goes through). */
export function doSetWeights(
  ctx: DispatchContext,
  netuid: number,
  uids: number[],
  values: number[],
  versionKey: bigint,
): void {
  if (netuid === 0) fail("CanNotSetRootNetworkWeights");
  if (uids.length !== values.length) fail("WeightVecNotEqualSize");
  if (ctx.storage.get(S, "networksAdded", [netuid])?.toJSON() !== true) fail("SubnetNotExists");
  const n = num(ctx.storage.get(S, "subnetworkN", [netuid]));
  if (uids.length > n) fail("UidsLengthExceedUidsInSubNet");
  const uid = uidOf(ctx, netuid) ?? fail("HotKeyNotRegisteredInSubNet");
  const networkKey = BigInt(ctx.storage.get(S, "weightsVersionKey", [netuid])?.toString() ?? "0");
  if (networkKey !== 0n && versionKey < networkKey) fail("IncorrectWeightVersionKey");
  const commitReveal = crEnabled(ctx, netuid);
  if (!commitReveal && !rateLimitOk(ctx, netuid, uid)) fail("SettingWeightsTooFast");
  const permits = ctx.storage.get(S, "validatorPermit", [netuid])?.toJSON() as boolean[];
  if (!isSelfWeight(uid, uids, values) && permits[uid] !== true) fail("NeuronNoValidatorPermit");
  if (new Set(uids).size !== uids.length) fail("DuplicateUids");
  if (uids.some((u) => u >= n)) fail("UidVecContainInvalidOne");
  const minAllowed = Math.min(n, num(ctx.storage.get(S, "minAllowedWeights", [netuid])));
  if (!isSelfWeight(uid, uids, values) && values.length < minAllowed) fail("WeightVecLengthIsLow");
  const upscaled = maxUpscaleU16(values);
  const maxLimit = num(ctx.storage.get(S, "maxWeightsLimit", [netuid]));
  if (!isSelfWeight(uid, uids, upscaled) && maxLimit !== 0xffff && !maxLimited(upscaled, maxLimit))
    fail("MaxWeightExceeded");
  ctx.storage.put(
    S,
    "weights",
    [netuid, uid],
    uids.map((u, i) => [u, upscaled[i]]),
  );
  if (!commitReveal) setLastUpdate(ctx, netuid, uid);
  ctx.emit(S, "WeightsSet", [netuid, uid]);
}

function setWeights(ctx: DispatchContext, args: Codec[]): void {
  const [netuid, dests, weights, versionKey] = args;
  if (crEnabled(ctx, num(netuid ?? null))) fail("CommitRevealEnabled");
  doSetWeights(
    ctx,
    num(netuid ?? null),
    arr(dests ?? null),
    arr(weights ?? null),
    BigInt(versionKey?.toString() ?? "0"),
  );
}

type Commit = [string, number, number, number];

function commitWeights(ctx: DispatchContext, args: Codec[]): void {
  const netuid = num(args[0] ?? null);
  const hash = args[1]?.toHex() ?? "0x";
  if (!crEnabled(ctx, netuid)) fail("CommitRevealDisabled");
  const uid = uidOf(ctx, netuid) ?? fail("HotKeyNotRegisteredInSubNet");
  if (!rateLimitOk(ctx, netuid, uid)) fail("CommittingWeightsTooFast");
  const tempo = num(ctx.storage.get(S, "tempo", [netuid]));
  const period = num(ctx.storage.get(S, "revealPeriodEpochs", [netuid]));
  const commits = (ctx.storage.get(S, "weightCommits", [netuid, ctx.who])?.toJSON() ??
    []) as Commit[];
  while (commits[0] && commitExpired(netuid, tempo, period, commits[0][1], ctx.block))
    commits.shift();
  if (commits.length >= MAX_UNREVEALED_COMMITS) fail("TooManyUnrevealedCommits");
  const [first, last] = revealBlocks(netuid, tempo, period, ctx.block);
  commits.push([hash, ctx.block, first, last]);
  ctx.storage.put(S, "weightCommits", [netuid, ctx.who], commits);
  ctx.emit(S, "WeightsCommitted", [ctx.who, netuid, hash]);
  setLastUpdate(ctx, netuid, uid);
}

/** blake2_256 of SCALE (AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64): the commit hash. */
export function weightsCommitHash(
  storage: Storage,
  who: string,
  netuid: number,
  uids: number[],
  values: number[],
  salt: number[],
  versionKey: bigint,
): string {
  const r = storage.runtime.registry;
  return blake2AsHex(
    u8aConcat(
      decodeAddress(who),
      r.createType("u16", netuid).toU8a(),
      r.createType("Vec<u16>", uids).toU8a(),
      r.createType("Vec<u16>", values).toU8a(),
      r.createType("Vec<u16>", salt).toU8a(),
      r.createType("u64", versionKey).toU8a(),
    ),
  );
}

function revealWeights(ctx: DispatchContext, args: Codec[]): void {
  const netuid = num(args[0] ?? null);
  const uids = arr(args[1] ?? null);
  const values = arr(args[2] ?? null);
  const salt = arr(args[3] ?? null);
  const versionKey = BigInt(args[4]?.toString() ?? "0");
  if (!crEnabled(ctx, netuid)) fail("CommitRevealDisabled");
  const stored =
    ctx.storage.get(S, "weightCommits", [netuid, ctx.who]) ?? fail("NoWeightsCommitFound");
  const commits = stored.toJSON() as Commit[];
  const tempo = num(ctx.storage.get(S, "tempo", [netuid]));
  const period = num(ctx.storage.get(S, "revealPeriodEpochs", [netuid]));
  const expired: string[] = [];
  while (commits[0] && commitExpired(netuid, tempo, period, commits[0][1], ctx.block))
    expired.push((commits.shift() as Commit)[0]);
  const provided = weightsCommitHash(ctx.storage, ctx.who, netuid, uids, values, salt, versionKey);
  if (commits.length === 0)
    fail(expired.includes(provided) ? "ExpiredWeightCommit" : "NoWeightsCommitFound");
  const position = commits.findIndex(([hash]) => hash === provided);
  if (position < 0)
    fail(expired.includes(provided) ? "ExpiredWeightCommit" : "InvalidRevealCommitHashNotMatch");
  const commitBlock = (commits[position] as Commit)[1];
  if (!inRevealEpoch(netuid, tempo, period, commitBlock, ctx.block)) fail("RevealTooEarly");
  commits.splice(0, position + 1);
  if (commits.length === 0) ctx.storage.remove(S, "weightCommits", [netuid, ctx.who]);
  else ctx.storage.put(S, "weightCommits", [netuid, ctx.who], commits);
  doSetWeights(ctx, netuid, uids, values, versionKey);
  ctx.emit(S, "WeightsRevealed", [ctx.who, netuid, provided]);
}

/** A mechanism's storage index (NetUidStorageIndex): mecid * 4096 + netuid. */
export const mechanismIndex = (netuid: number, mecid: number): number => mecid * 4096 + netuid;

/** The pallet's bound on a timelocked commit (MAX_CRV3_COMMIT_SIZE_BYTES). */
export const MAX_TIMELOCKED_COMMIT_BYTES = 5000;

/** The commit argument of the timelocked calls, over its bound: the runtime cannot decode it. */
export function oversizedCommit(call: Call): number | null {
  const name = `${call.section}.${call.method}`;
  if (name !== `${S}.commitTimelockedWeights` && name !== `${S}.commitTimelockedMechanismWeights`)
    return null;
  const commit = call.args[name.endsWith("MechanismWeights") ? 2 : 1];
  const length = commit?.toU8a(true).length ?? 0;
  return length > MAX_TIMELOCKED_COMMIT_BYTES ? length : null;
}

/** Entries of TimelockedWeightCommits(netuid_index, epoch): (who, commit_block, commit, reveal_round). */
export type TimelockedCommit = [string, number, string, number];

/**
 * internal_commit_timelocked_weights, with the CheckWeights dispatch extension's round check first:
 * the commit is filed under the subnet's SubnetEpochIndex and revealed by the chain itself (see
 * block-step.ts) once that epoch is RevealPeriodEpochs behind and the round's pulse is stored.
 */
function commitTimelocked(
  ctx: DispatchContext,
  netuid: number,
  mecid: number,
  commit: Uint8Array,
  revealRound: number,
  version: number,
): void {
  if (revealRound < Number(ctx.storage.get("drand", "lastStoredRound")?.toString() ?? "0"))
    fail("InvalidRevealRound");
  if (!crEnabled(ctx, netuid)) fail("CommitRevealDisabled");
  if (version !== num(ctx.storage.get(S, "commitRevealWeightsVersion"))) {
    fail("IncorrectCommitRevealVersion");
  }
  if (mecid >= num(ctx.storage.get(S, "mechanismCountCurrent", [netuid])))
    fail("MechanismDoesNotExist");
  const uid = uidOf(ctx, netuid) ?? fail("HotKeyNotRegisteredInSubNet");
  if (!rateLimitOk(ctx, netuid, uid)) fail("CommittingWeightsTooFast");
  const index = mechanismIndex(netuid, mecid);
  const epoch = num(ctx.storage.get(S, "subnetEpochIndex", [netuid]));
  const pending = (ctx.storage.get(S, "timelockedWeightCommits", [index, epoch])?.toJSON() ??
    []) as TimelockedCommit[];
  if (pending.filter(([account]) => account === ctx.who).length >= MAX_UNREVEALED_COMMITS)
    fail("TooManyUnrevealedCommits");
  pending.push([ctx.who, ctx.block, u8aToHex(commit), revealRound]);
  ctx.storage.put(S, "timelockedWeightCommits", [index, epoch], pending);
  ctx.emit(S, "TimelockedWeightsCommitted", [ctx.who, index, blake2AsHex(commit), revealRound]);
  setLastUpdate(ctx, netuid, uid);
}

function commitTimelockedWeights(ctx: DispatchContext, args: Codec[]): void {
  const [netuid, commit, round, version] = args;
  commitTimelocked(
    ctx,
    num(netuid ?? null),
    0,
    commit?.toU8a(true) ?? new Uint8Array(),
    num(round ?? null),
    num(version ?? null),
  );
}

function commitTimelockedMechanismWeights(ctx: DispatchContext, args: Codec[]): void {
  const [netuid, mecid, commit, round, version] = args;
  commitTimelocked(
    ctx,
    num(netuid ?? null),
    num(mecid ?? null),
    commit?.toU8a(true) ?? new Uint8Array(),
    num(round ?? null),
    num(version ?? null),
  );
}

/** Bytes a Data field counts toward the per-epoch commitment space (Data::len_for_rate_limit). */
function dataLength(field: Codec): number {
  const json = field.toJSON() as Record<string, unknown> | string | null;
  if (typeof json !== "object" || json === null) return 0;
  const [variant, value] = Object.entries(json)[0] ?? [];
  if (!variant || variant === "resetBondsFlag") return 0;
  if (/^sha|^keccak|^blake/i.test(variant)) return 32;
  const bytes =
    typeof value === "object" && value !== null
      ? (value as { encrypted?: unknown }).encrypted // TimelockEncrypted { encrypted, reveal_round }
      : value;
  return typeof bytes === "string" && bytes.startsWith("0x") ? (bytes.length - 2) / 2 : 0;
}

function setCommitment(ctx: DispatchContext, args: Codec[]): void {
  const netuid = num(args[0] ?? null);
  const info = args[1] as Codec & { fields: Codec[] & { length: number } };
  const failC = (error: string): never => {
    throw new ModuleError("Commitments", error);
  };
  if (uidOf(ctx, netuid) === null) failC("AccountNotAllowedCommit");
  const consts = ctx.storage.runtime.decorated.consts.commitments as Record<string, Codec>;
  const fields = info.fields.length;
  if (fields > num(consts.maxFields ?? null)) failC("TooManyFieldsInCommitmentInfo");
  const required = [...info.fields].reduce((sum, f) => sum + dataLength(f), 0);
  const epoch = epochIndex(netuid, num(ctx.storage.get(S, "tempo", [netuid])), ctx.block);
  const usage = ctx.storage.get("commitments", "usedSpaceOf", [netuid, ctx.who])?.toJSON() as {
    lastEpoch: number;
    usedSpace: number;
  } | null;
  const used = usage && usage.lastEpoch === epoch ? usage.usedSpace : 0;
  if (used + required > num(ctx.storage.get("commitments", "maxSpace"))) {
    failC("SpaceLimitExceeded");
  }
  ctx.storage.put("commitments", "usedSpaceOf", [netuid, ctx.who], {
    lastEpoch: epoch,
    usedSpace: used + required,
  });
  const deposit =
    BigInt(consts.initialDeposit?.toString() ?? "0") +
    BigInt(fields) * BigInt(consts.fieldDeposit?.toString() ?? "0");
  ctx.storage.put("commitments", "commitmentOf", [netuid, ctx.who], {
    deposit,
    block: ctx.block,
    info,
  });
  ctx.storage.put("commitments", "lastCommitment", [netuid, ctx.who], ctx.block);
  ctx.emit("commitments", "Commitment", [netuid, ctx.who]);
}

const HANDLERS: Record<string, (ctx: DispatchContext, args: Codec[]) => void> = {
  "commitments.setCommitment": setCommitment,
  "subtensorModule.setWeights": setWeights,
  "subtensorModule.commitWeights": commitWeights,
  "subtensorModule.revealWeights": revealWeights,
  "subtensorModule.commitTimelockedWeights": commitTimelockedWeights,
  "subtensorModule.commitTimelockedMechanismWeights": commitTimelockedMechanismWeights,
};

/** The calls this double executes (section.method as the api names them); others are refused at submission. */
export const SUPPORTED_CALLS = Object.keys(HANDLERS);

/** Execute a supported call; throws ModuleError when the pallet would return an error. */
export function dispatch(ctx: DispatchContext, call: Call): void {
  const handler = HANDLERS[`${call.section}.${call.method}`];
  if (!handler) throw new Error(`no handler for ${call.section}.${call.method}`);
  handler(ctx, [...call.args]);
}
