import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Half the cores for test workers: most long tests wait on a child (qemu, as, gcc, the CLI) that needs a core
    // of its own, and a worker starved of CPU answers vitest's RPC late (test/support/event-loop.ts). On the
    // 2-core build machine that is one worker, as vitest's own default (cores - 1) also gives.
    maxWorkers: Math.max(1, Math.floor(availableParallelism() / 2)),
    minWorkers: 1,
    // Every file: let the worker's event loop turn after each test (test/support/yield-between-tests.ts).
    setupFiles: ["./test/support/yield-between-tests.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
