// What a backend's expectation file provides: the tests that exercise its calls with test vectors and
// check their effects, the calls it deliberately leaves untested (with the reason), and, for a
// paravirtual backend, the hypervisor the guest plays. A built-in backend adds one such file and registers it
// in index.ts; a backend built from a file gets its file's `guestTests` (api.ts, GuestTests) with
// `vmirom run --backend FILE`, else the common effect tests (index.ts, commonExpectations).

import type { Layout } from "../../src/layout/types.ts";
import type { CallTest as PublicCallTest } from "../api.ts";
import type { TestCtx } from "../context.ts";
import type { HypervisorModel } from "../traps.ts";

/**
 * A test as the guest's own files write it: the public CallTest (api.ts), with the guest's whole test context
 * (its tables, memory map and hypervisor model) rather than the public part of it.
 */
export interface CallTest extends Omit<PublicCallTest, "emit" | "cleanup"> {
  emit(t: TestCtx): void;
  /** Restores machine state after the test, whether it passed or failed. */
  cleanup?(t: TestCtx): void;
}

export interface BackendExpectations {
  backend: string;
  tests(layout: Layout): readonly CallTest[];
  /** Calls the backend implements but no test exercises, each with the reason. */
  untested: Readonly<Record<string, string>>;
  /**
   * false: implemented calls no passing test exercised are reported, not a failure (the common expectations
   * of a backend without a file of its own, index.ts). Default true.
   */
  untestedIsFailure?: boolean;
  /** The hypervisor the guest plays for a paravirtual backend; absent: any hypercall is a fault. */
  hypervisor?: HypervisorModel;
  /** The guest checks at the end that nothing wrote to the shared area at virtual_top. */
  sharedAreaUntouched: boolean;
}
