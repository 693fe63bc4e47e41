// `cacheon bench` end to end: the built CLI against a reference server spawned out of process.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BenchReportSchema } from "../../src/harness/report.js";
import { type SpawnedReferenceServer, spawnReferenceServer } from "../../src/reference/spawn.js";
import { cacheon } from "../helpers/cli.js";
import { closedPort } from "../helpers/ports.js";
import { smallWorkload } from "../helpers/workloads.js";

let server: SpawnedReferenceServer;
const dir = mkdtempSync(join(tmpdir(), "cacheon-bench-"));
beforeAll(async () => {
  server = await spawnReferenceServer({ profile: "fast" });
});
afterAll(async () => {
  await server?.close();
});

describe("cacheon bench", () => {
  it("runs a workload against a reference server, prints a table and writes the JSON report", async () => {
    const wl = join(dir, "small.json");
    writeFileSync(wl, JSON.stringify(smallWorkload));
    const out = join(dir, "nested", "report.json");
    const r = await cacheon(["bench", "--endpoint", server.url, "--workload", wl, "--out", out]);
    expect(r.stderr).toContain("is healthy");
    expect(r.code, r.stderr).toBe(0);
    // Progress: one line per phase and trial (and warmup), no flood.
    const progress = r.stderr.trim().split("\n");
    expect(progress.length).toBeLessThanOrEqual(10);
    expect(progress.filter((l) => l.startsWith("[trial"))).toHaveLength(4);
    // The table.
    expect(r.stdout).toMatch(/phase\s+trial\s+ok\s+failed\s+TTFT p50\s+p90\s+p99 ms\s+ITL p50 ms/);
    expect(r.stdout).toMatch(/^throughput\s+2\s+24\s+0\s/m);
    expect(r.stdout).toContain("Per phase (median trial");
    // The report, with every documented field.
    const report = BenchReportSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(report.model).toBe("Qwen/Qwen2.5-72B-Instruct");
    expect(report.workload.name).toBe("small");
    expect(report.phases).toHaveLength(4);
    expect(report.requests).toHaveLength(2 + 2 * (4 + 24));
    const thr = report.phases.find((p) => p.phase === "throughput" && p.trial === 1);
    expect(thr?.outputTokens).toBe(24 * 16);
    expect(thr?.tokensPerSec).toBeGreaterThan(0);
    expect(thr?.ttftMs.medianCi).not.toBeNull();
    for (const rec of report.requests) {
      expect(rec.status).toBe("ok");
      expect(rec.outputTokens).toBeGreaterThan(0);
      expect(rec.tokenizerTokens).not.toBeNull();
      expect(rec.ttftMs).toBeGreaterThan(0);
    }
    expect(
      report.requests.filter((q) => q.phase === "throughput").every((q) => q.outputTokens === 16),
    ).toBe(true);
  });

  it("explains a bad URL, an unreachable server and a bad workload file in one line", async () => {
    const port = await closedPort();
    const wl = join(dir, "bad.json");
    writeFileSync(wl, JSON.stringify({ phases: [{ name: "x", requests: 0 }] }));
    const [bad, down, invalid, path] = await Promise.all([
      cacheon(["bench", "--endpoint", "not a url"]),
      cacheon(["bench", "--endpoint", `http://127.0.0.1:${port}`]),
      cacheon(["bench", "--endpoint", server.url, "--workload", wl]),
      cacheon(["bench", "--endpoint", `${server.url}/v2/chat`]),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^cacheon: --endpoint "not a url" is not a URL/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);

    expect(down.code).toBe(2);
    expect(down.stderr.trim()).toBe(
      `cacheon: cannot reach the server at http://127.0.0.1:${port}: connection refused (is it running? GET /health failed)`,
    );

    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim().split("\n")).toHaveLength(1);
    expect(invalid.stderr).toMatch(
      /bad\.json is invalid: phases\.0\.scheduling: .*phases\.0\.requests: /,
    );

    expect(path.code).toBe(2);
    expect(path.stderr).toMatch(/must be the server's base URL/);
  });

  it("documents every option in --help", async () => {
    const r = await cacheon(["bench", "--help"]);
    expect(r.code).toBe(0);
    for (const opt of [
      "--endpoint",
      "--workload",
      "--out",
      "--model",
      "--tokenizer",
      "--trials",
      "--seed",
      "--quiet",
    ])
      expect(r.stdout).toContain(opt);
    expect(r.stdout).toContain("Exit status");
  });
});
