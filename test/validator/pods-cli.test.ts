// `cacheon pods ls` and `cacheon pods release NAME` on a validator's store: the table (no address,
// token or certificate anywhere in it), JSON, a release marked for the validator to act on, and
// one-line errors for a missing store, an unknown pod and one already given back.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../src/app/validator-service.js";
import { podsTable } from "../../src/cli/pods.js";
import { cliEntry } from "../../src/entry.js";
import { ValidatorStore } from "../../src/store/store.js";
import { podView } from "../../src/validator/pod-view.js";
import { rentalIntent } from "../helpers/rentals.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "cacheon-pods-cli-"));
const state = join(dir, "state");
const now = Date.now();

async function cacheon(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cliEntry(), ...args]);
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const intent = (hourlyPriceCents: number) =>
  rentalIntent({ hourlyPriceCents, autoDelete: { atMs: now + 3_600_000, spendCents: 1000 } });

beforeAll(() => {
  mkdirSync(state);
  const s = ValidatorStore.open(join(state, STORE_FILE));
  const a = s.insertRentalIntent("cacheon-5Grwva", intent(1596), now - 1_800_000);
  s.markRentalCreated(a.name, "i-1", now - 1_800_000);
  s.markRentalReady(a.name, "203.0.113.9:8750", now - 120_000);
  const b = s.insertRentalIntent("cacheon-5Grwva", intent(1790), now - 60_000);
  s.markRentalCreated(b.name, "i-2", now - 60_000);
  s.close();
}, 10_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the pods table", () => {
  it("has one row per pod with price, spend today and idle time, and the day's total", () => {
    const T = Date.UTC(2025, 5, 1, 12);
    const base = {
      id: 1,
      provider: "shadeform",
      instanceId: "i",
      cloud: "c",
      region: "r",
      instanceType: "H200x4",
      hourlyPriceCents: 1200,
      autoDelete: { atMs: 0, spendCents: 0 },
      createdAtMs: T - 3_600_000,
      readyAtMs: T - 3_000_000,
      endedAtMs: null,
      releaseRequested: false,
      reason: null,
      updatedAtMs: T,
    };
    const lines = podsTable([
      podView({ ...base, name: "p-1", state: "ready", idleSinceMs: T - 125_000 }, T),
      podView(
        { ...base, name: "p-2", state: "booting", idleSinceMs: null, releaseRequested: true },
        T,
      ),
    ]);
    expect(lines).toEqual([
      "NAME  STATE                    PROVIDER   TYPE    PRICE/H  SPENT TODAY  IDLE",
      "p-1   ready                    shadeform  H200x4  $12.00   $12.00       2m05s",
      "p-2   booting (release asked)  shadeform  H200x4  $12.00   $12.00       -",
      "spent today (UTC): $24.00",
    ]);
  });
});

describe("cacheon pods", () => {
  it("ls shows the rented pods without addresses or secrets, as a table or JSON", async () => {
    const r = await cacheon("pods", "ls", "--state-dir", state);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME +STATE +PROVIDER +TYPE +PRICE\/H +SPENT TODAY +IDLE$/);
    expect(lines[1]).toMatch(
      /^cacheon-5Grwva-1 +ready +shadeform +H200x4 +\$15\.96 +\$\d+\.\d\d +2m0\ds$/,
    );
    expect(lines[2]).toMatch(
      /^cacheon-5Grwva-2 +created +shadeform +H200x4 +\$17\.90 +\$\d+\.\d\d +-$/,
    );
    expect(lines[3]).toMatch(/^spent today \(UTC\): \$\d+\.\d\d$/);
    const json = await cacheon("pods", "ls", "--state-dir", state, "--json");
    const views = JSON.parse(json.stdout) as { name: string }[];
    expect(views.map((v) => v.name)).toEqual(["cacheon-5Grwva-1", "cacheon-5Grwva-2"]);
    for (const out of [r.stdout, json.stdout])
      expect(out).not.toMatch(/203\.0\.113|secret-token|AB:CD/);
  }, 30_000);

  it("release marks a pod for the validator to give back; refuses one unknown or gone", async () => {
    const r = await cacheon("pods", "release", "cacheon-5Grwva-1", "--state-dir", state);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe(
      "cacheon-5Grwva-1 (ready) marked for release: the validator gives it back once it has no job\n",
    );
    const s = ValidatorStore.open(join(state, STORE_FILE));
    expect(s.rental("cacheon-5Grwva-1")?.releaseRequested).toBe(true);
    s.markRentalReleasing("cacheon-5Grwva-1", "asked", Date.now());
    s.markRentalDeleted("cacheon-5Grwva-1", "asked", Date.now());
    s.close();
    const gone = await cacheon("pods", "release", "cacheon-5Grwva-1", "--state-dir", state);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toBe(
      "cacheon: cacheon-5Grwva-1: it is already deleted (live: cacheon-5Grwva-2)\n",
    );
    const unknown = await cacheon("pods", "release", "nope", "--state-dir", state);
    expect(unknown.stderr).toBe(
      "cacheon: nope: no rented pod has that name (live: cacheon-5Grwva-2)\n",
    );
    const none = await cacheon("pods", "ls", "--state-dir", join(dir, "elsewhere"));
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      `cacheon: no validator store at ${join(dir, "elsewhere", STORE_FILE)}: give the validator's --state-dir\n`,
    );
  }, 30_000);

  it("--help of each names what it shows and does", async () => {
    const ls = await cacheon("pods", "ls", "--help");
    expect(ls.stdout).toMatch(/no addresses or keys/);
    expect(ls.stdout).toMatch(/--state-dir <dir>/);
    const release = await cacheon("pods", "release", "--help");
    expect(release.stdout).toMatch(/Usage: cacheon pods release \[options\] <name>/);
    expect(release.stdout).toMatch(/once it has no job/);
  }, 30_000);
});
