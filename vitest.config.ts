import { defineConfig } from "vitest/config";

// Files that by themselves open nearly as many sessions as a default server allows
// (max_connections = 100): they run alone, after the others.
const ALONE = ["test/pool.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: ALONE,
          // Each file gets its own database (cloned from a migrated template), so files run in
          // parallel. Most of a file's time is spent waiting on PostgreSQL, the worker and sockets:
          // three files at once keep two cores busy (vitest's default, cores - 1, runs one).
          maxWorkers: 3,
        },
      },
      {
        test: { name: "alone", include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
