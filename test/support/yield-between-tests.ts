// Loaded into every test file (vitest.config.ts, setupFiles). Long synchronous tests (the mutation sweeps: tens
// of seconds each on a busy machine) never give the worker's event loop a turn, and vitest goes from one
// synchronous test to the next without one either, so a reply to vitest's worker RPC sent before them is read
// only after its 60 s timeout has fired ("Timeout calling onTaskUpdate", an unhandled error that fails the run
// though every test passed). A turn of the loop through its poll phase after each test lets the reply in: the
// longest block is then one test, not a whole file (event-loop.ts).

import { afterEach } from "vitest";
import { yieldToEventLoop } from "./event-loop.ts";

afterEach(yieldToEventLoop);
