import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkContract, type RequirementId } from "../../src/probes/contract.js";
import { spawnReferenceServer } from "../../src/reference/spawn.js";
import { closedPort } from "../helpers/ports.js";
import { type Breakage, startBreakingProxy } from "../helpers/proxy.js";

type Choice = { logprobs?: { content?: { top_logprobs: unknown[] }[] | null } | null };

let server: Awaited<ReturnType<typeof spawnReferenceServer>>;
beforeAll(async () => {
  server = await spawnReferenceServer({ profile: "instant" });
});
afterAll(async () => {
  await server?.close();
});

async function failedRequirements(breakage: Breakage): Promise<RequirementId[]> {
  const proxy = await startBreakingProxy(server.url, breakage);
  try {
    const report = await checkContract({ endpoint: proxy.url, timeoutMs: 10_000 });
    return report.results.filter((r) => !r.passed).map((r) => r.id);
  } finally {
    await proxy.close();
  }
}

describe("contract check", () => {
  it("passes every requirement on the reference server", async () => {
    const report = await checkContract({ endpoint: server.url, timeoutMs: 10_000 });
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(report.results.map((r) => r.id).sort()).toEqual(
      [
        "fixed_length",
        "greedy",
        "health",
        "logprobs",
        "max_tokens",
        "models",
        "non_stream",
        "sampling",
        "stop",
        "stream",
        "usage",
      ].sort(),
    );
    expect(report.passed).toBe(true);
  });

  it("names health when /health is not 200", async () => {
    expect(await failedRequirements({ healthStatus: 503 })).toEqual(["health"]);
  });

  it("names stop when stop strings are ignored", async () => {
    expect(await failedRequirements({ request: (b) => void delete b.stop })).toEqual(["stop"]);
  });

  it("names max_tokens when small limits are not honoured", async () => {
    const raise = (b: Record<string, unknown>) => {
      for (const k of ["max_tokens", "max_completion_tokens"]) {
        if (typeof b[k] === "number" && (b[k] as number) < 10) b[k] = 10;
      }
    };
    expect(await failedRequirements({ request: raise })).toEqual(["max_tokens"]);
  });

  it("names usage when the usage chunk never comes", async () => {
    const dropUsage = (c: Record<string, unknown>) =>
      (c.choices as unknown[]).length === 0 ? null : c;
    expect(await failedRequirements({ chunk: dropUsage })).toEqual(["usage"]);
  });

  it("names logprobs when fewer top_logprobs are sent than asked for", async () => {
    const trim = (c: Record<string, unknown>) => {
      for (const choice of c.choices as Choice[]) {
        for (const e of choice.logprobs?.content ?? []) e.top_logprobs = e.top_logprobs.slice(0, 2);
      }
      return c;
    };
    expect(await failedRequirements({ chunk: trim })).toEqual(["logprobs"]);
  });

  it("reports an unreachable server on every requirement without throwing", async () => {
    const report = await checkContract({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      timeoutMs: 2_000,
    });
    expect(report.passed).toBe(false);
    expect(report.results.find((r) => r.id === "health")?.evidence).toMatch(/connection refused/);
  });
});
