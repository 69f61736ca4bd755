import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // A worker per core: most long tests wait on a child (qemu, as, gcc, the CLI), and while one worker waits the
    // other core runs the next file; with one worker on two cores npm test took 3 min 50 s, over its 3-minute
    // budget. A worker starved of CPU still answers vitest's RPC in time: it turns its event loop after every
    // test (test/support/event-loop.ts), and no single test blocks for long.
    maxWorkers: Math.max(1, availableParallelism()),
    minWorkers: 1,
    // Every file: let the worker's event loop turn after each test (test/support/yield-between-tests.ts).
    setupFiles: ["./test/support/yield-between-tests.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
