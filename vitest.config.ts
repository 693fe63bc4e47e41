import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The suites that need an engine a fresh machine may lack have their own config and command:
    // Docker (npm run test:docker) and Chromium (npm run test:browser).
    exclude: ["test/docker/**", "test/browser/**", "node_modules/**"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: timing-sensitive servers and clients share them, so keep file-level parallelism low.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
