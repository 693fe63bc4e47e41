// Tests start the CLI as child processes (reference servers), which run the compiled build: build
// once before the suite, exactly as `npm ci` does, so children never run stale code.
// CACHEON_SKIP_BUILD=1 skips it for a run of pure unit tests that start no child process.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  if (process.env.CACHEON_SKIP_BUILD === "1") return;
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
}
