// The runtime the local chain pretends to run: finney's runtime-424 metadata, which ships with the
// repository (data/subtensor/, public chain data), or another runtime's file where one is named;
// the registry built from it and the runtime version.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Metadata, TypeRegistry } from "@polkadot/types";
import type { ChainProperties } from "@polkadot/types/interfaces";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import type { DecoratedMeta } from "@polkadot/types/metadata/decorate/types";
import { blake2AsHex } from "@polkadot/util-crypto";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "../extensions.js";

export const SPEC_NAME = "node-subtensor";
export const SPEC_VERSION = 424;
export const TRANSACTION_VERSION = 1;
export const SS58_FORMAT = 42;
export const METADATA_ENV = "CACHEON_SUBTENSOR_METADATA";
const METADATA_FILE = "finney-spec424-metadata.scale";

export class MetadataMissingError extends Error {}

export interface Runtime {
  registry: TypeRegistry;
  metadata: Metadata;
  /** The SCALE metadata as served by state_getMetadata (magic number and version included). */
  bytes: Uint8Array;
  decorated: DecoratedMeta;
  /** The metadata version (16 for finney's). */
  metadataVersion: number;
  /** `apis` of the runtime version: [blake2_64(name), version] from the metadata's runtime APIs. */
  apis: [string, number][];
  /** One line naming the metadata in use, for people. */
  description: string;
}

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the package root above the local chain module");
    dir = up;
  }
  return dir;
}

/** The finney runtime-424 metadata that ships with Cacheon. */
export const FINNEY_METADATA = join(packageRoot(), "data", "subtensor", METADATA_FILE);

/** The metadata file to read: the explicit path, else $CACHEON_SUBTENSOR_METADATA, else finney's. */
export function metadataPath(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const fromEnv = process.env[METADATA_ENV];
  if (fromEnv) return resolve(fromEnv);
  return FINNEY_METADATA;
}

function readMetadata(path: string): Uint8Array {
  if (!existsSync(path))
    throw new MetadataMissingError(
      `subtensor metadata not found at ${path}: point --metadata / $${METADATA_ENV} at a SCALE metadata file, or unset it for finney's (${FINNEY_METADATA})`,
    );
  return new Uint8Array(readFileSync(path));
}

const cache = new Map<string, Runtime>();

/** Load (once per file) the metadata and build the registry the whole chain decodes with. */
export function loadRuntime(path?: string): Runtime {
  const key = metadataPath(path);
  const cached = cache.get(key);
  if (cached) return cached;
  const bytes = readMetadata(key);
  const registry = new TypeRegistry();
  let metadata: Metadata;
  try {
    metadata = new Metadata(registry, bytes);
    registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS);
  } catch (err) {
    throw new MetadataMissingError(
      `${key} is not SCALE runtime metadata: ${(err as Error).message}`,
    );
  }
  registry.setChainProperties(
    registry.createType("ChainProperties", {
      ss58Format: SS58_FORMAT,
      tokenDecimals: 9,
      tokenSymbol: "TAO",
    }) as ChainProperties,
  );
  const latest = metadata.asLatest;
  const apis: [string, number][] = latest.apis.map((api) => {
    const version = (api as unknown as { version?: { toNumber(): number } }).version;
    return [blake2AsHex(api.name.toString(), 64), version ? version.toNumber() : 1];
  });
  const runtime: Runtime = {
    registry,
    metadata,
    bytes,
    decorated: expandMetadata(registry, metadata),
    metadataVersion: metadata.version,
    apis,
    description:
      key === FINNEY_METADATA
        ? `finney's runtime-${SPEC_VERSION} metadata (${METADATA_FILE})`
        : `runtime metadata from ${key}`,
  };
  cache.set(key, runtime);
  return runtime;
}

/** The runtime version as state_getRuntimeVersion returns it (JSON). */
export function runtimeVersionJson(runtime: Runtime): Record<string, unknown> {
  return {
    specName: SPEC_NAME,
    implName: SPEC_NAME,
    authoringVersion: 1,
    specVersion: SPEC_VERSION,
    implVersion: 1,
    apis: runtime.apis,
    transactionVersion: TRANSACTION_VERSION,
    stateVersion: 1,
  };
}

/** Index of a pallet by its metadata name (e.g. "SubtensorModule" → 7). */
export function palletIndex(runtime: Runtime, name: string): number {
  const pallet = runtime.metadata.asLatest.pallets.find((p) => p.name.toString() === name);
  if (!pallet) throw new Error(`pallet ${name} is not in the metadata`);
  return pallet.index.toNumber();
}
