// `cacheon pod serve --runtime docker` end to end, as a validator uses it: miners' images pulled by
// digest from the loopback registry, run isolated, scored against a containerised baseline; a
// server that crashes mid-benchmark or never becomes healthy; cancel; the worker SIGKILLed
// mid-job and restarted; requests without the right token. And `cacheon eval` with docker://
// servers, here and on the pod.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EvalReportSchema } from "../../src/eval/report.js";
import { PodClient } from "../../src/pod/client.js";
import type { JobRequestInput, PodEvent } from "../../src/pod/schema.js";
import { tinyArenaFile } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";
import { type PodProcess, startPod, TOKEN } from "../pod/pod-process.js";
import { docker, fixture, podContainers, SKIP } from "./fixture.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-docker-pod-"));
const state = join(dir, "state");
const arena = { ...tinyArenaFile, startupTimeoutMs: 20_000 };
const image = (name: keyof typeof fixture.images) => ({
  kind: "image" as const,
  image: fixture.images[name],
});
const job = (...names: (keyof typeof fixture.images)[]): JobRequestInput => ({
  arena,
  seed: "0xd0c4e7",
  baseline: image("good"),
  candidates: names.map((name) => ({ name, spec: image(name) })),
});
const podArgs = () => ["--runtime", "docker", "--models", fixture.modelsDir, "--gpus", "none"];

describe.skipIf(SKIP)("cacheon pod serve with the Docker runtime", () => {
  let pod: PodProcess;
  let podId = "";
  const client = () => new PodClient(pod.url, TOKEN);
  const left = () => podContainers(podId);

  beforeAll(async () => {
    pod = await startPod(state, podArgs());
    podId = readFileSync(join(state, "pod-id"), "utf8").trim();
  });
  afterAll(async () => {
    await pod?.stop();
  });

  async function untilEvent(id: string, match: (e: PodEvent) => boolean): Promise<void> {
    for await (const e of client().events(id)) if (match(e)) return;
    throw new Error("the job's events ended first");
  }

  async function finished(id: string) {
    for await (const e of client().events(id)) if (e.type === "job-end") break;
    return client().status(id);
  }

  test("scores images end to end: a correct one, one that crashes mid-benchmark, one never healthy", async () => {
    const { id } = await client().submit(job("fast", "crash", "never-healthy"));
    const status = await finished(id);
    expect(status.status).toBe("done");
    const report = EvalReportSchema.parse(await client().report(id));
    expect(report.status).toBe("ok");
    expect(report.baseline.spec).toEqual({ ...image("good"), args: [] });
    expect(report.baseline.logs).toContain("miner: listening");
    const [fast, crash, never] = report.candidates;
    // The correct, faster image: pulled by digest, passed, scored above 0, pull timed apart.
    expect(fast?.status).toBe("ok");
    expect(fast?.gate.passed).toBe(true);
    expect(fast?.score).toBeGreaterThan(0);
    expect(fast?.timing.pullMs).toBeGreaterThanOrEqual(0);
    // It crashed after its warmup and gate pass: the first failed slot names it.
    expect(crash?.status).toBe("failed");
    expect(crash?.failure?.stage).not.toMatch(/^(image|start|health)$/);
    expect(crash?.score).toBe(0);
    expect(crash?.logs).toContain("crashing after");
    expect(await client().logs(id, "crash")).toContain("crashing after");
    // Never healthy: the arena's startup timeout.
    expect(never?.failure).toMatchObject({ stage: "health", kind: "health" });
    expect(never?.failure?.message).toMatch(/did not answer 200 within 20 s/);
    expect(await left()).toEqual([]);
  });

  test("refuses a request without the right token and runs nothing", async () => {
    const before = (await client().list()).length;
    for (const auth of [undefined, "Bearer wrong-token-0123456789", `Basic ${TOKEN}`]) {
      const res = await request(`${pod.url}/v1/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(job("fast")),
      });
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    }
    expect((await client().list()).length).toBe(before);
    expect(await left()).toEqual([]);
  });

  test("cancels a job mid-run: it ends cancelled and no container is left", async () => {
    const { id } = await client().submit(job("fast"));
    await untilEvent(id, (e) => e.type === "healthy" && e.server === "baseline");
    expect((await left()).length).toBe(1);
    await client().cancel(id);
    const status = await finished(id);
    expect(status.status).toBe("cancelled");
    expect((await client().report(id)).status).toBe("cancelled");
    expect(await left()).toEqual([]);
  });

  test("a worker killed mid-job leaves the job interrupted and, restarted, no container running", async () => {
    const { id } = await client().submit(job("fast"));
    await untilEvent(id, (e) => e.type === "healthy" && e.server === "baseline");
    await pod.kill();
    expect((await left()).length).toBe(1); // what a killed worker leaves behind
    pod = await startPod(state, podArgs());
    const status = await client().status(id);
    expect(status.status).toBe("interrupted");
    expect(status.servers.find((s) => s.name === "baseline")?.state).toBe("interrupted");
    expect(await left()).toEqual([]);
  });

  test("cacheon eval runs docker:// servers on the pod (--pod) and on this machine's engine", async () => {
    const arenaFile = join(dir, "arena.json");
    writeFileSync(arenaFile, JSON.stringify(arena));
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, TOKEN);
    const servers = [
      "--baseline",
      `docker://${fixture.images.good}`,
      "--candidate",
      `fast=docker://${fixture.images.fast}`,
      "--arena",
      arenaFile,
      "--seed",
      "0x0e7a1",
    ];
    const onPod = await cacheon(
      ["eval", ...servers, "--pod", pod.url, "--pod-token-file", tokenFile],
      180_000,
    );
    expect(onPod.stderr).toContain("on pod");
    expect(onPod.code).toBe(0);
    expect(onPod.stdout).toMatch(/fast\s.*\bpass\b/);
    const here = await cacheon(
      ["eval", ...servers, "--models", fixture.modelsDir, "--gpus", "none"],
      180_000,
    );
    expect(here.code).toBe(0);
    expect(here.stdout).toMatch(/fast\s.*\bpass\b/);
    expect(here.stderr).toContain("pulling");
    const managed = { label: ["cacheon.managed=true"] };
    expect(await docker.listContainers({ all: true, filters: managed })).toEqual([]);
  });
});
