import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The Docker suite has its own config and command (npm run test:docker).
    exclude: ["test/docker/**", "node_modules/**"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: timing-sensitive servers and clients share them, so keep file-level parallelism low.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
