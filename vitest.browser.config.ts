// The browser suite (`npm run test:browser`): the dashboard in Debian's Chromium through
// playwright-core. It needs /usr/bin/chromium (or $CACHEON_CHROMIUM), which `npm test` does not.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
