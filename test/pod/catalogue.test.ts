// A pod without Docker (`--runtime local --images FILE`) runs the images its catalogue lists as
// reference servers, and fails any other image at stage `image`, as a refused pull would.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PodClient } from "../../src/pod/client.js";
import { catalogueDigest } from "../../src/runtime/catalogue.js";
import { tinyArenaFile } from "../helpers/arenas.js";
import { type PodProcess, startPod, TOKEN } from "./pod-process.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-pod-catalogue-"));
const listed = catalogueDigest("localhost/miner/engine", { kind: "reference", profile: "instant" });
let pod: PodProcess;

beforeAll(async () => {
  const images = join(dir, "images.json");
  writeFileSync(images, JSON.stringify({ [listed]: { kind: "reference", profile: "instant" } }));
  pod = await startPod(join(dir, "state"), ["--images", images]);
});
afterAll(async () => {
  await pod?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pod serve --runtime local --images", () => {
  it("runs a listed image as its reference server and refuses an unlisted one at stage image", async () => {
    const client = new PodClient(pod.url, TOKEN);
    const { id } = await client.submit({
      arena: tinyArenaFile,
      seed: "0x0c",
      baseline: { kind: "reference", profile: "instant" },
      candidates: [
        { name: "listed", spec: { kind: "image", image: `localhost/miner/engine@${listed}` } },
        {
          name: "unlisted",
          spec: { kind: "image", image: `localhost/other/engine@sha256:${"e".repeat(64)}` },
        },
      ],
    });
    for await (const e of client.events(id))
      if (e.type === "job-end") expect(e.status).toBe("done");
    const report = await client.report(id);
    const [ok, refused] = report.candidates;
    expect(ok).toMatchObject({ name: "listed", status: "ok", failure: null });
    expect(ok?.gate.passed).toBe(true);
    expect(refused).toMatchObject({ name: "unlisted", status: "failed" });
    expect(refused?.failure).toMatchObject({ stage: "image", kind: "image" });
    expect(refused?.failure?.message).toMatch(/not in this pod's image catalogue/);
  }, 60_000);
});
