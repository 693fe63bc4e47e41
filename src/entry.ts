// Where the built `cacheon` CLI lives, so code can start it as a child process (servers under test,
// the demo's miners). Under vitest this module runs from src/*.ts; the child still runs the build.
// It sits at the root, not in cli/: reference/spawn.ts, below cli/, starts servers through it.
import { fileURLToPath } from "node:url";

export function cliEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return fileURLToPath(new URL("./cli/main.js", import.meta.url));
  return fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
}
