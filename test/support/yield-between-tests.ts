// Long synchronous tests (the mutation sweeps: tens of seconds each on a busy machine) never give the worker's
// event loop a turn, so a reply to vitest's worker RPC sent before them is read only after its 60 s timeout has
// fired ("Timeout calling onTaskUpdate", an unhandled error that fails the run though every test passed).
// A macrotask turn after each test lets the reply in.

import { afterEach } from "vitest";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
