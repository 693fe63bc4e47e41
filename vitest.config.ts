import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: timing-sensitive servers and clients share them, so keep file-level parallelism low.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
