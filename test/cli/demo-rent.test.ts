// `cacheon demo --rent` on the tiny arena: the round's pod is rented from the Shadeform double only
// once the miners' commits wait as a job, boots as a real `pod serve`, is reached over pinned TLS,
// runs the job, and is given back when idle, with nothing left running on the double.
import { describe, expect, it } from "vitest";
import { tinyArenaPath } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";

/** Where `needle` first appears in `text`, failing the test when it does not. */
function at(text: string, needle: string | RegExp): number {
  const i = typeof needle === "string" ? text.indexOf(needle) : text.search(needle);
  if (i === -1) throw new Error(`${String(needle)} is not in the output:\n${text}`);
  return i;
}

describe("cacheon demo --rent", () => {
  it("rents a pod when jobs wait, runs the round on it and gives it back when idle", async () => {
    const { code, stdout, stderr } = await cacheon(
      ["demo", "--rent", "--arena", tinyArenaPath(), "--quiet"],
      170_000,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(
      /Pod: rented on demand from a Shadeform double at http:\/\/127\.0\.0\.1:\d+\/v1/,
    );
    // The story, in order: commits queued, then a rental, its boot, the job on it, the king, the give-back.
    const steps = [
      at(stdout, ": queued"),
      at(
        stdout,
        /pod (cacheon-\w+-1): renting H200x4 on massedcompute\/us-central-2 at \$15\.96\/h/,
      ),
      at(stdout, /pod cacheon-\w+-1: instance [0-9a-f-]{36} created/),
      at(stdout, /pod cacheon-\w+-1: instance [0-9a-f-]{36} booting/),
      at(stdout, /pod cacheon-\w+-1: its pod answers over pinned TLS/),
      at(stdout, /job 1: running on pod cacheon-\w+-1 as /),
      at(stdout, "is crowned"),
      at(stdout, /pod cacheon-\w+-1: cacheon-\w+-1 idle for 3 s or more: giving back/),
      at(stdout, /pod cacheon-\w+-1: instance [0-9a-f-]{36} given back/),
    ];
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // One pod for the round, never a second.
    expect(stdout).not.toMatch(/cacheon-\w+-2/);
    expect(stdout).toMatch(
      /Rented pods:\n {2}cacheon-\w+-1: H200x4 on massedcompute\/us-central-2 at \$15\.96\/h; ready \d+\.\d s after renting, deleted \d+\.\d s after renting, billed \$\d+\.\d\d from active to delete\n {2}Instances left running on the double: 0\./,
    );
    expect(stdout).toMatch(/Done in \d+\.\d s: 1 eval job\(s\) settled\./);
  }, 180_000);

  it("refuses --rent with --docker in one line", async () => {
    const { code, stdout, stderr } = await cacheon(["demo", "--rent", "--docker"]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toBe("cacheon: --rent runs the miners as processes: not with --docker\n");
  });
});
