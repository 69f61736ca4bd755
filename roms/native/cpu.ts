// Processor instructions with no operands to translate: the VMI call's registers are the instruction's.

import { al, ecx, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { thenReturn } from "../shared/bodies.ts";

const KBC_STATUS = 0x64; // 8042 status/command port
const KBC_INPUT_FULL = 0x02;
const KBC_PULSE_RESET = 0xfe;
/** Polls of the 8042 before the reset command is sent anyway (the controller may be absent). */
const KBC_POLLS = 0x10000;

/** Halts forever with interrupts off: nothing can resume it. */
function haltForever(a: Assembler): void {
  const again = a.newLabel();
  a.label(again);
  a.cli();
  a.hlt();
  a.jmp(again);
}

export const cpuCalls = {
  CPUID: thenReturn((a) => a.cpuid()), // EAX/ECX in, EAX/EBX/ECX/EDX out, as the instruction
  WRMSR: thenReturn((a) => a.wrmsr()), // ECX = msr, EDX:EAX = value
  RDMSR: thenReturn((a) => a.rdmsr()), // ECX = msr → EDX:EAX
  RDPMC: thenReturn((a) => a.rdpmc()), // ECX = counter → EDX:EAX
  RDTSC: thenReturn((a) => a.rdtsc()),
  CLTS: thenReturn((a) => a.clts()),
  WBINVD: thenReturn((a) => a.wbinvd()),
  INVD: thenReturn((a) => a.invd()),
  Pause: thenReturn((a) => a.pause()),
  // Safe halt: interrupts on and hlt back to back (sti's one-instruction shadow), so a wake-up cannot be lost.
  Halt: thenReturn((a) => {
    a.sti();
    a.hlt();
  }),
  // Pulse the reset line through the keyboard controller once its input buffer is empty (or after a bounded
  // wait), the way PC firmware and kernels do; if the machine is still running, stop it.
  Reboot: (a) => {
    const wait = a.newLabel();
    a.mov(ecx, KBC_POLLS);
    a.label(wait);
    a.in(al, KBC_STATUS);
    a.test(al, KBC_INPUT_FULL);
    a.loopnz(wait);
    a.mov(al, KBC_PULSE_RESET);
    a.out(KBC_STATUS, al);
    haltForever(a);
  },
  // Without ACPI there is no power-off register to write: stop the processor for good.
  Shutdown: haltForever,
} satisfies Record<string, Body>;
