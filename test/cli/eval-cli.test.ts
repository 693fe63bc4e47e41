// `cacheon eval`, `report rescore`, `miner check`, `gate calibrate` and `demo` as a user runs them:
// the built CLI as a child process, against reference-server processes on loopback.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalReportSchema } from "../../src/eval/report.js";
import { type SpawnedReferenceServer, spawnReferenceServer } from "../../src/reference/spawn.js";
import { tinyArenaFile, tinyArenaPath } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";
import { startBreakingProxy } from "../helpers/proxy.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-eval-cli-"));
const arena = tinyArenaPath();
const badArena = join(dir, "bad-arena.json");
writeFileSync(
  badArena,
  JSON.stringify({
    ...tinyArenaFile,
    workload: { ...tinyArenaFile.workload, ttftPhase: "nope", trials: 0 },
  }),
);
const notReport = join(dir, "not-report.json");
writeFileSync(notReport, JSON.stringify({ schema: "cacheon.bench.v1" }));
const v1Report = join(dir, "v1-report.json");
writeFileSync(v1Report, JSON.stringify({ schema: "cacheon.eval.v1" }));

describe("cacheon eval and friends: bad input", () => {
  it.each([
    [["eval"], /required option '--baseline <server>'/],
    [["eval", "--baseline", "reference:instant"], /give at least one --candidate/],
    [
      ["eval", "--baseline", "ftp://x", "--candidate", "a=reference:instant"],
      /--baseline "ftp:\/\/x" is not an http\(s\) URL/,
    ],
    [["eval", "--baseline", "reference:instant", "--candidate", "noequals"], /must be NAME=URL/],
    [
      ["eval", "--baseline", "reference:instant", "--candidate", "baseline=reference:instant"],
      /not "baseline" or "teacher"/,
    ],
    [
      ["eval", "--baseline", "reference:instant", "--candidate", "teacher=reference:instant"],
      /not "baseline" or "teacher"/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--candidate",
        "a=reference:fast",
      ],
      /--candidate name a is given twice/,
    ],
    [
      ["eval", "--baseline", "reference:instant", "--candidate", "a=reference:instant:weird"],
      /is not an http\(s\) URL, reference:PROFILE/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=docker://ghcr.io/acme/miner:v1",
      ],
      /--candidate a: .*names a tag without a digest/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--arena",
        "nope",
      ],
      /unknown arena preset "nope"/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--arena",
        "/nonexistent/a.json",
      ],
      /cannot read arena file .* no such file/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--arena",
        badArena,
      ],
      /workload\.trials: .*ttftPhase: no phase named "nope"|workload\.trials/,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--seed",
        "xyz",
      ],
      /--seed: /,
    ],
    [
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "a=reference:instant",
        "--king",
        "b",
      ],
      /--king b is not one of the candidates/,
    ],
    [
      ["report", "rescore", "/nonexistent/r.json"],
      /cannot read report \/nonexistent\/r.json: no such file/,
    ],
    [["report", "rescore", notReport], /is not a cacheon.eval.v2 report/],
    [
      ["report", "rescore", v1Report],
      /is a cacheon.eval.v1 report: .*cannot be rescored under the current rules \(cacheon.eval.v2\)/,
    ],
    [
      ["gate", "calibrate", "--baseline", "reference:instant", "--runs", "0"],
      /--runs must be an integer from 1 to 50/,
    ],
    [["miner", "check"], /give --endpoint URL \(your running server\) or --image/],
    [
      ["miner", "check", "--endpoint", "http://127.0.0.1:9", "--image", "x@sha256:0"],
      /give --endpoint URL \(your running server\) or --image/,
    ],
    [
      ["miner", "check", "--image", "ghcr.io/acme/miner:v1"],
      /--image: .*names a tag without a digest/,
    ],
  ])("%j fails with one clear line", async (args, message) => {
    const r = await cacheon(args as string[]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([[["eval"]], [["report", "rescore"]], [["miner", "check"]], [["gate", "calibrate"]]])(
    "%j --help describes the command",
    async (words) => {
      const r = await cacheon([...words, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: cacheon/);
    },
  );
});

describe("cacheon eval and report rescore", () => {
  const out = join(dir, "report.json");

  it("judges candidates, prints the verdict and writes a report that rescoring reproduces", async () => {
    const r = await cacheon(
      [
        "eval",
        "--baseline",
        "reference:instant",
        "--candidate",
        "same=reference:instant",
        "--candidate",
        "fork=reference:instant:fork",
        "--candidate",
        "wrong=reference:instant:diverge",
        "--arena",
        arena,
        "--seed",
        "0xfeed",
        "--out",
        out,
        "--quiet",
      ],
      180_000,
    );
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^wrong .* FAIL +0\.0000$/m);
    expect(r.stdout).toMatch(/wrong failed at .*diverge/);
    expect(r.stdout).toMatch(/^fork .* pass +\d\.\d{4}$/m);
    // The teacher's part: what it scored, its share of the session, and each fork's verdict.
    expect(r.stdout).toMatch(
      /^Teacher: \d+ forked requests and their stock controls scored \(\d+ tokens in \d+ sequences; [\d.]+ s, [\d.]+% of the session\)\.$/m,
    );
    const forks =
      /^fork: (\d+) requests forked from the reference; the teacher passed (\d+);/m.exec(r.stdout);
    expect(forks?.[1]).toBe(forks?.[2]);
    const report = EvalReportSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(report.seed).toBe("0xfeed");
    expect(report.candidates.map((c) => [c.name, c.gate.passed])).toEqual([
      ["same", true],
      ["fork", true],
      ["wrong", false],
    ]);
    expect(report.candidates[2]?.failure?.kind).toBe("gate");
    expect(report.teacher.status).toBe("ok");

    const ok = await cacheon(["report", "rescore", out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Every score was reproduced exactly/);

    const tampered = join(dir, "tampered.json");
    report.candidates[0] = {
      ...(report.candidates[0] as (typeof report.candidates)[0]),
      score: 0.5,
    };
    writeFileSync(tampered, JSON.stringify(report));
    const bad = await cacheon(["report", "rescore", tampered]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/score: stored 0.5, recomputed/);
  }, 210_000);

  it("demo runs the arena: commits, one eval job, the fast miner crowned, weights to its uid, the honest forking engine passed, the wrong model explained", async () => {
    const r = await cacheon(["demo", "--arena", arena, "--quiet"], 170_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}Eve .* at block \d+ {2}\(a copy of Bob's image\)$/m);
    expect(r.stdout).toMatch(
      /s4 \(uid 4, .*\) commitment at block \d+ rejected: image sha256:\w+ was already submitted/,
    );
    expect(r.stdout).toMatch(/job 1: s1, s2, s3 against the baseline, seed from block \d+/);
    expect(r.stdout).toMatch(/s1 is crowned with score 0\.\d{4}/);
    expect(r.stdout).toMatch(
      /^ {2}s1 +1 +localhost\/bob\/fast-engine@\S+ +pass +[\d.]+ +\d+ +0\.\d{4}$/m,
    );
    expect(r.stdout).toMatch(/^ {2}s2 +2 +\S+ +pass +[\d.]+ +\d+ +0\.0000$/m);
    // Measured when its first mismatch came in a timed phase, where the teacher judges it after
    // the session; not when the gate pass's top lists caught it on the spot.
    expect(r.stdout).toMatch(/^ {2}s3 +3 +\S+ +FAIL +(- +-|[\d.]+ +\d+) +0\.0000$/m);
    // Charlie's slow engine forks at near-ties (other numerics, as speculative decoding's): the
    // teacher scores every token after each fork, and it passes.
    expect(r.stdout).toMatch(
      /^Why s2 passed though its answers differ from the baseline's:\n {2}\d+ of \d+ requests forked from the reference at a near-tie .*; the teacher \(the baseline image, started once more\) scored every one of their \d+ tokens from the fork on/m,
    );
    expect(r.stdout).toMatch(/, the teacher pass \d+\.\d s \(ok\), harness overhead /);
    expect(r.stdout).toMatch(/^ {2}s4 +4 +\S+ +rejected +- +- +-$/m);
    expect(r.stdout).toMatch(/^King: s1 \(uid 1\)/m);
    // Commit-reveal v4, as on finney: //Alice's timelocked commit, revealed by the chain later; her
    // LastUpdate is her latest commit's block (a later slot may have committed again since).
    const onChain =
      /^Weights on chain: uid 1 gets everything \(set at block (\d+) by the chain's reveal of \/\/Alice's timelocked commit of block (\d+), drand round (\d+); \/\/Alice's last update on chain: block (\d+)\)/m.exec(
        r.stdout,
      );
    expect(onChain, r.stdout).not.toBeNull();
    const [revealed, committed, , lastUpdate] = (onChain ?? []).slice(1).map(Number) as number[];
    expect(revealed).toBeGreaterThan(committed as number);
    expect(lastUpdate).toBeGreaterThanOrEqual(committed as number);
    expect(r.stdout).toMatch(
      new RegExp(
        `weights on chain at block ${revealed}: the chain revealed the commit of block ${committed} \\(drand round \\d+\\), uid 1 gets everything`,
      ),
    );
    expect(r.stdout).toMatch(
      /weights committed at block \d+, timelocked to drand round \d+: uid 1/,
    );
    // A token the reference would not choose, or an end where it went on: the session's prompts
    // (the seed is a block hash) decide which comes first.
    expect(r.stdout).toMatch(
      /Why s3 failed the gate:\n.*FAIL \((divergence\): token|premature_stop\): the candidate stopped after) \d+/,
    );
    // Without --serve it serves nothing, and says how to.
    expect(r.stdout).not.toMatch(/Dashboard:/);
    expect(r.stdout).toMatch(/The same arena in a browser: cacheon demo --serve/);
  }, 180_000);
});

describe("cacheon miner check", () => {
  let server: SpawnedReferenceServer;
  // An honest engine that forks at near-ties, as speculative decoding does.
  let forking: SpawnedReferenceServer;
  beforeAll(async () => {
    server = await spawnReferenceServer({ profile: "instant" });
    forking = await spawnReferenceServer({ profile: "instant", variant: "fork" });
  });
  afterAll(async () => {
    await server?.close();
    await forking?.close();
  });

  it("passes the contract, runs the session and its teacher pass against the baseline and projects a score", async () => {
    const r = await cacheon(
      [
        "miner",
        "check",
        "--endpoint",
        forking.url,
        "--baseline",
        "reference:instant",
        "--arena",
        arena,
        "--quiet",
      ],
      180_000,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS {2}logprobs/);
    expect(r.stdout).toMatch(/^miner .* pass +\d\.\d{4}$/m);
    // The same verdict a validator gives: the forks scored by the teacher, all passed.
    const t =
      /^ {2}Teacher: (\d+) requests forked from the reference .* passed (\d+), failed 0\.$/m.exec(
        r.stdout,
      );
    expect(Number(t?.[1])).toBeGreaterThan(0);
    expect(t?.[2]).toBe(t?.[1]);
    expect(r.stdout).toMatch(/^ {2}Your \d+ scored tokens: .*; the stock control's \d+: /m);
    expect(r.stdout).toMatch(/Projected score: |correct but not faster than the baseline/);
  }, 210_000);

  it("without a baseline, checks the contract and says how to get the gate and score", async () => {
    const r = await cacheon(["miner", "check", "--endpoint", server.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/skipped \(no --baseline\)/);
    expect(r.stdout).toMatch(/next step: start the pinned vLLM baseline/);
  }, 90_000);

  it("names the broken requirement and the next step", async () => {
    const proxy = await startBreakingProxy(server.url, {
      chunk: (c) => (Array.isArray(c.choices) && c.choices.length === 0 ? null : c),
    });
    try {
      const r = await cacheon([
        "miner",
        "check",
        "--endpoint",
        proxy.url,
        "--baseline",
        "reference:instant",
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL {2}usage/);
      expect(r.stdout).toMatch(/next step: send a final usage chunk/);
      expect(r.stdout).toMatch(/Fix the contract first/);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
