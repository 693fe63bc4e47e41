// The artifact store: keys, the local folder, and S3 through a spool against a real s3rver on
// loopback (outages by stopping it, restarts by a new store over the same spool), kills of a child
// process mid-put, and the choice of store from the environment.
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ARTIFACT_KEY_MAX,
  ArtifactConfigError,
  type ArtifactStore,
  artifactKeyProblem,
  artifactStoreFromEnv,
  assertArtifactKey,
  createLocalArtifactStore,
  createS3ArtifactStore,
} from "../../src/store/artifacts/index.js";
import { backoffMs, UploadQueue } from "../../src/store/artifacts/uploads.js";
import { closedPort } from "../helpers/ports.js";
import { BUCKET, CREDENTIALS, objectText, s3Client, startS3 } from "../helpers/s3.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const RETRY = { baseMs: 20, maxMs: 200 };
const tmp = (what: string) => mkdtempSync(join(tmpdir(), `cacheon-artifacts-${what}-`));

const text = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString("utf8") : null);

/** Every file under `dir` but the store's own "." folders, as keys. */
function keysIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => !p.startsWith(".") && statSync(join(dir, p)).isFile())
    .sort();
}

const stores: ArtifactStore[] = [];
const track = <T extends ArtifactStore>(s: T): T => {
  stores.push(s);
  return s;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe("artifact keys", () => {
  it("accepts only canonical relative paths inside the folder", () => {
    const chars = fc.constantFrom(..."ab09._/-A .\\:%".split(""));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 24 }), (key) => {
        if (artifactKeyProblem(key) !== null) return;
        // Accepted: it names one file below the folder, spelled one way only.
        expect(normalize(key)).toBe(key);
        const rel = relative("/root", join("/root", key));
        expect(rel).toBe(key);
        expect(rel.startsWith("..")).toBe(false);
        expect(key).toMatch(/^[a-z0-9][a-z0-9._/-]*$/);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts the keys the validator uses and rejects the rest with one clear line", () => {
    for (const ok of ["jobs/12/attempt-1/report.json", "a", "0.log", "x/y_z-1.txt"])
      expect(() => assertArtifactKey(ok)).not.toThrow();
    expect(() => assertArtifactKey("x".repeat(ARTIFACT_KEY_MAX))).not.toThrow();
    const bad: [string, RegExp][] = [
      ["", /empty/],
      ["/etc/passwd", /must start with/],
      ["Jobs/1", /must start with/],
      ["a/../../b", /"\.\."/],
      ["a..b", /"\.\."/],
      ["a//b", /empty or "\." path segment/],
      ["a/./b", /empty or "\." path segment/],
      ["a/", /empty or "\." path segment/],
      [".tmp/x", /must start with/],
      ["a b", /must start with/],
      ["x".repeat(ARTIFACT_KEY_MAX + 1), /longer than 512/],
    ];
    for (const [key, why] of bad) {
      expect(() => assertArtifactKey(key)).toThrow(why);
      expect(() => assertArtifactKey(key)).toThrow(/^invalid artifact key "/);
    }
  });
});

describe("backoff", () => {
  it("doubles from baseMs after each failed round, never past maxMs", () => {
    const policy = fc
      .tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }))
      .map(([baseMs, maxMs]) => ({ baseMs, maxMs }));
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 200 }), (retry, n) => {
        const wait = backoffMs(n, retry);
        expect(wait).toBe(Math.min(retry.maxMs, retry.baseMs * 2 ** (n - 1)));
        expect(wait).toBeLessThanOrEqual(retry.maxMs);
        expect(backoffMs(n + 1, retry)).toBeGreaterThanOrEqual(wait);
      }),
    );
  });
});

describe("upload queue", () => {
  const quiet = () => {};

  it("sends a key that always fails to the back, so the others still go up", async () => {
    const uploaded: string[] = [];
    const queue = new UploadQueue({
      upload: async (key) => {
        if (key === "bad") throw new Error("403 forbidden");
        uploaded.push(key);
      },
      settled: async () => {},
      retry: { baseMs: 5, maxMs: 10 },
      log: quiet,
    });
    queue.add("bad", "text/plain");
    queue.add("good-1", "text/plain");
    await vi.waitFor(() => expect(uploaded).toEqual(["good-1"]), { timeout: 2000 });
    queue.add("good-2", "text/plain");
    await vi.waitFor(() => expect(uploaded).toEqual(["good-1", "good-2"]), { timeout: 2000 });
    expect(queue.size).toBe(1);
    await queue.close();
  });

  it("keeps a key waiting when it was put again during its upload, and uploads it again", async () => {
    let release = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const uploads: string[] = [];
    const settled: string[] = [];
    const queue = new UploadQueue({
      upload: async (key, contentType) => {
        uploads.push(`${key}:${contentType}`);
        if (uploads.length === 1) await blocked;
      },
      settled: async (key) => {
        settled.push(key);
      },
      retry: RETRY,
      log: quiet,
    });
    queue.add("k", "v1");
    await vi.waitFor(() => expect(uploads).toEqual(["k:v1"]));
    queue.add("k", "v2"); // new bytes arrive while v1 is in flight
    release();
    expect(await queue.flush()).toBe(0);
    expect(uploads).toEqual(["k:v1", "k:v2"]);
    expect(settled).toEqual(["k"]); // the marker went only once the newest bytes were up
    await queue.close();
  });

  it("logs each failed attempt and retries on its own with backoff", async () => {
    const logs: Record<string, unknown>[] = [];
    let failuresLeft = 3;
    const queue = new UploadQueue({
      upload: async () => {
        if (failuresLeft-- > 0) throw Object.assign(new Error("connect refused"), { code: "X" });
      },
      settled: async () => {},
      retry: { baseMs: 10, maxMs: 40 },
      log: (o) => logs.push(o),
    });
    queue.add("k", "t");
    await vi.waitFor(() => expect(queue.size).toBe(0), { timeout: 2000 });
    expect(logs.map((l) => [l.key, l.attempt, l.retryInMs, l.reason])).toEqual([
      ["k", 1, 10, "X: connect refused"],
      ["k", 2, 20, "X: connect refused"],
      ["k", 3, 40, "X: connect refused"],
    ]);
    await queue.close();
  });
});

describe("local artifact store", () => {
  it("round-trips bytes and text, knows no other keys, and says where it is", async () => {
    const dir = tmp("local");
    const store = track(createLocalArtifactStore(dir));
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    await store.put("jobs/1/report.json", '{"ok":true}', "application/json");
    await store.put("jobs/1/blob", bytes, "application/octet-stream");
    await store.put("empty", "", "text/plain");
    expect(text(await store.get("jobs/1/report.json"))).toBe('{"ok":true}');
    expect(Buffer.from((await store.get("jobs/1/blob")) ?? [])).toEqual(Buffer.from(bytes));
    expect(text(await store.get("empty"))).toBe("");
    expect(await store.get("jobs/2/report.json")).toBeNull();
    expect(await store.get("jobs")).toBeNull(); // a folder is no artifact
    expect(readFileSync(join(dir, "jobs/1/report.json"), "utf8")).toBe('{"ok":true}');
    expect(store.pending()).toBe(0);
    expect(await store.flush()).toBe(0);
    expect(store.describe()).toBe(`local folder ${resolve(dir)}`);
  });

  it("leaves the file alone on a re-put of the same bytes and replaces it for new bytes", async () => {
    const dir = tmp("local-reput");
    const store = track(createLocalArtifactStore(dir));
    await store.put("a/log", "first", "text/plain");
    const before = statSync(join(dir, "a/log"));
    await store.put("a/log", Buffer.from("first"), "text/plain");
    const after = statSync(join(dir, "a/log"));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    await store.put("a/log", "second", "text/plain");
    expect(text(await store.get("a/log"))).toBe("second");
    expect(keysIn(dir)).toEqual(["a/log"]);
  });

  it("rejects bad keys on put and get", async () => {
    const store = track(createLocalArtifactStore(tmp("local-keys")));
    await expect(store.put("../escape", "x", "text/plain")).rejects.toThrow(/invalid artifact key/);
    await expect(store.get("/abs")).rejects.toThrow(/invalid artifact key/);
  });

  it("never shows a reader half an artifact while it is being replaced", async () => {
    const dir = tmp("local-readers");
    const store = track(createLocalArtifactStore(dir));
    const size = 8 << 20;
    const bodies = [1, 2, 3].map((b) => Buffer.alloc(size, b));
    let writing = true;
    const writer = (async () => {
      for (const body of bodies) await store.put("big", body, "application/octet-stream");
      writing = false;
    })();
    while (writing) {
      const got = await store.get("big");
      if (got === null) continue;
      expect(got.length).toBe(size);
      expect(got.every((b) => b === got[0])).toBe(true);
    }
    await writer;
    expect((await store.get("big"))?.every((b) => b === 3)).toBe(true);
    expect(keysIn(dir)).toEqual(["big"]);
  });
});

// A child that puts artifacts in a loop under TAG/ until it is SIGKILLed: "local DIR TAG" replaces
// 2 MiB artifacts (a cut-short file shows as a short or mixed one); "s3 SPOOL TAG ENDPOINT" puts
// small new ones (a put is mostly its marker and rename, the steps whose order matters).
const LOCAL_SIZE = 2 << 20;
const S3_SIZE = 4096;
const CHILD = `
const [mode, dir, tag, endpoint] = process.argv.slice(1);
const m = await import(${JSON.stringify(join(ROOT, "dist/src/store/artifacts/index.js"))});
const store = mode === "local"
  ? m.createLocalArtifactStore(dir)
  : m.createS3ArtifactStore({ bucket: "${BUCKET}", region: "us-east-1", endpoint, spoolDir: dir,
      credentials: ${JSON.stringify(CREDENTIALS)}, retry: { baseMs: 60000, maxMs: 60000 } });
const [size, keys] = mode === "local" ? [${LOCAL_SIZE}, 5] : [${S3_SIZE}, Infinity];
for (let i = 0; ; i++) {
  await store.put(tag + "/" + (i % keys), Buffer.alloc(size, i % 251), "application/octet-stream");
  process.stdout.write(i + "\\n");
}`;

/** Starts the child, lets it finish `puts` puts and then some, and SIGKILLs it. */
async function killMidPut(args: string[], puts: number, extraMs: number): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  await new Promise<void>((resolvePut, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.split("\n").length > puts) resolvePut();
    });
  });
  await new Promise((r) => setTimeout(r, extraMs));
  child.removeAllListeners("exit");
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** Every artifact in `dir` is whole: `size` bytes of one value. */
function expectWhole(dir: string, size: number): string[] {
  const keys = keysIn(dir);
  for (const key of keys) {
    const bytes = readFileSync(join(dir, key));
    expect(bytes.length, key).toBe(size);
    expect(
      bytes.every((b) => b === bytes[0]),
      key,
    ).toBe(true);
  }
  return keys;
}

describe("kills mid-put", () => {
  it("leave whole artifacts or none, and the next store clears the temp files", async () => {
    const dir = tmp("kill-local");
    for (const extraMs of [0, 7, 23]) {
      await killMidPut(["local", dir, "run"], 3, extraMs);
      expect(expectWhole(dir, LOCAL_SIZE).length).toBeGreaterThan(0);
    }
    const store = track(createLocalArtifactStore(dir));
    expect(readdirSync(join(dir, ".tmp"))).toEqual([]);
    for (const key of keysIn(dir)) expect((await store.get(key))?.length).toBe(LOCAL_SIZE);
  });

  it("lose no upload: what a killed S3 store had in its spool reaches S3 from the next one", async () => {
    const spool = tmp("kill-s3-spool");
    const down = `http://127.0.0.1:${await closedPort()}`;
    for (const [run, extraMs] of [0, 1, 3, 6].entries())
      await killMidPut(["s3", spool, `run${run}`, down], 3, extraMs);
    const keys = expectWhole(spool, S3_SIZE);
    const s3 = await startS3(tmp("kill-s3-data"));
    const client = s3Client(s3.endpoint);
    try {
      const store = track(
        createS3ArtifactStore({
          bucket: BUCKET,
          region: "us-east-1",
          endpoint: s3.endpoint,
          spoolDir: spool,
          credentials: CREDENTIALS,
          retry: RETRY,
        }),
      );
      // Every artifact in the spool was still waiting: none may have lost its marker.
      expect(store.pending()).toBe(keys.length);
      expect(await store.flush()).toBe(0);
      for (const key of keys)
        expect(await objectText(client, key), key).toBe(readFileSync(join(spool, key), "utf8"));
    } finally {
      client.destroy();
      await s3.stop();
    }
  });
});

describe("S3 artifact store", () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let s3Dir: string;
  let client: S3Client;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    s3Dir = tmp("s3rver");
    s3 = await startS3(s3Dir);
    client = s3Client(s3.endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });
  afterEach(() => {
    logs.length = 0;
  });

  const s3Store = (spoolDir: string) =>
    track(
      createS3ArtifactStore({
        bucket: BUCKET,
        region: "us-east-1",
        endpoint: s3.endpoint,
        spoolDir,
        credentials: CREDENTIALS,
        retry: RETRY,
        log: (o) => logs.push(o),
      }),
    );

  /** Stops s3rver for the length of `during`, then starts it again on the same port and data. */
  async function outage(during: () => Promise<void>): Promise<void> {
    await s3.stop();
    try {
      await during();
    } finally {
      s3 = await startS3(s3Dir, s3.port);
    }
  }

  it("uploads what it keeps, with its content type, and reads back from S3 without a local copy", async () => {
    const spool = tmp("s3-roundtrip");
    const store = s3Store(spool);
    expect(store.describe()).toBe(`s3://${BUCKET} at ${s3.endpoint} (spool ${resolve(spool)})`);
    await store.put("rt/report.json", '{"score":1}', "application/json");
    await store.put("rt/empty.log", "", "text/plain");
    expect(await store.flush()).toBe(0);
    expect(await objectText(client, "rt/report.json")).toBe('{"score":1}');
    expect(await objectText(client, "rt/empty.log")).toBe("");
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: "rt/report.json" }),
    );
    expect(head.ContentType).toBe("application/json");
    // A store over an empty spool (another host) finds it in S3; an unknown key is null.
    const fresh = s3Store(tmp("s3-roundtrip-fresh"));
    expect(text(await fresh.get("rt/report.json"))).toBe('{"score":1}');
    expect(await fresh.get("rt/missing.json")).toBeNull();
    await expect(fresh.put("RT/x", "x", "text/plain")).rejects.toThrow(/invalid artifact key/);
    expect(logs).toEqual([]);
  });

  it("does nothing on a re-put of the same bytes once uploaded, and uploads new bytes", async () => {
    const store = s3Store(tmp("s3-reput"));
    await store.put("reput/a", "same", "text/plain");
    expect(await store.flush()).toBe(0);
    // Take it out of the bucket behind the store's back: a no-op re-put must not bring it back.
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "reput/a" }));
    await store.put("reput/a", "same", "text/plain");
    expect(store.pending()).toBe(0);
    expect(await store.flush()).toBe(0);
    expect(await objectText(client, "reput/a")).toBeNull();
    await Promise.all([
      store.put("reput/a", "v2", "text/plain"),
      store.put("reput/a", "v3", "text/plain"),
    ]);
    expect(await store.flush()).toBe(0);
    expect(await objectText(client, "reput/a")).toBe(text(await store.get("reput/a")));
  });

  it("keeps artifacts through an outage and uploads them by itself once S3 is back", async () => {
    const spool = tmp("s3-outage");
    const store = s3Store(spool);
    await outage(async () => {
      await store.put("outage/one.json", "1", "application/json");
      await store.put("outage/two.log", "2", "text/plain");
      expect(store.pending()).toBe(2);
      expect(text(await store.get("outage/one.json"))).toBe("1");
      expect(text(await store.get("outage/two.log"))).toBe("2");
      await vi.waitFor(() => expect(logs.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    });
    // No flush: the retry timer finds S3 back.
    await vi.waitFor(() => expect(store.pending()).toBe(0), { timeout: 10_000 });
    expect(await objectText(client, "outage/one.json")).toBe("1");
    expect(await objectText(client, "outage/two.log")).toBe("2");
    for (const line of logs) {
      expect(line).toMatchObject({ msg: "artifact upload failed" });
      expect(["outage/one.json", "outage/two.log"]).toContain(line.key);
      expect(String(line.reason)).not.toBe("");
    }
    expect(JSON.stringify(logs)).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it("uploads what a previous store left waiting, from a new store over the same spool", async () => {
    const spool = tmp("s3-restart");
    let second: ArtifactStore | undefined;
    await outage(async () => {
      const first = s3Store(spool);
      await first.put("restart/a", "A", "text/plain");
      await first.put("restart/b", "B", "text/plain");
      expect(await first.flush()).toBe(2);
      await first.close();
      second = s3Store(spool);
      expect(second.pending()).toBe(2);
      // A re-put of the same bytes (a restarted validator) keeps it waiting, once.
      await second.put("restart/a", "A", "text/plain");
      expect(second.pending()).toBe(2);
    });
    expect(await second?.flush()).toBe(0);
    expect(await objectText(client, "restart/a")).toBe("A");
    expect(await objectText(client, "restart/b")).toBe("B");
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "restart/" }),
    );
    expect(listed.KeyCount).toBe(2);
    // A third store finds nothing left to do.
    expect(s3Store(spool).pending()).toBe(0);
  });

  it("says why a read from S3 failed, in one line", async () => {
    const store = track(
      createS3ArtifactStore({
        bucket: "no-such-bucket",
        region: "us-east-1",
        endpoint: s3.endpoint,
        spoolDir: tmp("s3-nobucket"),
        credentials: CREDENTIALS,
        retry: RETRY,
      }),
    );
    await expect(store.get("x")).rejects.toThrow(
      /^cannot read artifact x from s3:\/\/no-such-bucket: NoSuchBucket.*\(HTTP 404\)$/,
    );
  });
});

describe("artifactStoreFromEnv", () => {
  it("keeps artifacts in the local folder when no bucket is set (blanks count as unset)", async () => {
    const dir = tmp("env-local");
    for (const env of [
      {},
      { CACHEON_S3_BUCKET: "", CACHEON_S3_ENDPOINT: "", AWS_REGION: "", AWS_ACCESS_KEY_ID: "k" },
      { CACHEON_S3_BUCKET: "  " },
    ]) {
      const store = track(artifactStoreFromEnv(env, dir));
      expect(store.describe()).toBe(`local folder ${resolve(dir)}`);
    }
  });

  it("uses S3 when a bucket is set, with the endpoint and credentials given", async () => {
    const s3 = await startS3(tmp("env-s3"));
    const client = s3Client(s3.endpoint);
    try {
      const spool = tmp("env-spool");
      const store = track(
        artifactStoreFromEnv(
          {
            CACHEON_S3_BUCKET: BUCKET,
            CACHEON_S3_ENDPOINT: `${s3.endpoint}/`,
            AWS_REGION: "",
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          },
          spool,
          { retry: RETRY },
        ),
      );
      expect(store.describe()).toBe(`s3://${BUCKET} at ${s3.endpoint} (spool ${resolve(spool)})`);
      await store.put("env/x", "from env", "text/plain");
      expect(await store.flush()).toBe(0);
      expect(await objectText(client, "env/x")).toBe("from env");
      const aws = track(artifactStoreFromEnv({ CACHEON_S3_BUCKET: "my.bucket-1" }, tmp("env-aws")));
      expect(aws.describe()).toMatch(/^s3:\/\/my\.bucket-1 at AWS us-east-1 \(spool /);
    } finally {
      client.destroy();
      await s3.stop();
    }
  });

  it("rejects settings it cannot use with one clear line", () => {
    const dir = tmp("env-bad");
    const bad: [Record<string, string>, RegExp][] = [
      [{ CACHEON_S3_BUCKET: "Bad_Bucket" }, /^CACHEON_S3_BUCKET "Bad_Bucket" is not an S3 bucket/],
      [{ CACHEON_S3_BUCKET: "ab" }, /is not an S3 bucket name/],
      [{ CACHEON_S3_ENDPOINT: "http://minio:9000" }, /CACHEON_S3_BUCKET is empty/],
      [
        { CACHEON_S3_BUCKET: "b1b", CACHEON_S3_ENDPOINT: "minio:9000" },
        /must be an http:\/\/ or https:\/\/ URL/,
      ],
      [{ CACHEON_S3_BUCKET: "b1b", CACHEON_S3_ENDPOINT: "not a url" }, /is not a URL/],
      [
        { CACHEON_S3_BUCKET: "b1b", CACHEON_S3_ENDPOINT: "http://minio:9000/bucket" },
        /origin alone/,
      ],
      [
        { CACHEON_S3_BUCKET: "b1b", AWS_REGION: "minio" },
        /AWS_REGION "minio" is not an AWS region such as us-east-1 \(for another S3-compatible server, set CACHEON_S3_ENDPOINT\)/,
      ],
      [
        { CACHEON_S3_BUCKET: "b1b", CACHEON_S3_ENDPOINT: "http://m:9000", AWS_REGION: "Us East" },
        /AWS_REGION "Us East" is not a region name/,
      ],
      [{ CACHEON_S3_BUCKET: "b1b", AWS_ACCESS_KEY_ID: "id" }, /^AWS_SECRET_ACCESS_KEY is empty/],
      [
        { CACHEON_S3_BUCKET: "b1b", AWS_SECRET_ACCESS_KEY: "hunter22" },
        /^AWS_ACCESS_KEY_ID is empty/,
      ],
      [
        { CACHEON_S3_BUCKET: "b1b", CACHEON_S3_ENDPOINT: "http://id:hunter22@minio:9000" },
        /^CACHEON_S3_ENDPOINT must not hold credentials/,
      ],
    ];
    for (const [env, why] of bad) {
      let error: unknown;
      try {
        track(artifactStoreFromEnv(env, dir));
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ArtifactConfigError);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).not.toContain("\n");
      expect((error as Error).message).not.toContain("hunter22");
    }
  });

  it("creates the folder it is given and clears the temp files a kill left there", () => {
    const dir = join(tmp("env-mkdir"), "state/artifacts");
    track(artifactStoreFromEnv({}, dir));
    expect(existsSync(join(dir, ".tmp"))).toBe(true);
    writeFileSync(join(dir, ".tmp/left-by-a-kill"), "partial");
    track(artifactStoreFromEnv({}, dir));
    expect(readdirSync(join(dir, ".tmp"))).toEqual([]);
  });
});
