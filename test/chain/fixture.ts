// The finney runtime-424 metadata from the shared fixtures, as a registry configured exactly as the
// client configures @polkadot/api. Tests that need it skip with a message where the file is absent.
import { existsSync, readFileSync } from "node:fs";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "../../src/chain/extensions.js";
import { metadataPath } from "../../src/chain/local/runtime.js";

/** Where the local chain finds it too (`$CACHEON_SUBTENSOR_METADATA` overrides). */
export const METADATA_FILE = metadataPath();
export const hasMetadata = existsSync(METADATA_FILE);
export const SKIP_REASON = `finney metadata not found at ${METADATA_FILE}: the chain tests that need it are skipped`;
if (!hasMetadata) console.warn(SKIP_REASON);

export function fixtureRegistry(): { registry: TypeRegistry; metadata: Metadata } {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, readFileSync(METADATA_FILE));
  registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS);
  return { registry, metadata };
}
