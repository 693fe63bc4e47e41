// A real registry on loopback for tests: the product's starter (src/runtime/docker/local-registry.ts)
// plus uploads through the registry's own HTTP API, so tests put exactly the blobs and manifests they
// need there. The Docker suite pushes images to it with the engine as well.
import { createHash } from "node:crypto";
import { request } from "undici";
import { REGISTRY_BIN } from "../../src/runtime/docker/local-registry.js";

export {
  HAS_REGISTRY,
  type LocalRegistry,
  REGISTRY_BIN,
  startLocalRegistry,
} from "../../src/runtime/docker/local-registry.js";
export const REGISTRY_SKIP_REASON = `${REGISTRY_BIN} not found (apt-get install docker-registry): the tests against a real registry are skipped`;

export const sha256Digest = (bytes: Uint8Array | string): string =>
  `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Uploads a blob (monolithic POST then PUT ?digest=) and returns its descriptor. */
export async function pushBlob(
  host: string,
  repository: string,
  bytes: Uint8Array | string,
  mediaType: string,
): Promise<Descriptor> {
  const body = Buffer.from(bytes);
  const digest = sha256Digest(body);
  const start = await request(`http://${host}/v2/${repository}/blobs/uploads/`, {
    method: "POST",
  });
  await start.body.dump();
  const location = start.headers.location;
  if (start.statusCode !== 202 || typeof location !== "string")
    throw new Error(`blob upload to ${repository} did not start: HTTP ${start.statusCode}`);
  const put = new URL(location, `http://${host}`);
  put.searchParams.set("digest", digest);
  const done = await request(put, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body,
  });
  const text = await done.body.text();
  if (done.statusCode !== 201)
    throw new Error(`blob upload to ${repository} failed: HTTP ${done.statusCode} ${text}`);
  return { mediaType, digest, size: body.length };
}

/** PUTs a manifest or index under its own digest, which it returns with its descriptor. */
export async function pushManifest(
  host: string,
  repository: string,
  manifest: { mediaType: string } & Record<string, unknown>,
): Promise<Descriptor> {
  const body = Buffer.from(JSON.stringify(manifest));
  const digest = sha256Digest(body);
  const res = await request(`http://${host}/v2/${repository}/manifests/${digest}`, {
    method: "PUT",
    headers: { "content-type": manifest.mediaType },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201)
    throw new Error(`manifest upload to ${repository} failed: HTTP ${res.statusCode} ${text}`);
  return { mediaType: manifest.mediaType, digest, size: body.length };
}
