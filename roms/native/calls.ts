// Every call body of the native backend, by call name: what the bare instruction does at ring 0. The xen
// backend runs the same bodies for the calls Xen leaves to the kernel.

import { cpuCalls } from "./cpu.ts";
import { descriptorCalls } from "./descriptors.ts";
import { interruptCalls } from "./interrupts.ts";
import { ioCalls } from "./io.ts";
import { pagingCalls } from "./paging.ts";
import { platformCalls } from "./platform.ts";
import { registerCalls } from "./registers.ts";

export const nativeCalls = {
  ...cpuCalls,
  ...registerCalls,
  ...descriptorCalls,
  ...interruptCalls,
  ...pagingCalls,
  ...ioCalls,
  ...platformCalls,
};
