// What a miner's image reference resolves to, checked the way the pod checks it: media types,
// the one-line refusals of fetchManifestSummary, and image references from text (shared by the
// registry tests in the main suite and the Docker suite).
import { expect } from "vitest";
import { type ImageRef, parseImageRef } from "../../src/contract/image-ref.js";
import {
  fetchManifestSummary,
  type ManifestOptions,
  RegistryError,
  type RegistryErrorKind,
} from "../../src/runtime/docker/registry.js";

export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

export function imageRef(text: string): ImageRef {
  const parsed = parseImageRef(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.ref;
}

/** The registries tests start are on loopback, which only an arena that allows it lets the pod reach. */
export const LOOPBACK: ManifestOptions = { allowPrivateRegistry: true };

/** The RegistryError a fetch (with LOOPBACK unless `opts` says otherwise) rejects with, checked for its kind and one-line message. */
export async function refusal(
  ref: ImageRef,
  kind: RegistryErrorKind,
  opts?: ManifestOptions,
): Promise<string> {
  const err = await fetchManifestSummary(ref, { ...LOOPBACK, ...opts }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  const { kind: actual, message } = err as RegistryError;
  expect({ kind: actual, message }).toMatchObject({ kind });
  expect(message.startsWith(`${ref.text}: `)).toBe(true);
  expect(message).not.toContain("\n");
  return message;
}

export const configFor = (arch: string) =>
  JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: [] } });
