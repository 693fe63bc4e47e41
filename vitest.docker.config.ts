// The Docker suite (`npm run test:docker`): real Docker engine, real loopback registry, test images
// built locally. Files run one at a time: they share one engine and two cores.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/docker/**/*.test.ts"],
    globalSetup: ["test/docker/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
