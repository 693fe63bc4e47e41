// Shared by the local chain's tests: a real ApiPromise against a chain whose blocks the test makes.
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { EventRecord } from "@polkadot/types/interfaces";
import WebSocket from "ws";
import type { LocalChain } from "../../../src/chain/local/chain.js";

/** The api's metadata-defined sections (query, tx, events), typed loosely: no augmentation for subtensor. */
// biome-ignore lint/suspicious/noExplicitAny: the metadata, not type augmentation, defines these sections
export type Loose = any;

export async function connect(url: string): Promise<ApiPromise> {
  return ApiPromise.create({
    provider: new WsProvider(url, 100),
    noInitWarn: true,
    throwOnConnect: true,
  });
}

export interface Included {
  blockHash: string;
  events: EventRecord[];
  /** `Pallet.Error` of a failed dispatch, null on success. */
  error: string | null;
}

/**
 * Sign and send with the api's own signAndSend, make one block once the pool has it, and resolve
 * with the inclusion result (the api's decoding of System.Events), whether it came with the
 * inBlock or the finalized status.
 */
export function sendAndInclude(
  api: ApiPromise,
  chain: LocalChain,
  tx: SubmittableExtrinsic<"promise">,
  signer: KeyringPair,
): Promise<Included> {
  return new Promise((resolve, reject) => {
    let produced = false;
    tx.signAndSend(signer, (result) => {
      if (result.status.isReady && !produced) {
        produced = true;
        chain.produceBlocks(1).catch(reject);
      }
      // Either may come first: the api drops an inBlock result still loading when finalized arrives.
      if (result.status.isInBlock || result.status.isFinalized) {
        let error: string | null = null;
        if (result.dispatchError?.isModule) {
          const meta = api.registry.findMetaError(result.dispatchError.asModule);
          error = `${meta.section}.${meta.name}`;
        } else if (result.dispatchError) error = result.dispatchError.toString();
        resolve({
          blockHash: (result.status.isInBlock
            ? result.status.asInBlock
            : result.status.asFinalized
          ).toHex(),
          events: result.events,
          error,
        });
      }
    }).catch(reject);
  });
}

/** One JSON-RPC call on its own connection: the node's raw reply (result or error). */
export async function rawRpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const reply = new Promise<string>((resolve) => ws.once("message", (m) => resolve(String(m))));
  ws.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }));
  const json = JSON.parse(await reply);
  ws.close();
  return json;
}
