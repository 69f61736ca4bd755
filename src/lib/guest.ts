// "vmirom/guest": what a backend written outside vmirom writes its own test-guest tests with (docs/backends.md,
// "Testing it"). Its file exports `guestTests: GuestTests`; `vmirom run ROM --backend FILE` runs them.
//
// The one place src/ imports guest/ (docs/architecture.md): the test vocabulary's interfaces (guest/api.ts) and
// the effect tests vmirom's own backends are checked with, typed here against those interfaces so that the
// declarations name nothing of the guest's internals. Their code is the guest's, compiled into the library with
// the guest runner that `run --backend` loads from it (src/cli/guest-runner.ts), so a backend's tests, the
// guest's TestCtx and the DSL are one copy.

import type { Assembler } from "../asm/index.ts";
import type { CallTest, TestCtx } from "../../guest/api.ts";
import type { Layout } from "../layout/types.ts";
import * as effects from "../../guest/expect/effects/index.ts";

export type { CallOptions, CallTest, GuestTests, HypercallField, TestCtx, Value } from "../../guest/api.ts";

/**
 * The effect tests every backend passes: each call the layout has, with test vectors, its effect read back with
 * the bare instruction (CPU and MSRs, control and debug registers, descriptor tables, interrupts and returns,
 * paging and page-table updates, I/O, the platform calls). What a backend without tests of its own runs.
 */
export const commonEffectTests: (layout: Layout) => CallTest[] = effects.commonEffectTests;

/**
 * A test that calls `call` once and checks only that it returns with the callee-saved registers kept (for a
 * call with no effect the guest can observe). `native`: the instruction Linux keeps when the ROM answers NONE;
 * `setup`: code that loads the call's arguments first.
 */
export const returnsTest: (call: string, native?: (a: Assembler) => void, setup?: (t: TestCtx) => void) => CallTest = effects.returnsTest;

/** MachineToPhysical and PhysicalToMachine answering their argument (no machine addresses of one's own); `why` ends each message. */
export const identityTranslationTests: (why: string) => CallTest[] = effects.identityTranslationTests;

/** UpdateKernelStack as API 13 and the VMI spec define it: EAX = &TSS, EDX = esp0, and TSS.esp0 is esp0 afterwards. */
export const kernelStackToTss: () => CallTest = effects.kernelStackToTss;

/** SetInitialAPState answering 0 (no processor start-up needs the ROM's help). */
export const initialApStateTest: () => CallTest = effects.initialApStateTest;
