// The native backend: every call must do exactly what the bare instruction does at ring 0, so the
// effect tests apply as they are, and nothing may ever talk to a hypervisor (no hypercall transport is
// caught: a vmcall would be a fatal #UD) or touch the shared area.

import { al, eax, ecx, edx } from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { SEL } from "../memory.ts";
import { commonEffectTests, identityTranslationTests, initialApStateTest, kernelStackToTss, returnsTest } from "./effects/index.ts";
import type { BackendExpectations, CallTest } from "./types.ts";

/** Calls whose native body answers a constant: "unknown" or "nothing happened". */
function zeroAnswers(): CallTest[] {
  const zero = (call: string, setup: (t: Parameters<CallTest["emit"]>[0]) => void, wide: boolean): CallTest => ({
    name: `zero-${call}`,
    calls: [call],
    emit(t) {
      setup(t);
      t.a.mov(eax, 0x5a5a5a5a);
      t.a.mov(edx, 0x5a5a5a5a);
      t.call(call);
      t.expectEq(eax, 0, `${call} answers 0 natively`);
      if (wide) t.expectEq(edx, 0, `${call} answers 0 natively (high half)`);
    },
  });
  const none = () => undefined;
  return [
    zero("GetCycleFrequency", none, true),
    zero("GetWallclockTime", none, true),
    zero("WallclockUpdated", none, false),
    zero("CancelAlarm", none, false),
    {
      name: "zero-SetAlarm",
      calls: ["SetAlarm"],
      emit(t) {
        // EAX = flags (1: periodic, as a test vector), EDX:ECX = expiry, period on the stack.
        t.a.mov(eax, 1);
        t.a.xor(edx, edx);
        t.a.xor(ecx, ecx);
        t.call("SetAlarm", { stack: [0, 0] });
        t.expectEq(eax, 0, "SetAlarm answers 0 natively");
      },
    },
    initialApStateTest(),
  ];
}

export const nativeExpectations: BackendExpectations = {
  backend: "native",
  tests(layout: Layout) {
    const api3 = layout.version.major === 3;
    return [
      ...commonEffectTests(layout),
      // api3 passes a selector and esp0: natively the TSS the kernel keeps itself is what the CPU uses.
      api3
        ? returnsTest("UpdateKernelStack", undefined, (t) => {
            t.a.mov(eax, SEL.data0);
            t.a.mov(edx, 0x00abcde0);
          })
        : kernelStackToTss(),
      ...identityTranslationTests("the identity natively"),
      ...zeroAnswers(),
      returnsTest("WBINVD", (a) => a.wbinvd()),
      returnsTest("INVD", (a) => a.invd()),
      returnsTest("Pause", (a) => a.pause()),
      returnsTest("IODelay", (a) => a.out(0x80, al)),
      returnsTest("SetCallbacks"),
    ];
  },
  untested: {
    Reboot: "resets the machine: qemu -no-reboot then exits with status 0, indistinguishable from a triple fault",
    Shutdown: "halts with interrupts off for good: the run could only end by timeout",
  },
  sharedAreaUntouched: true,
};
