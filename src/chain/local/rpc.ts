// JSON-RPC 2.0 over WebSocket: the subset of a Substrate node's RPC that @polkadot/api uses, with
// its subscription notifications, error codes and JSON shapes; and, as a node does on the same
// port, GET /health over plain HTTP. No request or frame, however malformed, ends the process.
import { createServer } from "node:http";
import { compactAddLength, u8aConcat, u8aToHex, u8aToU8a } from "@polkadot/util";
import { decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { type WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import {
  answerClientErrors,
  lastResort,
  parseTarget,
  type ServerErrorReporter,
  stderrReporter,
} from "../../contract/http-server.js";
import { closeServer, listen, send } from "../../contract/http-toolkit.js";
import { PoolError } from "./extrinsic.js";
import type { BlockRecord, ChainNode, TxStatus } from "./node.js";
import { runtimeVersionJson, SS58_FORMAT } from "./runtime.js";
import { keysPaged } from "./storage.js";

export const CHAIN_NAME = "Local Subtensor (cacheon test double)";
export const NODE_NAME = "cacheon-local-chain";

const RequestSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.number(), z.string()]),
  method: z.string(),
  params: z.array(z.unknown()).default([]),
});

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: string,
  ) {
    super(message);
  }
}

const invalidParams = (why: string) => new RpcError(-32602, "Invalid params", why);

const Hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex");
const OptHash = Hex.nullish();

function param<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidParams(`${name}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function headerJson(block: BlockRecord): Record<string, unknown> {
  const h = block.header;
  return {
    parentHash: h.parentHash.toHex(),
    number: `0x${block.number.toString(16)}`,
    stateRoot: h.stateRoot.toHex(),
    extrinsicsRoot: h.extrinsicsRoot.toHex(),
    digest: { logs: h.digest.logs.map((l) => l.toHex()) },
  };
}

type Notify = (result: unknown) => void;

interface Subscription {
  /** Notification method name (e.g. chain_newHead). */
  method: string;
  stop(): void;
}

/** Per connection: its subscriptions by id. */
class Connection {
  readonly subs = new Map<string, Subscription>();
  constructor(readonly ws: WebSocket) {}

  send(message: unknown): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  notifier(method: string, id: string): Notify {
    return (result) => this.send({ jsonrpc: "2.0", method, params: { subscription: id, result } });
  }

  close(): void {
    for (const sub of this.subs.values()) sub.stop();
    this.subs.clear();
  }
}

type Handler = (params: unknown[], conn: Connection) => unknown;

let nextSubscription = 1;
const newSubscriptionId = () => `cacheon-${nextSubscription++}`;

export function createRpcHandlers(node: ChainNode): Record<string, Handler> {
  const runtime = node.runtime;
  const registry = runtime.registry;

  const blockAt = (hash: unknown): BlockRecord => {
    const h = param(OptHash, hash, "hash");
    if (!h) return node.best;
    const block = node.blockByHash(h);
    if (!block)
      throw new RpcError(4003, "Client error: UnknownBlock", `Header was not found: ${h}`);
    return block;
  };
  const stateAt = (hash: unknown) => {
    try {
      return node.stateAt(param(OptHash, hash, "hash"));
    } catch (err) {
      if (err instanceof RpcError) throw err;
      throw new RpcError(4003, `Client error: ${(err as Error).message}`);
    }
  };

  /** Subscribe to new blocks: `pick` maps a block to the notification (undefined: none). */
  const subscribe =
    (method: string, initial: (() => unknown) | null, pick: (b: BlockRecord) => unknown): Handler =>
    (_params, conn) => {
      const id = newSubscriptionId();
      const notify = conn.notifier(method, id);
      const stop = node.onBlock((b) => {
        const result = pick(b);
        if (result !== undefined) notify(result);
      });
      conn.subs.set(id, { method, stop });
      if (initial) setImmediate(() => conn.subs.has(id) && notify(initial()));
      return id;
    };
  const unsubscribe: Handler = (params, conn) => {
    const id = String(params[0]);
    const sub = conn.subs.get(id);
    if (!sub) return false;
    sub.stop();
    conn.subs.delete(id);
    return true;
  };

  const newHeads = subscribe("chain_newHead", () => headerJson(node.best), headerJson);
  const allHeads = subscribe("chain_allHead", () => headerJson(node.best), headerJson);
  const finalizedHeads = subscribe("chain_finalizedHead", () => headerJson(node.best), headerJson);
  const runtimeVersion = subscribe(
    "state_runtimeVersion",
    () => runtimeVersionJson(runtime),
    () => undefined,
  );
  const getRuntimeVersion: Handler = ([hash]) => {
    blockAt(hash);
    return runtimeVersionJson(runtime);
  };

  const getStorage: Handler = ([key, hash]) =>
    stateAt(hash).get(param(Hex, key, "key").toLowerCase()) ?? null;

  const submit = (hex: unknown, watch?: (s: TxStatus) => void) => {
    try {
      return node.submit(param(Hex, hex, "extrinsic"), watch);
    } catch (err) {
      if (err instanceof PoolError) throw new RpcError(err.code, err.reason, err.data);
      throw err;
    }
  };

  const handlers: Record<string, Handler> = {
    rpc_methods: () => ({ version: 1, methods: Object.keys(handlers).sort() }),
    system_chain: () => CHAIN_NAME,
    system_name: () => NODE_NAME,
    system_version: () => "0.1.0",
    system_chainType: () => "Development",
    system_properties: () => ({ ss58Format: SS58_FORMAT, tokenDecimals: 9, tokenSymbol: "TAO" }),
    system_health: () => ({ peers: 0, isSyncing: false, shouldHavePeers: false }),
    system_peers: () => [],
    system_syncState: () => ({
      startingBlock: 0,
      currentBlock: node.best.number,
      highestBlock: node.best.number,
    }),
    system_accountNextIndex: ([address]) => {
      const who = param(z.string(), address, "account");
      let ss58: string;
      try {
        ss58 = encodeAddress(decodeAddress(who), SS58_FORMAT);
      } catch {
        throw invalidParams(`account: not an address: ${who}`);
      }
      return node.nextIndex(ss58);
    },

    chain_getBlockHash: ([n]) => {
      if (n === undefined || n === null) return node.best.hash;
      const number =
        typeof n === "string" ? Number.parseInt(n, n.startsWith("0x") ? 16 : 10) : Number(n);
      if (!Number.isSafeInteger(number) || number < 0) throw invalidParams("block number");
      return node.blocks[number]?.hash ?? null;
    },
    chain_getHeader: ([hash]) => {
      const h = param(OptHash, hash, "hash");
      const block = h ? node.blockByHash(h) : node.best;
      return block ? headerJson(block) : null;
    },
    chain_getBlock: ([hash]) => {
      const h = param(OptHash, hash, "hash");
      const block = h ? node.blockByHash(h) : node.best;
      return block
        ? {
            block: { header: headerJson(block), extrinsics: block.extrinsics },
            justifications: null,
          }
        : null;
    },
    chain_getFinalizedHead: () => node.best.hash,
    chain_getFinalisedHead: () => node.best.hash,
    chain_subscribeNewHeads: newHeads,
    chain_subscribeNewHead: newHeads,
    subscribe_newHead: newHeads,
    chain_unsubscribeNewHeads: unsubscribe,
    chain_unsubscribeNewHead: unsubscribe,
    unsubscribe_newHead: unsubscribe,
    chain_subscribeAllHeads: allHeads,
    chain_unsubscribeAllHeads: unsubscribe,
    chain_subscribeFinalizedHeads: finalizedHeads,
    chain_subscribeFinalisedHeads: finalizedHeads,
    chain_unsubscribeFinalizedHeads: unsubscribe,
    chain_unsubscribeFinalisedHeads: unsubscribe,
    chain_getRuntimeVersion: getRuntimeVersion,
    chain_subscribeRuntimeVersion: runtimeVersion,
    chain_unsubscribeRuntimeVersion: unsubscribe,

    state_getMetadata: ([hash]) => {
      blockAt(hash);
      return u8aToHex(runtime.bytes);
    },
    state_getRuntimeVersion: getRuntimeVersion,
    state_subscribeRuntimeVersion: runtimeVersion,
    state_unsubscribeRuntimeVersion: unsubscribe,
    state_getStorage: getStorage,
    state_getStorageAt: getStorage,
    state_getStorageHash: ([key, hash]) => {
      const value = stateAt(hash).get(param(Hex, key, "key").toLowerCase());
      return value === undefined ? null : registry.hash(u8aToU8a(value)).toHex();
    },
    state_getStorageSize: ([key, hash]) => {
      const value = stateAt(hash).get(param(Hex, key, "key").toLowerCase());
      return value === undefined ? null : (value.length - 2) / 2;
    },
    state_getKeys: ([prefix, hash]) =>
      keysPaged(stateAt(hash), param(Hex, prefix, "prefix"), Number.MAX_SAFE_INTEGER),
    state_getKeysPaged: ([prefix, count, startKey, hash]) =>
      keysPaged(
        stateAt(hash),
        param(Hex.nullish(), prefix, "prefix") ?? "0x",
        param(z.number().int().min(0).max(1000), count, "count"),
        param(Hex.nullish(), startKey, "startKey") ?? undefined,
      ),
    state_queryStorageAt: ([keys, hash]) => {
      const block = blockAt(hash);
      const state = stateAt(block.hash);
      const list = param(z.array(Hex), keys, "keys");
      return [
        { block: block.hash, changes: list.map((k) => [k, state.get(k.toLowerCase()) ?? null]) },
      ];
    },
    state_subscribeStorage: ([keys], conn) => {
      const list = param(z.array(Hex).nullish(), keys, "keys")?.map((k) => k.toLowerCase()) ?? [];
      const id = newSubscriptionId();
      const notify = conn.notifier("state_storage", id);
      let last = new Map(list.map((k) => [k, node.bestState().get(k) ?? null]));
      const stop = node.onBlock((b) => {
        const state = node.stateAt(b.hash);
        const now = new Map(list.map((k) => [k, state.get(k) ?? null]));
        const changes = list.filter((k) => now.get(k) !== last.get(k)).map((k) => [k, now.get(k)]);
        last = now;
        if (changes.length > 0) notify({ block: b.hash, changes });
      });
      conn.subs.set(id, { method: "state_storage", stop });
      const initial = { block: node.best.hash, changes: list.map((k) => [k, last.get(k)]) };
      setImmediate(() => conn.subs.has(id) && notify(initial));
      return id;
    },
    state_unsubscribeStorage: unsubscribe,
    state_call: ([method, data, hash]) => {
      blockAt(hash);
      return stateCall(
        node,
        param(z.string(), method, "method"),
        u8aToU8a(param(Hex, data, "data")),
      );
    },

    author_submitExtrinsic: ([hex]) => submit(hex).hash,
    author_submitAndWatchExtrinsic: ([hex], conn) => {
      const id = newSubscriptionId();
      const notify = conn.notifier("author_extrinsicUpdate", id);
      let live = true;
      const watch = (status: TxStatus) => {
        if (!live) return;
        notify(status);
        if (
          typeof status === "string"
            ? status !== "ready" && status !== "future"
            : "finalized" in status
        )
          live = false;
      };
      const { status } = submit(hex, (s) => setImmediate(() => watch(s)));
      conn.subs.set(id, { method: "author_extrinsicUpdate", stop: () => (live = false) });
      setImmediate(() => watch(status));
      return id;
    },
    author_unwatchExtrinsic: unsubscribe,
    author_pendingExtrinsics: () => node.pending(),

    payment_queryInfo: () => ({
      weight: { refTime: 100_000_000, proofSize: 0 },
      class: "normal",
      partialFee: "0",
    }),
    payment_queryFeeDetails: () => ({ inclusionFee: null }),

    // Not a Substrate method: feeds a drand pulse (round, signature hex), stored in the next block.
    cacheon_addDrandPulse: ([round, signature]) => {
      try {
        node.addPulse(
          param(z.number().int().min(1), round, "round"),
          u8aToU8a(param(Hex, signature, "signature")),
        );
      } catch (err) {
        if (err instanceof RpcError) throw err;
        throw new RpcError(4010, "Pulse refused", (err as Error).message);
      }
      return null;
    },
  };
  return handlers;
}

/** The runtime API calls the api makes (state_call), answered in the runtime's own SCALE types. */
function stateCall(node: ChainNode, method: string, data: Uint8Array): string {
  const runtime = node.runtime;
  const registry = runtime.registry;
  const [apiName, methodName] = method.split(/_(.+)/);
  const apiMeta = runtime.metadata.asLatest.apis.find((a) => a.name.toString() === apiName);
  const methodMeta = apiMeta?.methods.find((m) => m.name.toString() === methodName);
  const output = (value: unknown): string =>
    u8aToHex(
      registry
        .createType(
          registry.createLookupType(
            (methodMeta as unknown as { output: { toNumber(): number } }).output.toNumber(),
          ),
          value,
        )
        .toU8a(),
    );
  switch (method) {
    case "Core_version":
      return u8aToHex(registry.createType("RuntimeVersion", runtimeVersionJson(runtime)).toU8a());
    case "Metadata_metadata":
      return u8aToHex(compactAddLength(runtime.bytes));
    case "Metadata_metadata_versions":
      return u8aToHex(registry.createType("Vec<u32>", [runtime.metadataVersion]).toU8a());
    case "Metadata_metadata_at_version": {
      const version = registry.createType("u32", data).toNumber();
      // Option<OpaqueMetadata>: Some(Vec<u8>) for the version we have, None for any other.
      return version === runtime.metadataVersion
        ? u8aToHex(u8aConcat([1], compactAddLength(runtime.bytes)))
        : "0x00";
    }
    case "AccountNonceApi_account_nonce": {
      const who = encodeAddress(data.subarray(0, 32), SS58_FORMAT);
      return output(node.accountNonce(who));
    }
    case "TransactionPaymentApi_query_info":
      return output({
        weight: { refTime: 100_000_000, proofSize: 0 },
        class: "Normal",
        partialFee: 0,
      });
    case "TransactionPaymentApi_query_fee_details":
      return output({ inclusionFee: null });
    default:
      throw new RpcError(
        4003,
        "Client error: Execution failed",
        `the local chain does not implement the runtime API ${method}; read storage instead`,
      );
  }
}

export interface RpcServer {
  port: number;
  close(): Promise<void>;
}

/** Serve the node on host:port (port 0: any free port). */
export async function startRpcServer(
  node: ChainNode,
  host: string,
  port: number,
  report: ServerErrorReporter = stderrReporter("local chain rpc"),
): Promise<RpcServer> {
  const handlers = createRpcHandlers(node);
  // Plain HTTP: GET /health (a Substrate node's health endpoint, system_health's answer); anything
  // else is 426, as the WebSocket server alone answered it; a target that is no path is 400.
  const server = createServer(
    lastResort((req, res) => {
      const answer = (status: number, body: string, headers: Record<string, string> = {}) =>
        send(
          res,
          status,
          status === 200 ? "application/json" : "text/plain; charset=utf-8",
          `${body}\n`,
          headers,
        );
      const target = parseTarget(req.url);
      if (!target.ok) return answer(target.status, target.message, { connection: "close" });
      if (target.path !== "/health")
        return answer(426, "Upgrade Required: this is a WebSocket JSON-RPC server", {
          upgrade: "websocket",
        });
      if (req.method !== "GET" && req.method !== "HEAD")
        return answer(405, "use GET", { allow: "GET, HEAD" });
      answer(200, JSON.stringify((handlers.system_health as () => unknown)()));
    }, report),
  );
  answerClientErrors(server, report);
  const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 * 1024 });
  // The server's errors are reported by its own listener (answerClientErrors); ws re-emits them.
  wss.on("error", () => {});
  const boundPort = await listen(server, { host, port });
  const connections = new Set<Connection>();
  wss.on("connection", (ws) => {
    const conn = new Connection(ws);
    connections.add(conn);
    // A malformed frame (unmasked, bad UTF-8, over maxPayload): ws closes the connection with the
    // code the protocol says; without a listener the 'error' would end the process.
    ws.on("error", () => {});
    ws.on("close", () => {
      conn.close();
      connections.delete(conn);
    });
    ws.on("message", (data) => {
      let id: number | string | null = null;
      try {
        let json: unknown;
        try {
          json = JSON.parse(data.toString());
        } catch {
          throw new RpcError(-32700, "Parse error");
        }
        const req = RequestSchema.safeParse(json);
        if (!req.success) throw new RpcError(-32600, "Invalid request");
        id = req.data.id;
        // Own methods only: `constructor` or `toString` is no method of this node.
        const handler = Object.hasOwn(handlers, req.data.method)
          ? handlers[req.data.method]
          : undefined;
        if (!handler) throw new RpcError(-32601, "Method not found");
        const result = handler(req.data.params, conn);
        conn.send({ jsonrpc: "2.0", id, result });
      } catch (err) {
        const e =
          err instanceof RpcError
            ? err
            : new RpcError(-32603, "Internal error", (err as Error).message);
        conn.send({
          jsonrpc: "2.0",
          id,
          error: {
            code: e.code,
            message: e.message,
            ...(e.data === undefined ? {} : { data: e.data }),
          },
        });
      }
    });
  });
  return {
    port: boundPort,
    close: () => {
      for (const conn of connections) {
        conn.close();
        conn.ws.terminate();
      }
      wss.close();
      return closeServer(server);
    },
  };
}
