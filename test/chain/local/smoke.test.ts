import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import { test } from "vitest";
import { startLocalChain } from "../../../src/chain/local/chain.js";

test("smoke", async () => {
  const chain = await startLocalChain({ blockTimeMs: 0 });
  console.log(chain.url);
  const api = await ApiPromise.create({ provider: new WsProvider(chain.url), noInitWarn: true });
  console.log("connected", api.runtimeVersion.specVersion.toNumber(), api.genesisHash.toHex());
  console.log((await api.query.subtensorModule.keys(1, 0)).toHuman());
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  const alice = keyring.addFromUri("//Alice");
  const tx = api.tx.commitments.setCommitment(1, { fields: [{ Raw5: "0x6869686968" }] });
  const done = new Promise<void>((resolve, reject) => {
    tx.signAndSend(alice, (r) => {
      console.log(
        "status",
        r.status.type,
        r.dispatchError?.toString(),
        r.events.map((e) => e.event.section + "." + e.event.method).join(","),
      );
      if (r.status.isFinalized) resolve();
    }).catch(reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  await chain.produceBlocks(1);
  await done;
  console.log((await api.query.commitments.commitmentOf(1, alice.address)).toHuman());
  const sw = api.tx.subtensorModule.setWeights(1, [0, 1], [65535, 100], 0);
  const done2 = new Promise<void>((resolve, reject) => {
    sw.signAndSend(alice, (r) => {
      console.log(
        "status",
        r.status.type,
        r.dispatchError ? api.registry.findMetaError(r.dispatchError.asModule).name : "",
        r.events.map((e) => e.event.section + "." + e.event.method).join(","),
      );
      if (r.status.isFinalized) resolve();
    }).catch(reject);
  });
  await new Promise((r) => setTimeout(r, 200));
  await chain.produceBlocks(1);
  await done2;
  console.log((await api.query.subtensorModule.weights(1, 0)).toHuman());
  await api.disconnect();
  await chain.close();
}, 30000);
