// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary, so that any
// CI reading the log can tell how many tests ran.
import type { Reporter } from "vitest/reporters";
import type { RunnerTestFile, RunnerTask } from "vitest";

function count(tasks: readonly RunnerTask[], acc = { passed: 0, failed: 0, skipped: 0 }) {
  for (const t of tasks) {
    if (t.type === "test") {
      const state = t.result?.state;
      if (state === "pass") acc.passed++;
      else if (state === "fail") acc.failed++;
      else acc.skipped++;
    } else if ("tasks" in t) count(t.tasks, acc);
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const c = count(files);
    const failed = c.failed + (errors.length ? errors.length : 0) + files.filter((f) => f.result?.state === "fail" && f.tasks.length === 0).length;
    process.stdout.write(`\n${c.passed} passed, ${failed} failed, ${c.skipped} skipped\n`);
  }
}
