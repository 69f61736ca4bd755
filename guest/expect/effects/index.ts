// Tests that check a call by its effect on the machine: what a bare i386 does when the guest runs the
// native instruction. They fit every backend whose calls must leave the machine in the native state
// (the native ROM does it directly; a paravirtual ROM through the hypervisor the guest plays), so a
// backend's expectation file composes them with its own checks.
//
// Each test names the calls it exercises; values are test vectors chosen to be distinct from what the
// machine holds already, and every effect is read back with the bare instruction as the oracle.

export * from "./support.ts";
export * from "./cpu.ts";
export * from "./control-registers.ts";
export * from "./descriptors.ts";
export * from "./interrupts.ts";
export * from "./paging.ts";
export * from "./io.ts";
export * from "./platform.ts";

import type { CallTest } from "../types.ts";
import { controlRegisterTests } from "./control-registers.ts";
import { cpuTests } from "./cpu.ts";
import { descriptorTests } from "./descriptors.ts";
import { interruptTests, returnTests } from "./interrupts.ts";
import { ioTests } from "./io.ts";
import { pageHintTests, pagingTests, pteOperationTests } from "./paging.ts";
import { platformTests } from "./platform.ts";

/** The effect tests every backend runs unchanged (each adds its own around them). */
export function commonEffectTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  return [
    ...cpuTests(),
    ...controlRegisterTests(),
    ...descriptorTests(),
    ...interruptTests(),
    ...returnTests(),
    ...pagingTests(layout),
    ...pteOperationTests(),
    ...pageHintTests(layout),
    ...ioTests(layout),
    ...platformTests(),
  ];
}
