// `cacheon miner check --image`: a miner's image pulled, checked and started exactly as the pod
// does, its contract probed, then scored against a containerised baseline; and an image that never
// becomes healthy, told in the miner's terms.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { tinyArenaFile } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";
import { docker, fixture, SKIP } from "./fixture.js";

function arenaFile(startupTimeoutMs: number): string {
  const path = join(mkdtempSync(join(tmpdir(), "cacheon-check-")), "arena.json");
  writeFileSync(path, JSON.stringify({ ...tinyArenaFile, startupTimeoutMs }));
  return path;
}

const check = (image: string, startupTimeoutMs: number, extra: string[] = []) =>
  cacheon(
    [
      "miner",
      "check",
      "--image",
      image,
      "--models",
      fixture.modelsDir,
      "--gpus",
      "none",
      "--arena",
      arenaFile(startupTimeoutMs),
      "--quiet",
      ...extra,
    ],
    180_000,
  );

describe.skipIf(SKIP)("cacheon miner check --image", () => {
  test("pulls and starts the image as the pod does, probes it, and projects its score", async () => {
    const r = await check(fixture.images.fast, 30_000, [
      "--baseline",
      `docker://${fixture.images.good}`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0\. Image: .*cacheon-test\/fast@sha256:/);
    expect(r.stdout).toMatch(/PASS {2}healthy after [\d.]+ s at http:\/\/[\d.]+:8000/);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/Projected score: 0\.\d+/);
    const managed = { label: ["cacheon.managed=true"] };
    expect(await docker.listContainers({ all: true, filters: managed })).toEqual([]);
  });

  test("says why an image that never becomes healthy would fail, with its output", async () => {
    const r = await check(fixture.images["never-healthy"], 3_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}GET \/health did not answer 200 within 3 s/);
    expect(r.stdout).toContain("starting forever");
    expect(r.stdout).toMatch(/next step: make the server answer GET \/health/);
    expect(r.stdout).not.toContain("1. Contract");
  });
});
