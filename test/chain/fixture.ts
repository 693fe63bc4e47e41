// Finney's runtime-424 metadata (data/subtensor/, shipped with the repository) as a registry
// configured exactly as the client configures @polkadot/api.
import { readFileSync } from "node:fs";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "../../src/chain/extensions.js";
import { FINNEY_METADATA } from "../../src/chain/local/runtime.js";

export function fixtureRegistry(): { registry: TypeRegistry; metadata: Metadata } {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, readFileSync(FINNEY_METADATA));
  registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS);
  return { registry, metadata };
}
