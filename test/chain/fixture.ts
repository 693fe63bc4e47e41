// The finney runtime-424 metadata from the shared fixtures, as a registry configured exactly as the
// client configures @polkadot/api. Tests that need it skip with a message where the file is absent.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "../../src/chain/subtensor.js";

export const METADATA_FILE = fileURLToPath(
  new URL("../../../shared/fixtures/subtensor/finney-spec424-metadata.scale", import.meta.url),
);
export const hasMetadata = existsSync(METADATA_FILE);
export const SKIP_REASON = `finney metadata not found at ${METADATA_FILE}: fixture vector tests skipped`;

export function fixtureRegistry(): { registry: TypeRegistry; metadata: Metadata } {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, readFileSync(METADATA_FILE));
  registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS);
  return { registry, metadata };
}
