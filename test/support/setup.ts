// Loaded into every test file (vitest.config.ts, setupFiles). After each test the worker's event loop turns once
// (event-loop.ts says why), so that the longest block without it is one test, not a whole file of synchronous
// tests: on a busy machine a file such as the mutation sweeps takes well over the 60 s vitest's RPC allows.
import { afterEach } from "vitest";
import { yieldToEventLoop } from "./event-loop.ts";

afterEach(yieldToEventLoop);
