// Letting a test worker's event loop turn. vitest's worker reports every test to the main process by RPC and
// gives up on an answer it has not read within 60 s ("Timeout calling onTaskUpdate", an error that fails the
// run although every test passed). Answers are read only when the worker's event loop reaches its poll phase,
// which it never does while synchronous work runs — and a test file of synchronous tests runs as one block,
// because vitest goes from one synchronous test to the next without a macrotask in between.

/** Resolves once the event loop has been through a poll phase: the second of two setImmediate turns. */
export async function yieldToEventLoop(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}
