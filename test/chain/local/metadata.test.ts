// The metadata the local chain runs: finney's runtime 424, shipped in data/subtensor/ exactly as
// recorded there (sha256), chosen unless --metadata or $CACHEON_SUBTENSOR_METADATA names another
// file; a named file that is missing or not metadata is refused in one line.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { u8aToHex } from "@polkadot/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FINNEY_METADATA,
  loadRuntime,
  METADATA_ENV,
  MetadataMissingError,
  metadataPath,
} from "../../../src/chain/local/runtime.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-metadata-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run `fn` with $CACHEON_SUBTENSOR_METADATA set to `value` (unset for undefined), then restore it. */
function withEnv<T>(value: string | undefined, fn: () => T): T {
  const before = process.env[METADATA_ENV];
  if (value === undefined) delete process.env[METADATA_ENV];
  else process.env[METADATA_ENV] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[METADATA_ENV];
    else process.env[METADATA_ENV] = before;
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

describe("finney's runtime-424 metadata in the repository", () => {
  it("is the file its README records: size and sha256", () => {
    const readme = readFileSync(join(dirname(FINNEY_METADATA), "README.md"), "utf8");
    const recorded = /\| sha256 \| `([0-9a-f]{64})` \|/.exec(readme)?.[1];
    const bytes = readFileSync(FINNEY_METADATA);
    expect(readme).toContain(`${bytes.length.toLocaleString("en-US")} bytes`);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(recorded);
  });

  it("loads once as V16 with subtensor's pallets at their indices, and says what it is", () => {
    const runtime = withEnv(undefined, () => loadRuntime());
    expect(withEnv(undefined, () => loadRuntime())).toBe(runtime);
    expect(runtime.description).toBe(
      "finney's runtime-424 metadata (finney-spec424-metadata.scale)",
    );
    expect(runtime.metadataVersion).toBe(16);
    // "meta" then version 16, as state_getMetadata serves it.
    expect(u8aToHex(runtime.bytes.subarray(0, 5))).toBe("0x6d65746110");
    const pallets = new Map(
      runtime.metadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]),
    );
    expect(pallets.get("SubtensorModule")).toBe(7);
    expect(pallets.get("Commitments")).toBe(18);
    expect(pallets.get("Drand")).toBe(26);
  });
});

describe("which metadata the local chain runs", () => {
  it("takes --metadata, else $CACHEON_SUBTENSOR_METADATA, else finney's", () => {
    const file = join(dir, "some.scale");
    const other = join(dir, "other.scale");
    withEnv(file, () => {
      expect(metadataPath()).toBe(file);
      expect(metadataPath(other)).toBe(other);
    });
    withEnv(undefined, () => {
      expect(metadataPath()).toBe(FINNEY_METADATA);
      expect(metadataPath(other)).toBe(other);
    });
  });

  it("refuses a named file that is missing or not metadata, in one line", async () => {
    const junk = join(dir, "junk.scale");
    await writeFile(junk, "not metadata");
    for (const [path, message] of [
      [join(dir, "missing.scale"), /^subtensor metadata not found at .*missing\.scale: /],
      [junk, /^.*junk\.scale is not SCALE runtime metadata: /],
    ] as const) {
      const err = thrown(() => loadRuntime(path));
      expect(err).toBeInstanceOf(MetadataMissingError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });
});
