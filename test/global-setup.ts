// Tests start the CLI as child processes (reference servers), which run the compiled build: build
// once before the suite, exactly as `npm ci` does, so children never run stale code.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
}
