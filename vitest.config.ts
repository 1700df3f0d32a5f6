import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Fails a test file that leaves a server, connection, child process or timer open.
    setupFiles: ["test/helpers/leak-check/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
