// `cacheon gate calibrate` as a user runs it: the built CLI as a child process, the controls (the
// baseline against itself and honest engine variants) as reference servers on loopback.
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EvalReportSchema } from "../../src/eval/report.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";

const arena = tinyArenaPath();

describe("cacheon gate calibrate", () => {
  it.each([
    [
      ["--variants", "flip"],
      /--variants: flip is a negative variant .*, not a control; honest ones: none, ties, fork/,
    ],
    [["--variants", "fork,bogus"], /--variants: unknown variant "bogus"; honest ones: /],
    [["--seeds", "0"], /--seeds must be an integer from 1 to 100/],
    [
      ["--baseline", "http://127.0.0.1:9", "--variants", "fork"],
      /--variants needs a reference-server baseline \(reference:PROFILE\)/,
    ],
    [["--baseline", "ftp://x"], /--baseline "ftp:\/\/x" is not an http\(s\) URL/],
  ])("%j fails with one clear line", async (args, message) => {
    const r = await cacheon(["gate", "calibrate", ...(args as string[])]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("--help says what runs and what the columns mean", async () => {
    const r = await cacheon(["gate", "calibrate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cacheon gate calibrate/);
    expect(r.stdout).toMatch(/every honest engine variant/);
    expect(r.stdout).toMatch(/headroom between them/);
  });

  it("runs the baseline against itself and honest variants over seeds, and prints each threshold's headroom", async () => {
    const out = join(tmpdir(), `cacheon-calibrate-${process.pid}.json`);
    const r = await cacheon(
      [
        "gate",
        "calibrate",
        "--variants",
        "fork,noise-small",
        "--seeds",
        "2",
        "--arena",
        arena,
        "--seed",
        "0xca1",
        "--out",
        out,
        "--quiet",
      ],
      150_000,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^Controls: 1 run of the baseline against itself and 2 honest variants \(fork, noise-small\), in 2 sessions of arena tiny\.$/m,
    );
    // One row per threshold: configured, worst observed, headroom (and which control, where).
    const rows = new Map(
      r.stdout
        .split("\n")
        .filter((l) => /^[a-zA-Z]+ +-?[\d.]+ /.test(l))
        .map((l) => [l.split(/\s+/)[0], l.split(/\s+/).slice(1)] as const),
    );
    expect([...rows.keys()]).toEqual([
      "tokenLogprobError",
      "meanLogprobError",
      "offLogprobShare",
      "toleratedTieGap",
      "rejectedTieGap",
      "teacherRank",
      "hardFloor",
      "softFloorCount",
      "stopGap",
      "eosPreference",
      "notFineShare",
      "nllExcess",
    ]);
    const [configured, worst, headroom, control] = rows.get("teacherRank") ?? [];
    expect(configured).toBe("10");
    expect(Number(configured) - Number(worst)).toBeCloseTo(Number(headroom), 6);
    expect(control).toMatch(/^(self-1|fork|noise-small)$/);
    // The fork variant forks at near-ties: the teacher scored its tokens, at rank 1 or 2.
    expect(Number(worst)).toBeGreaterThanOrEqual(1);
    expect(Number(worst)).toBeLessThanOrEqual(2);
    expect(r.stdout).toMatch(/^Every control passed \(6 runs\)\.$/m);
    expect(r.code).toBe(0);
    // --out: the last session's report.
    const report = EvalReportSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(report.candidates.map((c) => c.name)).toEqual(["self-1", "fork", "noise-small"]);
    expect(report.candidates.map((c) => c.spec)).toContainEqual({
      kind: "reference",
      profile: "instant",
      variant: "fork",
      variantSeed: 1,
    });
  }, 180_000);
});
