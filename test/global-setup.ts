// Tests start the CLI as child processes (reference servers), which run the compiled build: build
// once before the suite so children never run stale code.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
