// `cacheon chain commitments` and `cacheon chain metagraph`: what anyone can read on the subnet.
import type { Command } from "commander";
import { formatTable } from "../table.js";
import { addNetworkOptions, type NetworkOptions, withChain } from "./chain-options.js";

const say = (s = ""): void => {
  process.stdout.write(`${s}\n`);
};

const short = (address: string) => `${address.slice(0, 8)}…${address.slice(-6)}`;

export function registerChain(chain: Command): void {
  addNetworkOptions(
    chain
      .command("commitments")
      .description(
        "list every miner commitment on the subnet (Commitments.CommitmentOf): hotkey, uid, block, and the image reference or why it is rejected",
      ),
    false,
  )
    .option("--json", "print JSON")
    .action(async (opts: NetworkOptions & { json?: boolean }) => {
      await withChain(opts.network, async (c) => {
        const [entries, graph] = await Promise.all([
          c.commitments(opts.netuid),
          c.metagraph(opts.netuid),
        ]);
        const uidOf = new Map(graph.neurons.map((n) => [n.hotkey, n.uid]));
        const rows = entries.map((e) => ({ ...e, uid: uidOf.get(e.hotkey) ?? null }));
        if (opts.json) {
          const out = { netuid: opts.netuid, block: graph.block, commitments: rows };
          say(JSON.stringify(out, null, 2));
          return;
        }
        say(`subnet ${opts.netuid} at block ${graph.block}: ${rows.length} commitments`);
        if (rows.length === 0) return;
        say(
          formatTable(
            [
              ["uid", "hotkey", "block", "commitment"],
              ...rows.map((r) => [
                r.uid === null ? "-" : String(r.uid),
                r.hotkey,
                String(r.block),
                r.parsed.ok ? r.parsed.ref.text : `REJECTED (${r.parsed.kind}): ${r.parsed.reason}`,
              ]),
            ],
            4,
          ),
        );
      });
    });

  addNetworkOptions(
    chain
      .command("metagraph")
      .description(
        "list the subnet's neurons: uid, hotkey, coldkey, validator permit, alpha stake and last weights block",
      ),
    false,
  )
    .option("--json", "print JSON")
    .action(async (opts: NetworkOptions & { json?: boolean }) => {
      await withChain(opts.network, async (c) => {
        const graph = await c.metagraph(opts.netuid);
        if (opts.json) {
          say(JSON.stringify(graph, null, 2));
          return;
        }
        say(`subnet ${opts.netuid} at block ${graph.block}: ${graph.neurons.length} neurons`);
        if (graph.neurons.length === 0) return;
        say(
          formatTable(
            [
              ["uid", "hotkey", "coldkey", "validator", "stake (rao)", "last update"],
              ...graph.neurons.map((n) => [
                String(n.uid),
                n.hotkey,
                short(n.coldkey),
                n.validatorPermit ? "yes" : "no",
                n.stake,
                String(n.lastUpdate),
              ]),
            ],
            4,
          ),
        );
      });
    });
}
