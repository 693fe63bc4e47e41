// The host side of a candidate's isolation. Docker's internal network already drops anything the
// container sends past its bridge, but the host's own addresses stay reachable (the bridge's address
// is on-link, and engines before 25 also give internal networks a default route to it), so a miner
// could talk to services listening on the pod host. One iptables rule per candidate bridge drops
// every connection the container opens to the host; the harness's own connections to the container
// (and their replies) pass. Rules carry a comment so a restarted pod removes what a killed one left.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const COMMENT = "cacheon-candidate";

function ruleFor(bridge: string): string[] {
  return [
    "INPUT",
    "-i",
    bridge,
    "-m",
    "conntrack",
    "!",
    "--ctstate",
    "ESTABLISHED,RELATED",
    "-m",
    "comment",
    "--comment",
    COMMENT,
    "-j",
    "DROP",
  ];
}

export interface HostFirewall {
  /** False where iptables cannot be used (not root, not installed): nothing is enforced. */
  readonly enabled: boolean;
  isolate(bridge: string): Promise<void>;
  release(bridge: string): Promise<void>;
  /** Removes every rule this module added (a killed pod's included). */
  cleanup(): Promise<void>;
}

const iptables = (args: string[]) => run("iptables", ["-w", "5", ...args], { timeout: 15_000 });

/** Uses iptables when it answers, else a firewall that does nothing (and says so). */
export async function hostFirewall(mode: "auto" | "iptables" | "off"): Promise<HostFirewall> {
  if (mode !== "off") {
    try {
      await iptables(["-S", "INPUT"]);
      return iptablesFirewall;
    } catch (err) {
      if (mode === "iptables")
        throw new Error(`iptables is not usable here (${(err as Error).message.split("\n")[0]})`);
    }
  }
  return disabledFirewall;
}

const iptablesFirewall: HostFirewall = {
  enabled: true,
  async isolate(bridge) {
    await iptables(["-I", ...ruleFor(bridge)]);
  },
  async release(bridge) {
    await iptables(["-D", ...ruleFor(bridge)]).catch(() => {});
  },
  async cleanup() {
    const { stdout } = await iptables(["-S", "INPUT"]);
    for (const line of stdout.split("\n")) {
      const bridge = / -i (\S+) .*--comment "?cacheon-candidate"?/.exec(line)?.[1];
      if (bridge) await this.release(bridge);
    }
  },
};

const disabledFirewall: HostFirewall = {
  enabled: false,
  isolate: async () => {},
  release: async () => {},
  cleanup: async () => {},
};
