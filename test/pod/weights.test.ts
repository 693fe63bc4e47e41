// The pod's weights setup against a hub double on loopback: download at the pinned revision with
// sha256 on the way, a corrupted file and a cut connection, a folder that holds them already, and
// an arena that pins no hashes (unconfirmed).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type WeightsPin, WeightsPinSchema } from "../../src/arena/config.js";
import { hubFileUrl } from "../../src/pod/weights/download.js";
import { pinFolder } from "../../src/pod/weights/files.js";
import { weightsSummary } from "../../src/pod/weights/log.js";
import { prepareWeights, WeightsError } from "../../src/pod/weights/prepare.js";
import { type WeightsEvent, WeightsTracker } from "../../src/pod/weights/status.js";
import { type HubDouble, sha256, startHubDouble } from "./hub-double.js";

const REPO = "acme/tiny-model";
const REV = "0123456789abcdef0123456789abcdef01234567";
const FILES: Record<string, string> = {
  "config.json": '{"model_type":"tiny"}\n',
  "model-00001-of-00002.safetensors": "A".repeat(3000),
  "model-00002-of-00002.safetensors": "B".repeat(2000),
  "sub/tokenizer.json": '{"vocab":{}}\n',
};
const pinned = (overrides: Partial<WeightsPin> = {}): WeightsPin =>
  WeightsPinSchema.parse({
    repo: REPO,
    revision: REV,
    confirmed: true,
    files: Object.entries(FILES).map(([path, body]) => ({
      path,
      size: Buffer.byteLength(body),
      sha256: sha256(body),
    })),
    ...overrides,
  });

let hub: HubDouble;
const root = mkdtempSync(join(tmpdir(), "cacheon-weights-"));
let n = 0;
const freshDir = () => join(root, `models-${++n}`);
const fast = { retries: 3, retryDelayMs: 10 };

beforeAll(async () => {
  hub = await startHubDouble(REPO, REV, FILES);
});
afterAll(() => hub.close());
afterEach(() => {
  hub.requests.length = 0;
});

async function weightsError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof WeightsError))
    throw new Error(`expected a WeightsError, got ${String(err)}`);
  return err.message;
}

/** Files and folders in `dir`, hidden ones included (a partial download is hidden). */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

describe("prepareWeights from the hub", () => {
  it("downloads every file at the pinned revision, checks each sha256, and records the times", async () => {
    const dir = freshDir();
    const events: WeightsEvent[] = [];
    const tracker = new WeightsTracker(pinned());
    const record = await prepareWeights({
      pin: pinned(),
      dir,
      hub: hub.url,
      ...fast,
      onEvent: (e) => {
        events.push(e);
        tracker.onEvent(e);
      },
    });
    for (const [path, body] of Object.entries(FILES)) {
      expect(readFileSync(join(dir, path), "utf8")).toBe(body);
      expect(statSync(join(dir, path)).mode & 0o777).toBe(0o644);
    }
    expect(listing(dir)).toEqual([...Object.keys(FILES), "sub"].sort());
    expect(hub.requests.sort()).toEqual(
      Object.keys(FILES)
        .map((p) => `/${REPO}/resolve/${REV}/${p} -`)
        .sort(),
    );
    expect(record.confirmed).toBe(true);
    expect(record.unpinned).toEqual([]);
    expect(record.files.every((f) => f.source === "hub" && f.pinned)).toBe(true);
    expect(record.files.map((f) => f.sha256)).toEqual(Object.values(FILES).map(sha256));
    const total = Object.values(FILES).reduce((s, b) => s + b.length, 0);
    expect(record.downloadedBytes).toBe(total);
    expect(record.setupMs).toBeGreaterThanOrEqual(record.downloadMs);
    tracker.ready(record.confirmed);
    expect(tracker.status()).toMatchObject({
      state: "ready",
      confirmed: true,
      files: 4,
      filesDone: 4,
      bytesDone: total,
      downloadedBytes: total,
      error: null,
    });
    expect(tracker.refusal()).toBeNull();
    expect(weightsSummary(record)).toMatch(/4 files \(4 from the hub.*; confirmed$/);
    expect(events.filter((e) => e.type === "file-done")).toHaveLength(4);
  });

  it("refuses a file whose bytes do not match the pinned sha256, naming it, and leaves no partial file", async () => {
    const dir = freshDir();
    const pin = pinned();
    const bad = pin.files[1] as WeightsPin["files"][number];
    bad.sha256 = sha256("something else");
    const msg = await weightsError(prepareWeights({ pin, dir, hub: hub.url, ...fast }));
    expect(msg).toBe(
      `model-00001-of-00002.safetensors: the downloaded file's sha256 is ${sha256(FILES["model-00001-of-00002.safetensors"] as string)}, the arena pins ${bad.sha256}`,
    );
    expect(existsSync(join(dir, bad.path))).toBe(false);
    expect(listing(dir).filter((f) => f.includes(".part"))).toEqual([]);
    // Refused at once: a wrong hash is not retried.
    expect(hub.requests.filter((r) => r.includes("00001"))).toHaveLength(1);
  });

  it("stops the downloads in flight when one file is refused, and answers with that file", async () => {
    const dir = freshDir();
    const pin = pinned();
    (pin.files[0] as WeightsPin["files"][number]).sha256 = sha256("not the config");
    const held = hub.hold("model-00002-of-00002.safetensors");
    try {
      const msg = await weightsError(prepareWeights({ pin, dir, hub: hub.url, ...fast }));
      expect(msg).toMatch(/^config\.json: the downloaded file's sha256 is /);
      expect(existsSync(join(dir, "model-00002-of-00002.safetensors"))).toBe(false);
    } finally {
      held.release();
    }
  });

  it("resumes a cut download with a Range request and still checks the whole file's sha256", async () => {
    const dir = freshDir();
    const shard = "model-00001-of-00002.safetensors";
    hub.cut(shard, 1000, 2);
    const retries: string[] = [];
    const record = await prepareWeights({
      pin: pinned(),
      dir,
      hub: hub.url,
      ...fast,
      onEvent: (e) => {
        if (e.type === "retry") retries.push(`${e.path} ${e.attempt}`);
      },
    });
    expect(readFileSync(join(dir, shard), "utf8")).toBe(FILES[shard]);
    expect(retries).toEqual([`${shard} 1`, `${shard} 2`]);
    // Each retry asks for the rest of what the partial file holds (bytes a cut connection had
    // queued but not delivered are asked for again: the file and its hash hold what was written).
    const asked = hub.requests.filter((r) => r.includes(shard)).map((r) => r.split(" ")[1]);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toBe("-");
    expect(asked[2]).toMatch(/^bytes=(1000|2000)-$/);
    // The bytes received: the cut answers' too, each once.
    const total = Object.values(FILES).reduce((s, b) => s + b.length, 0);
    expect(record.downloadedBytes).toBe(total);
  });

  it("resumes a partial file a killed run left, reading its bytes back into the hash", async () => {
    const dir = freshDir();
    const shard = "model-00002-of-00002.safetensors";
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `.${shard}.part`), "B".repeat(1500));
    const record = await prepareWeights({ pin: pinned(), dir, hub: hub.url, ...fast });
    expect(hub.requests).toContain(`/${REPO}/resolve/${REV}/${shard} bytes=1500-`);
    expect(record.files.find((f) => f.path === shard)?.sha256).toBe(sha256(FILES[shard] as string));
    expect(readFileSync(join(dir, shard), "utf8")).toBe(FILES[shard]);
  });

  it("gives up after the bounded retries, naming the file and the last reason", async () => {
    hub.unavailable("config.json", 10);
    const msg = await weightsError(
      prepareWeights({ pin: pinned(), dir: freshDir(), hub: hub.url, retries: 2, retryDelayMs: 5 }),
    );
    expect(msg).toMatch(
      /^config\.json: download failed 3 times, last: .*config\.json answered 503/,
    );
    hub.unavailable("config.json", 0);
  });

  it("does not retry a file the hub does not have at that revision", async () => {
    const pin = pinned({ confirmed: false, files: [{ path: "missing.bin" }] });
    const msg = await weightsError(prepareWeights({ pin, dir: freshDir(), hub: hub.url, ...fast }));
    expect(msg).toBe(
      `missing.bin: ${hubFileUrl(hub.url, REPO, REV, "missing.bin")} answered 404 Not Found`,
    );
    expect(hub.requests).toHaveLength(1);
  });
});

describe("prepareWeights on a folder that holds the weights (a provider volume)", () => {
  const volume = join(root, "volume");
  beforeAll(() => {
    for (const [path, body] of Object.entries(FILES)) {
      mkdirSync(join(volume, path, ".."), { recursive: true });
      writeFileSync(join(volume, path), body);
    }
  });

  it("verifies every file and downloads nothing", async () => {
    const record = await prepareWeights({ pin: pinned(), dir: volume, hub: hub.url, ...fast });
    expect(hub.requests).toEqual([]);
    expect(record.files.every((f) => f.source === "folder" && f.pinned)).toBe(true);
    expect(record).toMatchObject({ confirmed: true, downloadedBytes: 0 });
  });

  it("refuses a file changed on the volume, naming it, with no hub to fall back on", async () => {
    const pin = pinned();
    const shard = pin.files[2] as WeightsPin["files"][number];
    shard.sha256 = sha256(`${"B".repeat(1999)}C`);
    const msg = await weightsError(prepareWeights({ pin, dir: volume, hub: null }));
    expect(msg).toBe(
      `model-00002-of-00002.safetensors: sha256 ${sha256(FILES[shard.path] as string)} in ${volume}, the arena pins ${shard.sha256} (revision ${REV})`,
    );
  });

  it("refuses a file of another size before hashing it", async () => {
    const pin = pinned();
    (pin.files[0] as WeightsPin["files"][number]).size = 5;
    const msg = await weightsError(prepareWeights({ pin, dir: volume, hub: hub.url }));
    expect(msg).toBe(
      `config.json: ${FILES["config.json"]?.length} bytes in ${volume}, the arena pins 5`,
    );
  });

  it("says which file is missing when downloads are off", async () => {
    const pin = pinned({ confirmed: false, files: [...pinned().files, { path: "extra.bin" }] });
    const msg = await weightsError(prepareWeights({ pin, dir: volume, hub: null }));
    expect(msg).toBe(
      `1 of 5 files are missing from ${volume} (first: extra.bin) and downloads are off`,
    );
  });

  it("pins what the folder holds; that pin verifies it", async () => {
    const pin = await pinFolder(volume, { repo: REPO, revision: REV });
    expect(WeightsPinSchema.parse(pin)).toEqual(pinned({ confirmed: false }));
    const record = await prepareWeights({ pin, dir: volume, hub: null });
    // Every hash matched, yet nobody confirmed the pin against the hub.
    expect(record.confirmed).toBe(false);
    expect(weightsSummary(record)).toMatch(/UNCONFIRMED: every file matched its pinned sha256/);
  });
});

describe("an arena that pins no hashes (v1 today)", () => {
  it("computes and records each sha256, reports the weights unconfirmed, and runs", async () => {
    const pin = WeightsPinSchema.parse({
      repo: REPO,
      revision: "main",
      files: Object.keys(FILES).map((path) => ({ path })),
    });
    const dir = freshDir();
    const record = await prepareWeights({
      pin,
      dir,
      hub: hub.url.replace(REV, "main"),
      ...fast,
    }).catch((e: Error) => e.message);
    // The double serves only the pinned commit: "main" is another revision. Files download four at
    // a time, so whichever 404 comes first is the one named.
    expect(record).toMatch(
      new RegExp(
        `^(${Object.keys(FILES)
          .map((f) => f.replaceAll(".", "\\."))
          .join("|")}): .*answered 404`,
      ),
    );
    const onMain = await startHubDouble(REPO, "main", FILES);
    try {
      const r = await prepareWeights({ pin, dir, hub: onMain.url, ...fast });
      expect(r.confirmed).toBe(false);
      expect(r.unpinned).toEqual(Object.keys(FILES));
      expect(r.files.map((f) => f.sha256)).toEqual(Object.values(FILES).map(sha256));
      expect(weightsSummary(r)).toMatch(/UNCONFIRMED: 4 of 4 files have no pinned sha256/);
    } finally {
      await onMain.close();
    }
  });
});

describe("the weights pin in the arena config", () => {
  it("confirmed needs a commit id and every size and sha256", () => {
    const r = WeightsPinSchema.safeParse({
      repo: REPO,
      revision: "main",
      confirmed: true,
      files: [{ path: "a.bin", size: 1 }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      "confirmed weights need a commit id (40 hex digits)",
      "confirmed weights need the size and sha256 of a.bin",
    ]);
  });

  it("refuses paths that leave the folder and files listed twice", () => {
    for (const path of ["../etc/passwd", "/abs", "a/./b", "a//b", "a/.."])
      expect(
        WeightsPinSchema.safeParse({ repo: REPO, revision: REV, files: [{ path }] }).success,
      ).toBe(false);
    const twice = WeightsPinSchema.safeParse({
      repo: REPO,
      revision: REV,
      files: [{ path: "a" }, { path: "a" }],
    });
    expect(twice.error?.issues[0]?.message).toBe("a is listed twice");
  });
});

describe("WeightsTracker", () => {
  it("refuses jobs while preparing and after a failure, with the reason", () => {
    let t = 1000;
    const tracker = new WeightsTracker(pinned(), () => t);
    t = 4000;
    expect(tracker.refusal()).toBe("the pod is still preparing its weights (0 of 4 files)");
    expect(tracker.status()).toMatchObject({ state: "preparing", setupMs: 3000 });
    tracker.failed("config.json: answered 404");
    t = 9000;
    expect(tracker.refusal()).toBe("the pod's weights are refused: config.json: answered 404");
    expect(tracker.status()).toMatchObject({
      state: "failed",
      setupMs: 3000,
      error: "config.json: answered 404",
    });
  });
});
