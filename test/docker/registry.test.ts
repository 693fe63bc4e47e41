// Manifests from a real registry: Debian's docker-registry on loopback (the Docker suite installs
// it; the main suite's test/runtime/registry.test.ts has the registries that misbehave).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchManifestSummary } from "../../src/runtime/docker/registry.js";
import {
  configFor,
  DOCKER_CONFIG,
  DOCKER_LAYER,
  DOCKER_MANIFEST,
  imageRef,
  LOOPBACK,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
  refusal,
} from "../helpers/manifests.js";
import {
  type Descriptor,
  type LocalRegistry,
  pushBlob,
  pushManifest,
  sha256Digest,
  startLocalRegistry,
} from "../helpers/registry.js";
import { SKIP } from "./fixture.js";

describe.skipIf(SKIP)("manifests from Debian's docker-registry on loopback", () => {
  let registry: LocalRegistry;
  let single: Descriptor;
  let singleBytes: number;
  let index: Descriptor;
  let amd64: Descriptor;
  let arm64: Descriptor;

  beforeAll(async () => {
    registry = await startLocalRegistry();
    const { host } = registry;

    const config = await pushBlob(host, "cacheon/single", configFor("amd64"), DOCKER_CONFIG);
    const layers = [
      await pushBlob(host, "cacheon/single", randomBytes(1000), DOCKER_LAYER),
      await pushBlob(host, "cacheon/single", randomBytes(2500), DOCKER_LAYER),
    ];
    single = await pushManifest(host, "cacheon/single", {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config,
      layers,
    });
    singleBytes = config.size + 1000 + 2500;

    const platformManifest = async (arch: string, layerSizes: number[]) =>
      pushManifest(host, "cacheon/multi", {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: await pushBlob(host, "cacheon/multi", configFor(arch), OCI_CONFIG),
        layers: await Promise.all(
          layerSizes.map((n) => pushBlob(host, "cacheon/multi", randomBytes(n), OCI_LAYER)),
        ),
      });
    amd64 = await platformManifest("amd64", [3000]);
    arm64 = await platformManifest("arm64", [700, 800]);
    index = await pushManifest(host, "cacheon/multi", {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...arm64, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { ...amd64, platform: { os: "linux", architecture: "amd64" } },
      ],
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("sums a Docker v2 manifest's layers and config", async () => {
    const ref = imageRef(`${registry.host}/cacheon/single:v1@${single.digest}`);
    expect(await fetchManifestSummary(ref, LOOPBACK)).toStrictEqual({
      digest: single.digest,
      compressedBytes: singleBytes,
      layers: 2,
    });
  });

  it("picks linux/amd64 from an OCI index by default, another platform when asked", async () => {
    const ref = imageRef(`${registry.host}/cacheon/multi@${index.digest}`);
    const amd64Config = Buffer.byteLength(configFor("amd64"));
    expect(await fetchManifestSummary(ref, LOOPBACK)).toStrictEqual({
      digest: index.digest,
      platformDigest: amd64.digest,
      compressedBytes: 3000 + amd64Config,
      layers: 1,
    });
    const arm = await fetchManifestSummary(ref, {
      ...LOOPBACK,
      platform: { os: "linux", architecture: "arm64" },
    });
    expect(arm).toStrictEqual({
      digest: index.digest,
      platformDigest: arm64.digest,
      compressedBytes: 700 + 800 + Buffer.byteLength(configFor("arm64")),
      layers: 2,
    });
  });

  it("names the platforms an index has when the one asked for is missing", async () => {
    const ref = imageRef(`${registry.host}/cacheon/multi@${index.digest}`);
    const message = await refusal(ref, "no_platform", {
      platform: { os: "windows", architecture: "amd64" },
    });
    expect(message).toContain("no windows/amd64 image in the index");
    expect(message).toContain("linux/arm64/v8, linux/amd64");
  });

  it("says not_found for a digest the registry does not have", async () => {
    const ref = imageRef(`${registry.host}/cacheon/single@${sha256Digest("nothing")}`);
    expect(await refusal(ref, "not_found")).toContain(`has no manifest ${sha256Digest("nothing")}`);
  });
});
