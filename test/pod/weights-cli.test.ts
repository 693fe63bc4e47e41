// `cacheon pod weights fetch|verify|pin` and `pod serve --weights`, from the built CLI, against the
// hub double on loopback: the commands' output and exit codes, and a pod that answers /health while
// it prepares its weights, refuses jobs until they are verified, and refuses them for good, with
// the file named, when one does not match.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WeightsPinSchema } from "../../src/arena/config.js";
import { PodClient, PodError } from "../../src/pod/client.js";
import { tinyArenaFile } from "../helpers/arenas.js";
import { cacheon } from "../helpers/cli.js";
import { type HubDouble, sha256, startHubDouble } from "./hub-double.js";
import { startPod, TOKEN } from "./pod-process.js";

const REPO = "acme/tiny-model";
const REV = "89abcdef0123456789abcdef0123456789abcdef";
const FILES: Record<string, string> = {
  "config.json": '{"model_type":"tiny"}\n',
  "model.safetensors": "W".repeat(4096),
};
const TOTAL = Object.values(FILES).reduce((n, b) => n + b.length, 0);
const dir = mkdtempSync(join(tmpdir(), "cacheon-weights-cli-"));
const pin = {
  repo: REPO,
  revision: REV,
  confirmed: true,
  files: Object.entries(FILES).map(([path, body]) => ({
    path,
    size: body.length,
    sha256: sha256(body),
  })),
};

/** An arena file: the tiny test arena with these weights pinned. */
function arenaFile(name: string, weights: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...tinyArenaFile, model: { weights } }));
  return file;
}

let hub: HubDouble;
beforeAll(async () => {
  hub = await startHubDouble(REPO, REV, FILES);
});
afterAll(() => hub.close());

describe("cacheon pod weights", () => {
  it("--help names the three commands", async () => {
    const r = await cacheon(["pod", "weights", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fetch \[options\]/);
    expect(r.stdout).toMatch(/verify \[options\]/);
    expect(r.stdout).toMatch(/pin \[options\]/);
  });

  it("fetch downloads and verifies, prints the record; verify then checks the folder alone", async () => {
    const models = join(dir, "fetched");
    const arena = arenaFile("pinned", pin);
    const fetched = await cacheon([
      "pod",
      "weights",
      "fetch",
      "--models",
      models,
      "--arena",
      arena,
      "--hub-url",
      hub.url,
    ]);
    expect(fetched.stderr).toMatch(
      /weights ready: acme\/tiny-model@89abcdef.*2 files \(2 from the hub.*; confirmed\n/,
    );
    expect(fetched.code).toBe(0);
    const record = JSON.parse(fetched.stdout);
    expect(record).toMatchObject({ confirmed: true, unpinned: [], downloadedBytes: TOTAL });
    expect(readFileSync(join(models, "model.safetensors"), "utf8")).toBe(
      FILES["model.safetensors"],
    );

    const asked = hub.requests.length;
    const verified = await cacheon([
      "pod",
      "weights",
      "verify",
      "--models",
      models,
      "--arena",
      arena,
    ]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).files.map((f: { source: string }) => f.source)).toEqual([
      "folder",
      "folder",
    ]);
    expect(hub.requests.length).toBe(asked);

    writeFileSync(join(models, "model.safetensors"), "X".repeat(4096));
    const refused = await cacheon([
      "pod",
      "weights",
      "verify",
      "--models",
      models,
      "--arena",
      arena,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(
      `weights refused: model.safetensors: sha256 ${sha256("X".repeat(4096))} in ${models}, the arena pins ${sha256(FILES["model.safetensors"] as string)}`,
    );
  });

  it("pin prints the pin of the files the arena lists, ready to paste", async () => {
    const models = join(dir, "to-pin");
    mkdirSync(models);
    for (const [path, body] of Object.entries(FILES)) writeFileSync(join(models, path), body);
    writeFileSync(join(models, "README.md"), "not listed");
    const arena = arenaFile("unpinned", {
      repo: REPO,
      revision: "main",
      files: [{ path: "config.json" }, { path: "model.safetensors" }],
    });
    const r = await cacheon([
      "pod",
      "weights",
      "pin",
      "--models",
      models,
      "--arena",
      arena,
      "--revision",
      REV,
    ]);
    expect(r.code).toBe(0);
    expect(WeightsPinSchema.parse(JSON.parse(r.stdout))).toEqual({ ...pin, confirmed: false });
    expect(r.stderr).toMatch(/paste it as "model": \{ "weights": … \}/);
    const all = await cacheon([
      "pod",
      "weights",
      "pin",
      "--models",
      models,
      "--arena",
      arena,
      "--all-files",
    ]);
    expect(JSON.parse(all.stdout).files.map((f: { path: string }) => f.path)).toEqual([
      "README.md",
      "config.json",
      "model.safetensors",
    ]);
    expect(all.stderr).toMatch(/revision "main" is not a commit id/);
  });
});

describe("cacheon pod serve --weights", () => {
  it("answers /health while it prepares, takes jobs only once the weights are verified, and keeps the record", async () => {
    const state = join(dir, "state-ok");
    const models = join(dir, "served");
    const held = hub.hold("model.safetensors");
    const pod = await startPod(state, [
      "--models",
      models,
      "--weights",
      arenaFile("serve", pin),
      "--hub-url",
      hub.url,
    ]);
    try {
      const client = new PodClient(pod.url, TOKEN);
      const health = await client.health();
      expect(health.weights).toMatchObject({
        state: "preparing",
        repo: REPO,
        revision: REV,
        files: 2,
        error: null,
      });
      const refused = await fetch(`${pod.url}/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          arena: "local",
          seed: "0x1",
          candidates: [
            { name: "a", spec: { kind: "reference", profile: "fast", variant: "none" } },
          ],
        }),
      });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        error: expect.stringMatching(
          /^the pod is still preparing its weights \([01] of 2 files\)$/,
        ),
      });
      held.release();
      let status = health.weights;
      for (let i = 0; i < 100 && status?.state === "preparing"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await client.health()).weights;
      }
      expect(status).toMatchObject({
        state: "ready",
        confirmed: true,
        filesDone: 2,
        downloadedBytes: TOTAL,
      });
      expect(status?.setupMs).toBeGreaterThan(0);
      const record = JSON.parse(readFileSync(join(state, "weights.json"), "utf8"));
      expect(record.files.map((f: { sha256: string }) => f.sha256)).toEqual(
        pin.files.map((f) => f.sha256),
      );
      expect(pod.stderr()).toMatch(/cacheon pod: weights ready: .*setup [\d.]+ s/);
    } finally {
      held.release();
      await pod.stop();
    }
  });

  it("refuses every job, naming the file, when one does not match its pin", async () => {
    const bad = {
      ...pin,
      files: pin.files.map((f) =>
        f.path === "config.json" ? { ...f, sha256: sha256("other") } : f,
      ),
    };
    const pod = await startPod(join(dir, "state-bad"), [
      "--models",
      join(dir, "served-bad"),
      "--weights",
      arenaFile("bad", bad),
      "--hub-url",
      hub.url,
    ]);
    try {
      const client = new PodClient(pod.url, TOKEN);
      let status = (await client.health()).weights;
      for (let i = 0; i < 100 && status?.state === "preparing"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await client.health()).weights;
      }
      const reason = `config.json: the downloaded file's sha256 is ${sha256(FILES["config.json"] as string)}, the arena pins ${sha256("other")}`;
      expect(status).toMatchObject({ state: "failed", error: reason });
      const err = await client
        .submit({
          arena: "local",
          seed: "0x1",
          candidates: [
            { name: "a", spec: { kind: "reference", profile: "fast", variant: "none" } },
          ],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PodError);
      expect((err as PodError).message).toBe(
        `POST /v1/jobs: the pod's weights are refused: ${reason}`,
      );
      expect(pod.stderr()).toContain(`cacheon pod: weights refused: ${reason}`);
    } finally {
      await pod.stop();
    }
  });
});
