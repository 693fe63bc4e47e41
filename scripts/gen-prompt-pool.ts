// Writes data/prompt-pool.json from scripts/prompt-pool/ (run: npx vite-node scripts/gen-prompt-pool.ts).
import { writeFileSync } from "node:fs";
import { poolJson } from "./prompt-pool/generate.js";

writeFileSync(new URL("../data/prompt-pool.json", import.meta.url), poolJson());
