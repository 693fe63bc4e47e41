// The production subtensor client on @polkadot/api: one WebSocket per client, reconnected with
// exponential backoff; every call bounded by a timeout whose error names the call; extrinsics
// signed with runtime 424's transaction extensions, their dispatch errors decoded to
// `Pallet.Error: docs`. RPC methods used: chain_getHeader, chain_getBlockHash, state_getStorage,
// state_queryStorageAt, state_getKeysPaged, author_submitAndWatchExtrinsic, system_accountNextIndex
// and, for fee estimates only, state_call TransactionPaymentApi_query_info.
import { ApiPromise, WsProvider } from "@polkadot/api";
import type {
  QueryableStorageEntry,
  SubmittableExtrinsic,
  SubmittableExtrinsicFunction,
} from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { DispatchError } from "@polkadot/types/interfaces";
import type { Codec, ISubmittableResult } from "@polkadot/types/types";
import { u8aToHex } from "@polkadot/util";
import { encodeAddress } from "@polkadot/util-crypto";
import { z } from "zod";
import {
  type CommitmentParse,
  encodeCommitmentField,
  type ImageRef,
  parseCommitmentInfo,
} from "./commitment.js";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "./extensions.js";
import { resolveNetwork } from "./networks.js";
import { SS58_PREFIX } from "./wallet.js";

export class ChainError extends Error {}

/** An extrinsic that was included but failed: the pallet error, by name, with its docs. */
export class ExtrinsicFailedError extends ChainError {
  constructor(
    readonly call: string,
    readonly pallet: string,
    readonly error: string,
    readonly docs: string,
  ) {
    super(`${call} failed on chain: ${pallet}.${error}${docs ? `: ${docs}` : ""}`);
  }
}

export interface ChainOptions {
  /** Deadline of each query (default 30 s). */
  callTimeoutMs?: number;
  /** Deadline from submitting an extrinsic to its inclusion in a block (default 120 s). */
  txTimeoutMs?: number;
  /** First reconnect delay; doubles up to `maxBackoffMs` (defaults 250 ms, 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Where connection events are reported (default: nowhere). */
  log?: (line: string) => void;
  /** How long close() waits for calls in flight before it drops the socket (default 5 s). */
  closeGraceMs?: number;
}

/** Delay before reconnect attempt `attempt` (0-based): doubling from `base`, capped at `max`. */
export function backoffDelay(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30));
}

export interface Head {
  number: number;
  hash: string;
}

export interface Neuron {
  uid: number;
  hotkey: string;
  coldkey: string;
  validatorPermit: boolean;
  /** The hotkey's alpha stake on the subnet (TotalHotkeyAlpha), in rao, as a decimal string. */
  stake: string;
  /** Block of the neuron's last weights (or commit); 0 = never. */
  lastUpdate: number;
}

export interface Metagraph {
  netuid: number;
  block: number;
  neurons: Neuron[];
}

export interface CommitmentEntry {
  hotkey: string;
  /** Block of the commitment (the chain keeps only a hotkey's latest). */
  block: number;
  /** The field bytes as committed, hex, when the first field is Raw/BigRaw. */
  raw?: string;
  parsed: CommitmentParse;
}

export interface WeightsParams {
  tempo: number;
  weightsVersionKey: bigint;
  weightsSetRateLimit: number;
  commitRevealEnabled: boolean;
  commitRevealVersion: number;
  revealPeriodEpochs: number;
}

/** The drand side of commit-reveal v4: Drand.BeaconConfig and Drand.LastStoredRound. */
export interface DrandState {
  lastStoredRound: number;
  beacon: {
    /** The beacon's public key (G2, compressed), 0x-hex. */
    publicKey: string;
    genesisTime: number;
    period: number;
  };
}

/** One entry of TimelockedWeightCommits(netuid_index, epoch). */
export interface TimelockedCommitEntry {
  who: string;
  commitBlock: number;
  /** The commit bytes, 0x-hex. */
  commit: string;
  revealRound: number;
}

/** A timelocked-weights event of a block (phase aside). */
export interface TimelockedWeightsEvent {
  name: "TimelockedWeightsCommitted" | "TimelockedWeightsRevealed";
  netuidIndex: number;
  who: string;
}

export interface TxResult {
  call: string;
  blockHash: string;
  blockNumber: number;
  txHash: string;
}

export interface CallPreview {
  /** `pallet.call(args)` as the chain names them. */
  call: string;
  args: unknown;
  /** SCALE call data, hex. */
  callData: string;
  /** The fee estimate in rao, or why there is none. */
  fee: { rao: string } | { error: string };
}

const registration = z.object({ block: z.number().int().nonnegative(), info: z.unknown() });
/** An unsigned integer as a codec prints it (toString), up to 2^53. */
const uintText = z
  .string()
  .regex(/^\d+$/, "not an unsigned integer")
  .transform(Number)
  .refine(Number.isSafeInteger, "past 2^53");
const hexBytes = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "not 0x-hex bytes");
const BeaconConfigJson = z.object({
  publicKey: z.string().regex(/^0x[0-9a-fA-F]{192}$/, "not a 96-byte G2 key"),
  genesisTime: z.number().int().nonnegative(),
  period: z.number().int().positive(),
});
const TimelockedCommitsJson = z.array(
  z.tuple([
    z.string().min(1),
    z.number().int().nonnegative(),
    hexBytes,
    z.union([z.number().int().nonnegative(), hexBytes]),
  ]),
);
const TimelockedEventJson = z.tuple([
  z.union([z.string(), z.number()]),
  z.union([z.string(), z.number()]),
]);
/** Finney's blocks, where the chain's timestamps give no better estimate. */
export const DEFAULT_BLOCK_TIME_SECONDS = 12;

function chainNumber(codec: Codec, what: string): number {
  const parsed = uintText.safeParse(codec.toString());
  if (!parsed.success)
    throw new ChainError(`${what} is not a block-sized number: ${codec.toString().slice(0, 40)}`);
  return parsed.data;
}
const rawHex = (info: unknown): string | undefined => {
  const first = (info as { fields?: Record<string, unknown>[] })?.fields?.[0];
  const [variant, value] = Object.entries(first ?? {})[0] ?? [];
  return variant && /^(raw\d+|bigRaw)$/.test(variant) && typeof value === "string"
    ? value
    : undefined;
};

function commitmentEntry(hotkey: string, registrationJson: unknown): CommitmentEntry {
  const reg = registration.safeParse(registrationJson);
  if (!reg.success)
    return {
      hotkey,
      block: 0,
      parsed: {
        ok: false,
        kind: "malformed",
        reason: "not a Registration { deposit, block, info }",
      },
    };
  const raw = rawHex(reg.data.info);
  return {
    hotkey,
    block: reg.data.block,
    ...(raw === undefined ? {} : { raw }),
    parsed: parseCommitmentInfo(reg.data.info),
  };
}

export class Subtensor {
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Calls sent and not yet answered: close() lets them finish, since @polkadot/api prints an
   *  error line for every call that a disconnect cuts off. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly callTimeoutMs: number;
  private readonly txTimeoutMs: number;

  private constructor(
    readonly url: string,
    readonly api: ApiPromise,
    private readonly provider: WsProvider,
    private readonly opts: ChainOptions,
  ) {
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.txTimeoutMs = opts.txTimeoutMs ?? 120_000;
    provider.on("disconnected", () => this.scheduleReconnect());
    provider.on("connected", () => {
      if (this.attempt > 0) opts.log?.(`reconnected to ${url}`);
      this.attempt = 0;
    });
  }

  /** Connects to `finney`, `test`, `local` or a ws(s):// URL and loads the runtime's metadata. */
  static async connect(network: string, opts: ChainOptions = {}): Promise<Subtensor> {
    const url = resolveNetwork(network);
    const timeout = opts.callTimeoutMs ?? 30_000;
    // autoConnectMs 0: reconnects are ours, with backoff, rather than the provider's fixed delay.
    const provider = new WsProvider(url, 0, {}, timeout);
    const api = new ApiPromise({
      provider,
      signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
      noInitWarn: true,
      throwOnConnect: true,
    });
    const ready = withTimeout(
      (async () => {
        await provider.connect();
        await api.isReadyOrError;
      })(),
      timeout,
      `connect to ${url}`,
    );
    try {
      await ready;
    } catch (err) {
      await api.disconnect().catch(() => {});
      throw new ChainError(`cannot connect to ${url}: ${errorText(err)}`);
    }
    return new Subtensor(url, api, provider, opts);
  }

  /**
   * Lets the calls in flight finish, and the calls they lead to (a read after a read, a block
   * after a submit), for up to `closeGraceMs`; then drops the socket. Later calls fail at once.
   */
  async close(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    const deadline = Date.now() + (this.opts.closeGraceMs ?? 5_000);
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => {
        timer = setTimeout(r, deadline - Date.now());
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
      // A caller's next call is sent once its await resumes: before the next turn of the loop.
      await new Promise((r) => setImmediate(r));
    }
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.api.disconnect().catch(() => {});
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = backoffDelay(
      this.attempt++,
      this.opts.backoffMs ?? 250,
      this.opts.maxBackoffMs ?? 10_000,
    );
    this.opts.log?.(`disconnected from ${this.url}; reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.provider.isConnected) return;
      this.provider.connect().catch(() => this.scheduleReconnect());
    }, delay);
  }

  /** Runs one chain call once connected, bounded by the call timeout; errors name the call. */
  private async call<T>(
    name: string,
    fn: () => Promise<T>,
    timeoutMs = this.callTimeoutMs,
  ): Promise<T> {
    const run = async () => {
      if (this.closed) throw new ChainError(`${name}: the client to ${this.url} is closed`);
      // While reconnecting, wait for the socket (the timeout below still bounds the call).
      if (!this.api.isConnected)
        await new Promise<void>((resolve) => this.api.once("connected", () => resolve()));
      const sent = fn();
      this.inFlight.add(sent);
      sent.then(
        () => this.inFlight.delete(sent),
        () => this.inFlight.delete(sent),
      );
      return sent;
    };
    try {
      return await withTimeout(run(), timeoutMs, name);
    } catch (err) {
      if (err instanceof ChainError) throw err;
      throw new ChainError(`${name} on ${this.url}: ${errorText(err)}`);
    }
  }

  private entry(pallet: string, item: string): QueryableStorageEntry<"promise"> {
    const entry = this.api.query[pallet]?.[item];
    if (!entry) throw new ChainError(`the runtime at ${this.url} has no storage ${pallet}.${item}`);
    return entry;
  }

  /** Reads one storage value; the call is named as the pallet names it (`SubtensorModule.Tempo(14)`). */
  private read(pallet: string, item: string, ...args: unknown[]): Promise<Codec> {
    const name = `${pascal(pallet)}.${pascal(item)}(${args.join(", ")})`;
    return this.call(name, () => this.entry(pallet, item)(...args));
  }

  private async readMulti(
    pallet: string,
    item: string,
    keys: unknown[],
    shown: string,
  ): Promise<Codec[]> {
    return this.call(`${pascal(pallet)}.${pascal(item)}(${shown})`, () =>
      this.entry(pallet, item).multi(keys),
    );
  }

  async head(): Promise<Head> {
    const header = await this.call("chain_getHeader", () => this.api.rpc.chain.getHeader());
    return { number: header.number.toNumber(), hash: header.hash.toHex() };
  }

  async blockHash(number: number): Promise<string> {
    const hash = await this.call(`chain_getBlockHash(${number})`, () =>
      this.api.rpc.chain.getBlockHash(number),
    );
    return hash.toHex();
  }

  private async requireSubnet(netuid: number): Promise<void> {
    const added = await this.read("subtensorModule", "networksAdded", netuid);
    if (added.toJSON() !== true)
      throw new ChainError(`subnet ${netuid} does not exist on ${this.url}`);
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    await this.requireSubnet(netuid);
    const sm = "subtensorModule";
    const { number } = await this.head();
    const n = Number((await this.read(sm, "subnetworkN", netuid)).toString());
    const uids = Array.from({ length: n }, (_, uid) => uid);
    const [keys, permits, lastUpdates] = await Promise.all([
      this.readMulti(
        sm,
        "keys",
        uids.map((uid) => [netuid, uid]),
        `${netuid}, 0..${n - 1}`,
      ),
      this.read(sm, "validatorPermit", netuid),
      this.read(sm, "lastUpdate", netuid),
    ]);
    const hotkeys = keys.map((k) => encodeAddress(k.toU8a(), SS58_PREFIX));
    const [owners, stakes] = await Promise.all([
      this.readMulti(sm, "owner", hotkeys, "each hotkey"),
      this.readMulti(
        sm,
        "totalHotkeyAlpha",
        hotkeys.map((h) => [h, netuid]),
        `each hotkey, ${netuid}`,
      ),
    ]);
    const permitList = (permits.toJSON() as boolean[] | null) ?? [];
    const updateList = ((lastUpdates.toJSON() as number[] | null) ?? []).map(Number);
    return {
      netuid,
      block: number,
      neurons: uids.map((uid) => ({
        uid,
        hotkey: hotkeys[uid] as string,
        coldkey: encodeAddress((owners[uid] as Codec).toU8a(), SS58_PREFIX),
        validatorPermit: permitList[uid] === true,
        stake: (stakes[uid] as Codec).toString(),
        lastUpdate: updateList[uid] ?? 0,
      })),
    };
  }

  /** Every `Commitments.CommitmentOf` entry of the subnet, each parsed (bad ones with a reason). */
  async commitments(netuid: number): Promise<CommitmentEntry[]> {
    const entries = await this.call(`Commitments.CommitmentOf(${netuid}, *)`, () =>
      this.entry("commitments", "commitmentOf").entries(netuid),
    );
    const out = entries.map(([key, value]) =>
      commitmentEntry(encodeAddress((key.args[1] as Codec).toU8a(), SS58_PREFIX), value.toJSON()),
    );
    return out.sort((a, b) => a.block - b.block || a.hotkey.localeCompare(b.hotkey));
  }

  /** The hotkey's current commitment on the subnet (the chain keeps only the latest). */
  async commitment(netuid: number, hotkey: string): Promise<CommitmentEntry | undefined> {
    const value = await this.read("commitments", "commitmentOf", netuid, hotkey);
    const json = value.toJSON();
    return json === null ? undefined : commitmentEntry(hotkey, json);
  }

  /** The variants of this runtime's commitment `Data` enum (BigRaw exists from runtime 424 on). */
  dataVariants(): ReadonlySet<string> {
    const data = this.api.registry.createType("PalletCommitmentsData") as unknown as {
      defKeys: string[];
    };
    return new Set(data.defKeys);
  }

  /** `Commitments.set_commitment(netuid, { fields: [Raw{N} | BigRaw] })` for the reference. */
  setCommitmentTx(netuid: number, ref: ImageRef): SubmittableExtrinsic<"promise"> {
    const field = encodeCommitmentField(ref, this.dataVariants());
    return this.txFn("commitments", "setCommitment")(netuid, {
      fields: [{ [field.variant]: u8aToHex(field.bytes) }],
    });
  }

  async setCommitment(pair: KeyringPair, netuid: number, ref: ImageRef): Promise<TxResult> {
    return this.submit(pair, this.setCommitmentTx(netuid, ref));
  }

  /** What `tx` is, its call data and the fee the chain estimates for `pair` to send it. */
  async preview(pair: KeyringPair, tx: SubmittableExtrinsic<"promise">): Promise<CallPreview> {
    let fee: CallPreview["fee"];
    try {
      const info = await this.call(`fee estimate of ${callName(tx)}`, () => tx.paymentInfo(pair));
      fee = { rao: info.partialFee.toString() };
    } catch (err) {
      fee = { error: errorText(err) };
    }
    return {
      call: callName(tx),
      args: (tx.method.toHuman() as { args?: unknown }).args,
      callData: tx.method.toHex(),
      fee,
    };
  }

  async weightsParams(netuid: number): Promise<WeightsParams> {
    await this.requireSubnet(netuid);
    const sm = "subtensorModule";
    const [tempo, key, limit, cr, crVersion, period] = await Promise.all([
      this.read(sm, "tempo", netuid),
      this.read(sm, "weightsVersionKey", netuid),
      this.read(sm, "weightsSetRateLimit", netuid),
      this.read(sm, "commitRevealWeightsEnabled", netuid),
      this.read(sm, "commitRevealWeightsVersion"),
      this.read(sm, "revealPeriodEpochs", netuid),
    ]);
    return {
      tempo: Number(tempo.toString()),
      weightsVersionKey: BigInt(key.toString()),
      weightsSetRateLimit: Number(limit.toString()),
      commitRevealEnabled: cr.toString() === "true",
      commitRevealVersion: Number(crVersion.toString()),
      revealPeriodEpochs: Number(period.toString()),
    };
  }

  /** Whether this runtime has the call (`hasCall("subtensorModule", "commitTimelockedWeights")`). */
  hasCall(pallet: string, call: string): boolean {
    return this.api.tx[pallet]?.[call] !== undefined;
  }

  private hasStorage(pallet: string, item: string): boolean {
    return this.api.query[pallet]?.[item] !== undefined;
  }

  /** One storage value as of block `at` (a hash; the head when absent). */
  private readAt(
    at: string | undefined,
    pallet: string,
    item: string,
    ...args: unknown[]
  ): Promise<Codec> {
    if (at === undefined) return this.read(pallet, item, ...args);
    const name = `${pascal(pallet)}.${pascal(item)}(${args.join(", ")}) at ${at}`;
    return this.call(name, () => this.entry(pallet, item).at(at, ...args));
  }

  /**
   * The stateful epoch scheduler of runtimes that have it (SubnetEpochIndex, LastEpochBlock,
   * PendingEpochAt), as of block `at`; null for a runtime with only the legacy block arithmetic.
   */
  async epochSchedule(
    netuid: number,
    at?: string,
  ): Promise<{ index: number; lastEpochBlock: number; pendingEpochAt: number } | null> {
    const sm = "subtensorModule";
    if (
      !["subnetEpochIndex", "lastEpochBlock", "pendingEpochAt"].every((i) => this.hasStorage(sm, i))
    )
      return null;
    const [index, last, pending] = await Promise.all([
      this.readAt(at, sm, "subnetEpochIndex", netuid),
      this.readAt(at, sm, "lastEpochBlock", netuid),
      this.readAt(at, sm, "pendingEpochAt", netuid),
    ]);
    return {
      index: chainNumber(index, `SubtensorModule.SubnetEpochIndex(${netuid})`),
      lastEpochBlock: chainNumber(last, `SubtensorModule.LastEpochBlock(${netuid})`),
      pendingEpochAt: chainNumber(pending, `SubtensorModule.PendingEpochAt(${netuid})`),
    };
  }

  /** Drand.BeaconConfig and Drand.LastStoredRound; null where the runtime has no Drand pallet. */
  async drandState(): Promise<DrandState | null> {
    if (!this.hasStorage("drand", "beaconConfig") || !this.hasStorage("drand", "lastStoredRound"))
      return null;
    const [config, last] = await Promise.all([
      this.read("drand", "beaconConfig"),
      this.read("drand", "lastStoredRound"),
    ]);
    const beacon = BeaconConfigJson.safeParse(config.toJSON());
    if (!beacon.success)
      throw new ChainError(
        `Drand.BeaconConfig on ${this.url} is not a beacon: ${beacon.error.issues[0]?.message}`,
      );
    return {
      lastStoredRound: chainNumber(last, "Drand.LastStoredRound"),
      beacon: { ...beacon.data, publicKey: beacon.data.publicKey.toLowerCase() },
    };
  }

  /** Timestamp.Now of block `at` (the head when absent), in ms. */
  async timestampMs(at?: string): Promise<number> {
    return chainNumber(await this.readAt(at, "timestamp", "now"), "Timestamp.Now");
  }

  /**
   * Seconds per block, from the timestamps of the head and up to 64 blocks before it (never the
   * genesis block, which has none); 12 (finney's) where they give nothing (a young chain, pruned
   * state, equal timestamps).
   */
  async blockTimeSeconds(head: Head): Promise<number> {
    const span = Math.min(64, head.number - 1);
    if (span < 1) return DEFAULT_BLOCK_TIME_SECONDS;
    try {
      const then = await this.timestampMs(await this.blockHash(head.number - span));
      const now = await this.timestampMs(head.hash);
      const perBlock = (now - then) / span / 1000;
      return perBlock > 0 ? perBlock : DEFAULT_BLOCK_TIME_SECONDS;
    } catch (err) {
      if (err instanceof ChainError) return DEFAULT_BLOCK_TIME_SECONDS;
      throw err;
    }
  }

  /** TimelockedWeightCommits(netuid_index, epoch) as of block `at`. */
  async timelockedCommits(
    netuidIndex: number,
    epoch: number,
    at?: string,
  ): Promise<TimelockedCommitEntry[]> {
    const value = await this.readAt(
      at,
      "subtensorModule",
      "timelockedWeightCommits",
      netuidIndex,
      epoch,
    );
    const parsed = TimelockedCommitsJson.safeParse(value.toJSON());
    if (!parsed.success)
      throw new ChainError(
        `SubtensorModule.TimelockedWeightCommits(${netuidIndex}, ${epoch}) is not a commit list: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data.map(([who, commitBlock, commit, round]) => ({
      who: encodeAddress(who, SS58_PREFIX),
      commitBlock,
      commit,
      revealRound: typeof round === "number" ? round : Number(BigInt(round)),
    }));
  }

  /** The TimelockedWeightsCommitted / TimelockedWeightsRevealed events of block `hash`. */
  async timelockedWeightsEvents(hash: string): Promise<TimelockedWeightsEvent[]> {
    const records = await this.readAt(hash, "system", "events");
    const out: TimelockedWeightsEvent[] = [];
    for (const record of records as unknown as Iterable<{
      event: { section: string; method: string; data: Codec };
    }>) {
      const { section, method, data } = record.event;
      if (section !== "subtensorModule") continue;
      if (method !== "TimelockedWeightsCommitted" && method !== "TimelockedWeightsRevealed")
        continue;
      const json = data.toJSON() as unknown[];
      // Committed is (who, netuid_index, hash, round); Revealed is (netuid_index, who).
      const pair = TimelockedEventJson.safeParse(
        method === "TimelockedWeightsCommitted" ? [json[1], json[0]] : json,
      );
      if (!pair.success || typeof pair.data[0] !== "number" || typeof pair.data[1] !== "string")
        throw new ChainError(`${method} at ${hash} has unexpected fields`);
      out.push({
        name: method,
        netuidIndex: pair.data[0],
        who: encodeAddress(pair.data[1], SS58_PREFIX),
      });
    }
    return out;
  }

  /** Weights(netuid, uid): the uid's weights on chain as (dest uid, u16) pairs. */
  async weightsOf(netuid: number, uid: number): Promise<[number, number][]> {
    const value = await this.read("subtensorModule", "weights", netuid, uid);
    const parsed = z
      .array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]))
      .safeParse(value.toJSON());
    if (!parsed.success)
      throw new ChainError(
        `SubtensorModule.Weights(${netuid}, ${uid}) is not a list of (uid, u16)`,
      );
    return parsed.data;
  }

  /** The hotkey's uid on the subnet, or undefined when it is not registered there. */
  async uidOf(netuid: number, hotkey: string): Promise<number | undefined> {
    const uid = await this.read("subtensorModule", "uids", netuid, hotkey);
    const json = uid.toJSON();
    return typeof json === "number" ? json : undefined;
  }

  async lastUpdate(netuid: number, uid: number): Promise<number> {
    const updates = await this.read("subtensorModule", "lastUpdate", netuid);
    return Number((updates.toJSON() as number[] | null)?.[uid] ?? 0);
  }

  /** A call of this runtime (`txFn("subtensorModule", "setWeights")`). */
  txFn(pallet: string, call: string): SubmittableExtrinsicFunction<"promise"> {
    const fn = this.api.tx[pallet]?.[call];
    if (!fn)
      throw new ChainError(`the runtime at ${this.url} has no call ${pascal(pallet)}.${call}`);
    return fn;
  }

  /**
   * Signs `tx` with `pair`, sends it and waits for its block; throws ExtrinsicFailedError with the
   * decoded pallet error when it fails there, ChainError when the node refuses it or time runs out.
   */
  async submit(pair: KeyringPair, tx: SubmittableExtrinsic<"promise">): Promise<TxResult> {
    const call = callName(tx);
    const included = await this.call(
      `send ${call}`,
      () =>
        new Promise<{ blockHash: string; txHash: string }>((resolve, reject) => {
          let unsub: (() => void) | undefined;
          const done = (fn: () => void) => {
            unsub?.();
            fn();
          };
          tx.signAndSend(pair, { nonce: -1 }, (result: ISubmittableResult) => {
            const { status } = result;
            if (status.isInBlock || status.isFinalized) {
              const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
              if (result.dispatchError)
                return done(() =>
                  reject(this.dispatchFailure(call, result.dispatchError as DispatchError)),
                );
              return done(() => resolve({ blockHash, txHash: result.txHash.toHex() }));
            }
            if (status.isInvalid || status.isDropped || status.isUsurped)
              done(() => reject(new ChainError(`${call} was not included: ${status.type}`)));
          })
            .then((u) => {
              unsub = u;
            })
            .catch((err: unknown) =>
              reject(new ChainError(`${call} refused by the node: ${errorText(err)}`)),
            );
        }),
      this.txTimeoutMs,
    );
    const header = await this.call(`chain_getHeader(${included.blockHash})`, () =>
      this.api.rpc.chain.getHeader(included.blockHash),
    );
    return { call, ...included, blockNumber: header.number.toNumber() };
  }

  private dispatchFailure(call: string, err: DispatchError): ExtrinsicFailedError {
    if (err.isModule) {
      const meta = this.api.registry.findMetaError(err.asModule);
      return new ExtrinsicFailedError(
        call,
        pascal(meta.section),
        meta.name,
        meta.docs.join(" ").trim(),
      );
    }
    return new ExtrinsicFailedError(call, "System", err.type, err.toString());
  }
}

/** `Pallet.call_name` of an extrinsic. */
export function callName(tx: SubmittableExtrinsic<"promise">): string {
  const { section, method } = tx.method;
  return `${pascal(section)}.${method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

const pascal = (camel: string) => camel.charAt(0).toUpperCase() + camel.slice(1);

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ChainError(`${name} timed out after ${(ms / 1000).toFixed(1)} s`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
