import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Fails a test file that leaves a server, connection, child process or timer open.
    setupFiles: ["test/helpers/leak-check/setup.ts"],
    // Most test files wait on sockets, child processes and timers, not the CPU: four at a time
    // on a 2-CPU machine take the suite from ~15 to a few minutes (vitest's default is one
    // per CPU but one).
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
