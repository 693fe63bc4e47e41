// The local chain's core, without I/O: blocks with real header hashes, a transaction pool, block
// production that applies extrinsics and writes System.Events, and state kept per recent block so
// queries `at` a block hash answer as of that block.
import type { Header } from "@polkadot/types/interfaces";
import { compactToU8a, hexToU8a, u8aConcat, u8aToHex, u8aToU8a } from "@polkadot/util";
import { blake2AsHex } from "@polkadot/util-crypto";
import { z } from "zod";
import { blockStep } from "./block-step.js";
import { dispatch, ModuleError, oversizedCommit } from "./dispatch.js";
import { checkPulse } from "./drand.js";
import {
  type DecodedExtrinsic,
  decodeExtrinsic,
  PoolError,
  type SigningContext,
  verifyExtrinsic,
} from "./extrinsic.js";
import { type Genesis, writeGenesis } from "./genesis.js";
import { palletIndex, type Runtime } from "./runtime.js";
import { type StateMap, Storage } from "./storage.js";

/** How many recent blocks keep their full state for queries `at` them (Substrate prunes at 256). */
const KEPT_STATES = 256;
const FINALIZED_DELAY_MS = 50;
const ZERO_HASH = `0x${"00".repeat(32)}`;

export interface BlockRecord {
  number: number;
  hash: string;
  header: Header;
  extrinsics: string[];
}

/** What a restart needs: every block (header and body) and the latest storage. JSON-safe. */
export const LocalChainStateSchema = z.strictObject({
  version: z.literal(1),
  blocks: z.array(z.strictObject({ header: z.string(), extrinsics: z.array(z.string()) })).min(1),
  storage: z.array(z.tuple([z.string(), z.string()])),
});
export type LocalChainState = z.infer<typeof LocalChainStateSchema>;

/** A watched transaction's status, in the shape author_extrinsicUpdate sends. */
export type TxStatus =
  | "ready"
  | "future"
  | "invalid"
  | "dropped"
  | { inBlock: string }
  | { finalized: string };

interface PoolEntry {
  tx: DecodedExtrinsic;
  watch?: (status: TxStatus) => void;
}

export type BlockListener = (block: BlockRecord) => void;

/** A root over the sorted state: not Substrate's trie root, but it changes exactly when state does. */
function stateRoot(map: StateMap): string {
  const parts: Uint8Array[] = [];
  for (const key of [...map.keys()].sort()) {
    const k = u8aToU8a(key);
    const v = u8aToU8a(map.get(key));
    parts.push(compactToU8a(k.length), k, compactToU8a(v.length), v);
  }
  return blake2AsHex(u8aConcat(...parts));
}

export class ChainNode {
  readonly blocks: BlockRecord[] = [];
  private readonly byHash = new Map<string, number>();
  private readonly states = new Map<number, StateMap>();
  private pool: PoolEntry[] = [];
  private readonly listeners = new Set<BlockListener>();
  private fedPulses: { round: number; signature: Uint8Array }[] = [];
  /** The timestamp (ms) of block `number` as it is built: Timestamp.Now, and the test beacon's clock. */
  clock: (number: number) => number = () => Date.now();

  private constructor(readonly runtime: Runtime) {}

  /** A fresh chain: genesis storage and block 0. */
  static fromGenesis(runtime: Runtime, genesis: Genesis): ChainNode {
    const node = new ChainNode(runtime);
    const map: StateMap = new Map();
    writeGenesis(new Storage(runtime, map), genesis);
    node.append(node.header(ZERO_HASH, 0, map, []), [], map);
    return node;
  }

  /** A chain resumed from a snapshot: the same blocks and latest storage. */
  static fromState(runtime: Runtime, state: LocalChainState): ChainNode {
    const result = LocalChainStateSchema.safeParse(state);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `not a local chain state: ${issue?.path.join(".") || "state"}: ${issue?.message}`,
      );
    }
    const parsed = result.data;
    const node = new ChainNode(runtime);
    const map: StateMap = new Map(parsed.storage);
    for (const [i, b] of parsed.blocks.entries()) {
      const header = runtime.registry.createType("Header", hexToU8a(b.header)) as Header;
      if (header.number.toNumber() !== i)
        throw new Error(`snapshot block ${i} has number ${header.number}`);
      node.append(header, b.extrinsics, i === parsed.blocks.length - 1 ? map : undefined);
    }
    return node;
  }

  snapshot(): LocalChainState {
    return {
      version: 1,
      blocks: this.blocks.map((b) => ({ header: b.header.toHex(), extrinsics: b.extrinsics })),
      storage: [...this.bestState()].sort(([a], [b]) => (a < b ? -1 : 1)),
    };
  }

  get genesisHash(): string {
    return (this.blocks[0] as BlockRecord).hash;
  }

  get best(): BlockRecord {
    return this.blocks[this.blocks.length - 1] as BlockRecord;
  }

  blockByHash(hash: string): BlockRecord | undefined {
    const n = this.byHash.get(hash.toLowerCase());
    return n === undefined ? undefined : this.blocks[n];
  }

  bestState(): StateMap {
    return this.states.get(this.best.number) as StateMap;
  }

  /** The state as of block `hash` (best when absent); an Error when unknown or pruned. */
  stateAt(hash?: string | null): StateMap {
    if (!hash) return this.bestState();
    const block = this.blockByHash(hash);
    if (!block) throw new Error(`Unknown block ${hash}`);
    const state = this.states.get(block.number);
    if (!state) throw new Error(`State already discarded for ${hash}`);
    return state;
  }

  onBlock(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The account's nonce in the best state. */
  accountNonce(address: string): number {
    const info = new Storage(this.runtime, this.bestState()).get("system", "account", [address]);
    return Number((info?.toJSON() as { nonce: number } | undefined)?.nonce ?? 0);
  }

  /** The next nonce counting the account's ready transactions in the pool (system_accountNextIndex). */
  nextIndex(address: string): number {
    let next = this.accountNonce(address);
    const nonces = new Set(
      this.pool.filter((e) => e.tx.signerAddress === address).map((e) => e.tx.nonce),
    );
    while (nonces.has(next)) next++;
    return next;
  }

  pending(): string[] {
    return this.pool.map((e) => e.tx.hex);
  }

  /**
   * Feeds a drand pulse, stored at the start of the next block (as the pallet's write_pulse would
   * be): checked now against the best state (after LastStoredRound and pulses already fed, and
   * signed with Drand.BeaconConfig's key); throws TimelockError with the reason otherwise.
   */
  addPulse(round: number, signature: Uint8Array): void {
    const storage = new Storage(this.runtime, new Map(this.bestState()));
    const last = this.fedPulses[this.fedPulses.length - 1];
    if (last) storage.put("drand", "lastStoredRound", [], last.round);
    checkPulse(storage, round, signature);
    this.fedPulses.push({ round, signature: Uint8Array.from(signature) });
  }

  private signingContext(): SigningContext {
    return {
      genesisHash: this.genesisHash,
      blockHash: (n) => this.blocks[n]?.hash,
    };
  }

  /** Validate against the best block and queue; throws PoolError as the node's pool would. */
  submit(hex: string, watch?: (status: TxStatus) => void): { hash: string; status: TxStatus } {
    const tx = decodeExtrinsic(this.runtime, hex);
    // The runtime's commit argument is a BoundedVec: past its bound the call does not decode.
    const oversized = oversizedCommit(tx.call);
    if (oversized !== null)
      throw new PoolError(
        1002,
        "Verification Error",
        `Runtime error: Could not decode the call: a commit of ${oversized} bytes is over MAX_CRV3_COMMIT_SIZE_BYTES = 5000`,
      );
    verifyExtrinsic(this.runtime, tx, this.best.number, this.signingContext());
    const nonce = this.accountNonce(tx.signerAddress);
    if (tx.nonce < nonce)
      throw new PoolError(1010, "Invalid Transaction", "Transaction is outdated");
    if (this.pool.some((e) => e.tx.hash === tx.hash))
      throw new PoolError(1013, "Transaction Already Imported");
    if (this.pool.some((e) => e.tx.signerAddress === tx.signerAddress && e.tx.nonce === tx.nonce))
      throw new PoolError(
        1014,
        "Priority is too low: (0 vs 0)",
        "The transaction has too low priority to replace another transaction already in the pool.",
      );
    const ready = tx.nonce === this.nextIndex(tx.signerAddress);
    this.pool.push({ tx, watch });
    return { hash: tx.hash, status: ready ? "ready" : "future" };
  }

  /** Build, store and announce the next block. */
  produceBlock(): BlockRecord {
    const parent = this.best;
    const number = parent.number + 1;
    let map: StateMap = new Map(this.bestState());
    const init = new Storage(this.runtime, map);
    init.put("system", "number", [], number);
    init.put("system", "parentHash", [], parent.hash);
    init.put("system", "blockHash", [parent.number], parent.hash);
    const nowMs = this.clock(number);
    init.put("timestamp", "now", [], nowMs);
    const events: Uint8Array[] = [];
    const fedPulses = this.fedPulses;
    this.fedPulses = [];
    blockStep({
      storage: init,
      block: number,
      nowMs,
      fedPulses,
      emit: (section, name, args) => events.push(this.eventRecord(null, section, name, args)),
    });
    const included: PoolEntry[] = [];
    const ctx = this.signingContext();
    for (let progress = true; progress; ) {
      progress = false;
      for (const entry of [...this.pool]) {
        const { tx } = entry;
        const storage = new Storage(this.runtime, map);
        const account = storage.get("system", "account", [tx.signerAddress])?.toJSON() as {
          nonce: number;
        };
        if (tx.nonce > account.nonce) continue;
        this.pool = this.pool.filter((e) => e !== entry);
        progress = true;
        if (tx.nonce < account.nonce) {
          entry.watch?.("dropped");
          continue;
        }
        try {
          verifyExtrinsic(this.runtime, tx, number, ctx);
        } catch {
          entry.watch?.("invalid");
          continue;
        }
        const index = included.length;
        included.push(entry);
        storage.put("system", "account", [tx.signerAddress], {
          ...account,
          nonce: account.nonce + 1,
        });
        const trial: StateMap = new Map(map);
        const txEvents: Uint8Array[] = [];
        const emit = (section: string, name: string, args: unknown[]) =>
          txEvents.push(this.eventRecord(index, section, name, args));
        try {
          dispatch(
            {
              storage: new Storage(this.runtime, trial),
              block: number,
              who: tx.signerAddress,
              emit,
            },
            tx.call,
          );
          map = trial;
          events.push(
            ...txEvents,
            this.eventRecord(index, "system", "ExtrinsicSuccess", [DISPATCH_INFO]),
          );
        } catch (err) {
          if (!(err instanceof ModuleError)) throw err;
          events.push(
            this.eventRecord(index, "system", "ExtrinsicFailed", [
              { Module: this.moduleError(err) },
              DISPATCH_INFO,
            ]),
          );
        }
      }
    }
    const final = new Storage(this.runtime, map);
    final.putRaw(
      "system",
      "events",
      [],
      u8aToHex(u8aConcat(compactToU8a(events.length), ...events)),
    );
    final.put("system", "eventCount", [], events.length);
    const extrinsics = included.map((e) => e.tx.hex);
    const block = this.append(this.header(parent.hash, number, map, extrinsics), extrinsics, map);
    for (const entry of included) entry.watch?.({ inBlock: block.hash });
    // Finality is instant, but announced a moment after inclusion: the api's result stream switches
    // to the newest status, so an immediate `finalized` would hide `inBlock` from the watcher.
    setTimeout(() => {
      for (const entry of included) entry.watch?.({ finalized: block.hash });
    }, FINALIZED_DELAY_MS);
    for (const listener of this.listeners) listener(block);
    return block;
  }

  private header(parentHash: string, number: number, map: StateMap, extrinsics: string[]): Header {
    return this.runtime.registry.createType("Header", {
      parentHash,
      number,
      stateRoot: stateRoot(map),
      extrinsicsRoot: blake2AsHex(u8aConcat(...extrinsics.map((x) => u8aToU8a(x)))),
      digest: { logs: [] },
    });
  }

  private append(header: Header, extrinsics: string[], state?: StateMap): BlockRecord {
    const block: BlockRecord = {
      number: header.number.toNumber(),
      hash: blake2AsHex(header.toU8a()),
      header,
      extrinsics,
    };
    this.blocks.push(block);
    this.byHash.set(block.hash, block.number);
    if (state) this.states.set(block.number, state);
    this.states.delete(block.number - KEPT_STATES);
    return block;
  }

  private moduleError(err: ModuleError): { index: number; error: Uint8Array } {
    const section = err.pallet === "Commitments" ? "commitments" : "subtensorModule";
    const errors = (
      this.runtime.decorated.errors as unknown as Record<
        string,
        Record<string, { meta: { index: { toNumber(): number } } }>
      >
    )[section];
    const meta = errors?.[err.error]?.meta;
    if (!meta) throw new Error(`error ${err.pallet}.${err.error} is not in the metadata`);
    return {
      index: palletIndex(this.runtime, err.pallet),
      error: new Uint8Array([meta.index.toNumber(), 0, 0, 0]),
    };
  }

  /** SCALE EventRecord { phase: ApplyExtrinsic(index) or Initialization (null), event, topics: [] }. */
  private eventRecord(
    index: number | null,
    section: string,
    name: string,
    args: unknown[],
  ): Uint8Array {
    const events = this.runtime.decorated.events as unknown as Record<
      string,
      Record<
        string,
        { meta: { index: { toNumber(): number }; fields: { type: { toNumber(): number } }[] } }
      >
    >;
    const event = events[section]?.[name];
    if (!event) throw new Error(`event ${section}.${name} is not in the metadata`);
    const pallet = this.runtime.metadata.asLatest.pallets.find(
      (p) => p.name.toString().toLowerCase() === section.toLowerCase(),
    );
    if (!pallet) throw new Error(`pallet ${section} is not in the metadata`);
    const r = this.runtime.registry;
    return u8aConcat(
      index === null ? new Uint8Array([2]) : new Uint8Array([0]),
      index === null ? new Uint8Array() : r.createType("u32", index).toU8a(),
      new Uint8Array([pallet.index.toNumber(), event.meta.index.toNumber()]),
      ...event.meta.fields.map((f, i) =>
        r.createType(r.createLookupType(f.type.toNumber()), args[i]).toU8a(),
      ),
      new Uint8Array([0]),
    );
  }
}

/** The dispatch info every executed call reports: subtensor's weight calls and commitments pay no fee. */
const DISPATCH_INFO = {
  weight: { refTime: 100_000_000, proofSize: 0 },
  class: "Normal",
  paysFee: "No",
};
