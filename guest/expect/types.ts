// What a backend's expectation file provides: the tests that exercise its calls with test vectors and
// check their effects, the calls it deliberately leaves untested (with the reason), and, for a
// paravirtual backend, the hypervisor the guest plays. Adding a backend means adding one such file and
// registering it in index.ts; the guest itself does not change.

import type { Layout } from "../../src/layout/types.ts";
import type { TestCtx } from "../context.ts";
import type { HypervisorModel } from "../traps.ts";

export interface CallTest {
  /** Unique name, printed in PASS/FAIL/SKIP lines. */
  name: string;
  /**
   * Calls the test exercises (layout names). The test is generated only if the layout has them all,
   * and skipped at run time when the ROM answers NONE or NOP for one of them.
   */
  calls: readonly string[];
  /** Lines the test writes to the debug port itself (port output tests); required when it passed. */
  logMarkers?: readonly string[];
  emit(t: TestCtx): void;
  /** Restores machine state after the test, whether it passed or failed. */
  cleanup?(t: TestCtx): void;
}

export interface BackendExpectations {
  backend: string;
  tests(layout: Layout): readonly CallTest[];
  /** Calls the backend implements but no test exercises, each with the reason. */
  untested: Readonly<Record<string, string>>;
  /** The hypervisor the guest plays for a paravirtual backend; absent: any hypercall is a fault. */
  hypervisor?: HypervisorModel;
  /** The guest checks at the end that nothing wrote to the shared area at virtual_top. */
  sharedAreaUntouched: boolean;
}
