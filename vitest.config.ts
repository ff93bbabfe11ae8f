import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Each file gets its own database (cloned from a migrated template), so files run in parallel.
    fileParallelism: true,
    // Most of a file's time is spent waiting on PostgreSQL, the worker and sockets, not on this
    // process: three files at once keep two cores busy (vitest's default, cores - 1, runs one).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
