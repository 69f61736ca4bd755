// Port I/O through qemu devices that read back: CMOS RAM, the PCI configuration registers, and the
// debug port (whose output the harness finds in the log).

import { al, ax, byte, dword, dx, eax, ebp, ebx, ecx, edi, edx, esi, word, type Assembler } from "../../../src/asm/index.ts";
import type { TestCtx } from "../../context.ts";
import type { CallTest } from "../types.ts";
import { CMOS_INDEX, CMOS_DATA, CMOS_SCRATCH, PCI_ADDR, PCI_DATA, PCI_HOST_ID, PCI_ISA_INTLINE, DEBUG_PORT } from "./support.ts";

export function ioTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const first = (preferred: string, ...others: string[]) => [preferred, ...others].find(has) ?? preferred;
  const inL = first("INL", "IN"),
    outL = first("OUTL", "OUT"),
    insL = first("INSL", "INS"),
    outsL = first("OUTSL", "OUTS");
  const cmosWrite = (a: Assembler, index: number, value: number) => {
    a.mov(al, index);
    a.out(CMOS_INDEX, al);
    a.mov(al, value);
    a.out(CMOS_DATA, al);
  };
  const pciAddress = (a: Assembler, address: number) => {
    a.mov(dx, PCI_ADDR);
    a.mov(eax, address >>> 0);
    a.out(dx, eax);
  };
  const marker = (call: string) => `GUEST-PORT: ${call} reached the debug port`;
  /** OUTSB to the debug port: the text must show up in the log. */
  const outBytes = (call: string): CallTest => {
    const text = marker(call) + "\n";
    const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return {
      name: `port-${call}`,
      calls: [call],
      logMarkers: [marker(call)],
      emit(t) {
        const a = t.a;
        const buf = t.scratch(data.length, 4, data);
        a.cld();
        a.mov(esi, buf);
        a.mov(edx, DEBUG_PORT);
        a.mov(ecx, text.length);
        t.call(call, { preserves: [ebx, edi, ebp] });
        t.expectEq(ecx, 0, `${call} consumed the count`);
        a.mov(eax, buf);
        a.add(eax, data.length);
        t.expectEq(esi, eax, `${call} advanced ESI`);
      },
    };
  };
  /**
   * OUTSW/OUTSL to a PCI register that reads back (the debug port takes byte writes only): four elements,
   * the last one must be what the register holds afterwards. Words go to 00:01.0's interrupt line
   * (its pin byte above is read-only), dwords to the config address register.
   */
  const outWide = (call: string, unit: 2 | 4): CallTest => {
    const values = unit === 2 ? ([0x0001, 0x0002, 0x0003, 0x000b] as const) : ([0x80000004, 0x80000008, 0x8000000c, PCI_HOST_ID] as const);
    const data = new Uint8Array(4 * unit);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => (unit === 2 ? view.setUint16(2 * i, v, true) : view.setUint32(4 * i, v >>> 0, true)));
    return {
      name: `port-${call}`,
      calls: [call],
      emit(t) {
        const a = t.a;
        const buf = t.scratch(data.length, 4, data);
        if (unit === 2) {
          pciAddress(a, PCI_ISA_INTLINE);
          a.mov(dx, PCI_DATA);
          a.in(ax, dx);
          a.mov(t.v("intline_orig"), eax);
        }
        a.cld();
        a.mov(esi, buf);
        a.mov(edx, unit === 2 ? PCI_DATA : PCI_ADDR);
        a.mov(ecx, values.length);
        t.call(call, { preserves: [ebx, edi, ebp] });
        t.expectEq(ecx, 0, `${call} consumed the count`);
        a.mov(eax, buf);
        a.add(eax, data.length);
        t.expectEq(esi, eax, `${call} advanced ESI`);
        if (unit === 2) {
          a.mov(dx, PCI_DATA);
          a.in(al, dx);
          a.movzx(eax, al);
          t.expectEq(eax, values[3], `the interrupt line holds ${call}'s last word (bare read)`);
        } else {
          a.mov(dx, PCI_ADDR);
          a.in(eax, dx);
          t.expectEq(eax, values[3] >>> 0, `the config address holds ${call}'s last dword (bare read)`);
        }
      },
      ...(unit === 2
        ? {
            cleanup(t: TestCtx) {
              pciAddress(t.a, PCI_ISA_INTLINE);
              t.a.mov(eax, t.v("intline_orig"));
              t.a.mov(dx, PCI_DATA);
              t.a.out(dx, al);
            },
          }
        : {}),
    };
  };
  const inString = (call: string, unit: 1 | 2 | 4, setup: (a: Assembler) => void, want: (t: TestCtx) => void): CallTest => ({
    name: `port-${call}`,
    calls: [call],
    emit(t) {
      const a = t.a;
      const buf = t.scratch(4 * unit, 4);
      setup(a);
      a.cld();
      a.mov(edi, buf);
      a.mov(edx, unit === 1 ? CMOS_DATA : PCI_DATA);
      a.mov(ecx, 4);
      t.call(call, { preserves: [ebx, esi, ebp] });
      t.expectEq(ecx, 0, `${call} consumed the count`);
      a.mov(eax, buf);
      a.add(eax, 4 * unit);
      t.expectEq(edi, eax, `${call} advanced EDI`);
      a.mov(t.v("ins_buf"), buf);
      want(t);
    },
  });
  const eachElement = (t: TestCtx, unit: 1 | 2 | 4, want: number | "bare-dword", what: string) => {
    const a = t.a;
    a.mov(esi, t.v("ins_buf"));
    for (let i = 0; i < 4; i++) {
      if (unit === 1) a.movzx(eax, byte(esi, i));
      else if (unit === 2) a.movzx(eax, word(esi, 2 * i));
      else a.mov(eax, dword(esi, 4 * i));
      t.expectEq(eax, want === "bare-dword" ? t.v("bare_id") : want, `${what} [${i}]`);
    }
  };
  return [
    {
      name: "port-byte",
      calls: ["OUTB", "INB"],
      emit(t) {
        const a = t.a;
        a.mov(eax, CMOS_SCRATCH);
        a.mov(edx, CMOS_INDEX);
        t.call("OUTB", { path: "cmos-index", native: (x) => x.out(dx, al) });
        a.mov(eax, 0xa5);
        a.mov(edx, CMOS_DATA);
        t.call("OUTB", { path: "cmos-data", native: (x) => x.out(dx, al) });
        a.mov(al, CMOS_SCRATCH);
        a.out(CMOS_INDEX, al);
        a.in(al, CMOS_DATA);
        a.movzx(eax, al);
        t.expectEq(eax, 0xa5, "CMOS byte written by OUTB (bare read)");
        cmosWrite(a, CMOS_SCRATCH, 0x3c);
        a.mov(al, CMOS_SCRATCH);
        a.out(CMOS_INDEX, al);
        a.mov(edx, CMOS_DATA);
        a.xor(eax, eax);
        t.call("INB", { native: (x) => x.in(al, dx) });
        t.expectMasked(eax, 0xff, 0x3c, "INB of the CMOS byte");
      },
    },
    {
      name: "port-OUTB-debug",
      calls: ["OUTB"],
      logMarkers: [marker("OUTB")],
      emit(t) {
        const a = t.a;
        const text = marker("OUTB") + "\n";
        for (let i = 0; i < text.length; i++) {
          a.mov(eax, text.charCodeAt(i));
          a.mov(edx, DEBUG_PORT);
          // Not counted: a COUNT line would land in the middle of the marker.
          t.call("OUTB", { path: "debugcon", count: false });
        }
      },
    },
    {
      name: "port-word",
      calls: ["OUTW", "INW"],
      emit(t) {
        const a = t.a;
        pciAddress(a, PCI_ISA_INTLINE);
        a.mov(dx, PCI_DATA);
        a.in(ax, dx);
        a.mov(t.v("intline_orig"), eax);
        a.mov(eax, 0x000a);
        a.mov(edx, PCI_DATA);
        t.call("OUTW", { path: "pci-intline", native: (x) => x.out(dx, ax) });
        a.mov(dx, PCI_DATA);
        a.in(al, dx);
        a.movzx(eax, al);
        t.expectEq(eax, 0x0a, "PCI 00:01.0 interrupt line written by OUTW (bare read)");
        pciAddress(a, PCI_HOST_ID);
        a.mov(dx, PCI_DATA);
        a.in(ax, dx);
        a.movzx(eax, ax);
        a.mov(t.v("bare_vendor"), eax);
        a.mov(edx, PCI_DATA);
        a.xor(eax, eax);
        t.call("INW", { path: "pci-vendor", native: (x) => x.in(ax, dx) });
        a.movzx(eax, ax);
        t.expectEq(eax, t.v("bare_vendor"), "INW of the host bridge's vendor ID");
      },
      cleanup(t) {
        const a = t.a;
        pciAddress(a, PCI_ISA_INTLINE);
        a.mov(eax, t.v("intline_orig"));
        a.mov(dx, PCI_DATA);
        a.out(dx, al);
      },
    },
    {
      name: "port-dword",
      calls: [outL, inL],
      emit(t) {
        const a = t.a;
        a.mov(eax, PCI_HOST_ID >>> 0);
        a.mov(edx, PCI_ADDR);
        t.call(outL, { path: "pci-address", native: (x) => x.out(dx, eax) });
        a.mov(dx, PCI_ADDR);
        a.in(eax, dx);
        t.expectEq(eax, PCI_HOST_ID >>> 0, `PCI config address written by ${outL} (bare read)`);
        a.mov(dx, PCI_DATA);
        a.in(eax, dx);
        a.mov(t.v("bare_id"), eax);
        a.mov(edx, PCI_DATA);
        a.xor(eax, eax);
        t.call(inL, { path: "pci-id", native: (x) => x.in(eax, dx) });
        t.expectEq(eax, t.v("bare_id"), `${inL} of the host bridge's vendor/device`);
      },
    },
    inString(
      "INSB",
      1,
      (a) => cmosWrite(a, CMOS_SCRATCH, 0x5a) /* leaves the index on the scratch byte */,
      (t) => eachElement(t, 1, 0x5a, "INSB read the CMOS byte"),
    ),
    inString(
      "INSW",
      2,
      (a) => pciAddress(a, PCI_HOST_ID),
      (t) => eachElement(t, 2, 0x8086, "INSW read the host bridge vendor"),
    ),
    inString(
      insL,
      4,
      (a) => {
        pciAddress(a, PCI_HOST_ID);
        a.mov(dx, PCI_DATA);
        a.in(eax, dx);
      },
      (t) => eachElement(t, 4, "bare-dword", `${insL} read the host bridge ID`),
    ),
    outBytes("OUTSB"),
    outWide("OUTSW", 2),
    outWide(outsL, 4),
  ];
}
