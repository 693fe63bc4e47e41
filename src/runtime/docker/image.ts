// Getting a candidate's image onto the pod, exactly the one committed: the reference must pin a
// digest; the registry's manifest must not already prove it too large (compressed layers over the
// arena's limit: refused unpulled); the engine pulls by digest; the pulled image must carry that
// repo digest and its unpacked size must fit the limit. Anything the miner got wrong is an
// ImageRefused with the reason; an unreachable registry or engine is a plain error. Both reasons
// reach the public report, so an unreachable registry's is only that: how the connection failed
// goes to the operator's log.
import type Dockerode from "dockerode";
import { type ImageRef, parseImageRef } from "../../contract/image-ref.js";
import { ImageRefused } from "../runtime.js";
import { fetchManifestSummary, RegistryError } from "./registry.js";

export interface PulledImage {
  ref: ImageRef;
  /** The engine's image id (sha256 of the config): containers are created from exactly this. */
  id: string;
  /** Unpacked size as the engine reports it, bytes. */
  sizeBytes: number;
  /** The image's own USER ("" when it sets none). */
  user: string;
  pullMs: number;
}

export interface PullOptions {
  maxBytes: number;
  signal?: AbortSignal;
  onStatus?: (line: string) => void;
  /** Registries spoken to over plain http (default: loopback ones). */
  insecure?: (registry: string) => boolean;
  /** Registries and token realms on non-public hosts too (the arena's `registry.allowPrivateHosts`). */
  allowPrivateHosts?: boolean;
  /** The operator's log: what the public reason leaves out. */
  log?: (line: string) => void;
}

const MB = 1e6;
const fmtBytes = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / MB).toFixed(1)} MB`;

/** `docker.io/library/x` and `x` name the same repository: compare names the way Docker prints them. */
function familiarName(name: string): string {
  return name
    .replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "")
    .replace(/^library\//, "");
}

/** Parses the reference or refuses it (tag without digest, bad name). */
export function pinnedRef(text: string): ImageRef {
  const parsed = parseImageRef(text);
  if (!parsed.ok) throw new ImageRefused(parsed.reason);
  return parsed.ref;
}

async function checkManifest(ref: ImageRef, opts: PullOptions): Promise<void> {
  try {
    const m = await fetchManifestSummary(ref, {
      signal: opts.signal,
      insecure: opts.insecure,
      allowPrivateRegistry: opts.allowPrivateHosts,
      allowPrivateRealm: opts.allowPrivateHosts,
    });
    if (m.compressedBytes > opts.maxBytes)
      throw new ImageRefused(
        `${ref.text} is ${fmtBytes(m.compressedBytes)} compressed in its registry, above the arena's ${fmtBytes(opts.maxBytes)} limit (not pulled)`,
      );
  } catch (err) {
    if (err instanceof RegistryError && err.kind !== "unreachable")
      throw new ImageRefused(err.message);
    if (err instanceof RegistryError) {
      if (err.publicMessage !== err.message) opts.log?.(err.message);
      throw new Error(err.publicMessage);
    }
    throw err;
  }
}

async function pull(docker: Dockerode, ref: ImageRef, opts: PullOptions): Promise<void> {
  const stream = (await docker.createImage({
    fromImage: ref.name,
    tag: ref.digest,
    abortSignal: opts.signal,
  })) as NodeJS.ReadableStream;
  const layers = new Map<string, { current: number; total: number }>();
  let lastReport = 0;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new ImageRefused(`pulling ${ref.text} failed: ${failed.trim()}`));
        else resolve();
      },
      (e: {
        id?: string;
        status?: string;
        progressDetail?: { current?: number; total?: number };
      }) => {
        if (e.id && e.progressDetail?.total)
          layers.set(e.id, {
            current: e.progressDetail.current ?? 0,
            total: e.progressDetail.total,
          });
        const now = performance.now();
        if (layers.size > 0 && now - lastReport > 5_000) {
          lastReport = now;
          let done = 0;
          let total = 0;
          for (const l of layers.values()) {
            done += l.current;
            total += l.total;
          }
          opts.onStatus?.(
            `pulling: ${fmtBytes(done)} of ${fmtBytes(total)} (${layers.size} layers)`,
          );
        }
      },
    );
  });
}

/** Resolves the pinned image on the engine (pulling it when needed) and checks it. */
export async function pullPinnedImage(
  docker: Dockerode,
  text: string,
  opts: PullOptions,
): Promise<PulledImage> {
  const t0 = performance.now();
  const ref = pinnedRef(text);
  await checkManifest(ref, opts);
  opts.onStatus?.(`pulling ${ref.text}`);
  await pull(docker, ref, opts);
  const info = await docker.getImage(`${ref.name}@${ref.digest}`).inspect();
  const want = familiarName(ref.name);
  const pinned = (info.RepoDigests ?? []).some((rd) => {
    const at = rd.indexOf("@");
    return familiarName(rd.slice(0, at)) === want && rd.slice(at + 1) === ref.digest;
  });
  if (!pinned)
    throw new ImageRefused(
      `the pulled image does not carry ${ref.digest} for ${ref.name} (its digests: ${(info.RepoDigests ?? []).join(", ") || "none"})`,
    );
  if (info.Size > opts.maxBytes) {
    // Not kept: a refused image only takes disk space.
    await docker
      .getImage(info.Id)
      .remove({ force: true })
      .catch(() => {});
    throw new ImageRefused(
      `${ref.text} is ${fmtBytes(info.Size)} unpacked, above the arena's ${fmtBytes(opts.maxBytes)} limit`,
    );
  }
  return {
    ref,
    id: info.Id,
    sizeBytes: info.Size,
    user: info.Config?.User ?? "",
    pullMs: Math.round(performance.now() - t0),
  };
}
