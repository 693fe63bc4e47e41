// The artifact store as a local folder: what a validator without S3 keeps.

import { ArtifactFolder, toBytes } from "./files.js";
import { assertArtifactKey } from "./key.js";
import type { ArtifactStore } from "./types.js";

export function createLocalArtifactStore(dir: string): ArtifactStore {
  const folder = new ArtifactFolder(dir);
  return {
    async put(key, body) {
      assertArtifactKey(key);
      const bytes = toBytes(body);
      if (await folder.holds(key, bytes)) return;
      await folder.write(key, bytes);
    },
    async get(key) {
      assertArtifactKey(key);
      return folder.read(key);
    },
    pending: () => 0,
    flush: async () => 0,
    describe: () => `local folder ${folder.dir}`,
    close: async () => {},
  };
}
