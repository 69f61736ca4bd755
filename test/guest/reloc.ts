// Init and GetRelocationInfo, called the way each guest calls them, and every answer checked.
// Linux: VMI_Init at ROM+0x80 (EAX = 0 on success), get_reloc at ROM+0x88 (EAX = call → EDX:EAX).
// Sanos: Init is slot 4 (ROM+4*32, negative = failure), GetRelocationInfo slot 85 (ROM+85*32).
// Both are called through the PAGE_OFFSET alias; interrupts are off around Init as in activate_vmi.
//
// Each answer must be: a type the layout allows for that call; within the guest's own rules (Linux:
// JUMP_REL only for 29-34 and never NOP for GetCycleFrequency (66); Sanos: CALL_REL for every call
// 4..87, else it panics); the type the build manifest records; and for CALL_REL/JUMP_REL an eip inside
// the ROM, equal to the alias address of the call's slot.

import { byte, dl, dword, eax, ebx, ecx, edx, esi, plus, type Label } from "../../src/asm/index.ts";
import { RELOC_VALUES, type Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest.ts";
import { emitCountEnd, emitCountStart } from "./count.ts";
import type { GuestAsm } from "./emitter.ts";
import { EXIT, PAGE_OFFSET } from "./memory.ts";
import type { GuestKind } from "./probe.ts";
import type { RelocArrays } from "./sites.ts";

export const ENTRY = {
  linux: { init: 0x80, getReloc: 0x88 },
  sanos: { init: 4 * 32, getReloc: 85 * 32 },
} as const;

const RECORD = 16; // dd number, dd name, db allowed mask, db expected type, dw 0, dd expected slot offset
const UNKNOWN = 0xff;
const UNKNOWN_OFFSET = 0xffffffff;

const TYPE_NAMES = ["NONE", "CALL_REL", "JUMP_REL", "NOP"] as const;

export interface RelocPlan {
  arrays: RelocArrays;
  /** Highest call number + 1: the arrays' length. */
  size: number;
}

export function declareRelocArrays(g: GuestAsm, layout: Layout): RelocPlan {
  const size = Math.max(...layout.calls.map((c) => c.number)) + 1;
  return { arrays: { eip: g.buffer(size * 4, 4), type: g.buffer(size * 4, 4) }, size };
}

/** Calls Init; on failure prints why and exits with the fail status. */
export function emitInit(g: GuestAsm, kind: GuestKind): void {
  const a = g.a;
  const ok = a.newLabel();
  a.mov(g.v("cur_call"), g.str("Init"));
  a.mov(g.v("cur_path"), g.str("boot"));
  a.mov(ecx, g.v("rom_lo"));
  a.add(ecx, ENTRY[kind].init);
  g.printKeyHex("GUEST: INIT at=", ecx);
  g.print("\n");
  a.pushf();
  a.cli();
  emitCountStart(g);
  a.call(ecx);
  emitCountEnd(g, "Init", "boot", "");
  a.popf();
  a.mov(g.v("init_result"), eax);
  g.printKeyHex("GUEST: INIT result=", eax);
  a.test(eax, eax);
  if (kind === "linux") a.je(ok);
  else a.jns(ok);
  g.print(kind === "linux" ? " status=failed rule=nonzero\n" : " status=failed rule=negative\n");
  g.print("GUEST: END result=init-failed\n");
  a.push(EXIT.fail);
  a.call(g.rt.exit);
  a.label(ok);
  g.print(" status=ok\n");
}

/**
 * Asks for every call of the layout, checks the answers, and exits with the fail status if any is
 * wrong (patching or calling with a wrong answer would only crash the guest later).
 */
export function emitRelocations(g: GuestAsm, kind: GuestKind, layout: Layout, manifest: Manifest | undefined, plan: RelocPlan): void {
  const a = g.a;
  const table = a.newLabel("reloc_checks"), tableEnd = a.newLabel("reloc_checks_end");
  const calls = [...layout.calls].sort((x, y) => x.number - y.number);
  const expected = new Map(manifest?.calls.map((c) => [c.number, c]) ?? []);
  const getReloc = ENTRY[kind].getReloc;
  const { eip: relocEip, type: relocType } = plan.arrays;

  // The first and last call numbers, counted (the loop below asks again, uncounted).
  for (const c of [calls[0]!, calls[calls.length - 1]!]) {
    a.mov(g.v("cur_call"), g.str("GetRelocationInfo"));
    a.mov(ecx, g.v("rom_lo"));
    a.add(ecx, getReloc);
    a.mov(eax, c.number);
    emitCountStart(g);
    a.call(ecx);
    emitCountEnd(g, "GetRelocationInfo", `n=${c.number}`, "");
  }

  const loop = a.newLabel(), next = a.newLabel(), code = a.newLabel();
  a.mov(esi, table);
  a.label(loop);
  a.mov(eax, dword(esi, 0));
  a.mov(ecx, g.v("rom_lo"));
  a.add(ecx, getReloc);
  a.call(ecx);
  a.mov(ebx, dword(esi, 0));
  a.mov(dword({ index: ebx, scale: 4, disp: relocEip }), eax);
  a.movzx(edx, dl);
  a.mov(dword({ index: ebx, scale: 4, disp: relocType }), edx);
  g.printKeyDec("GUEST: RELOC n=", ebx);
  g.print(" name=");
  g.printStrAt(dword(esi, 4));
  g.printKeyDec(" type=", edx);
  g.printKeyHex(" eip=", eax);
  a.sub(eax, g.v("rom_lo"));
  g.printKeyHex(" rom_offset=", eax);
  g.print("\n");
  // From here EAX = eip - ROM alias base, EDX = type, EBX = call number, ESI = the check record.
  const check = (reason: string, emitJumpToFail: (fail: Label) => void) => {
    const fail = a.newLabel(), ok = a.newLabel();
    emitJumpToFail(fail);
    a.jmp(ok);
    a.label(fail);
    g.printKeyDec("GUEST: RELOC-BAD n=", ebx);
    g.print(" name=");
    g.printStrAt(dword(esi, 4));
    g.printKeyDec(" type=", edx);
    g.print(` reason=${reason}\n`);
    a.inc(g.v("reloc_bad"));
    a.jmp(next);
    a.label(ok);
  };
  check("type-not-allowed-by-layout", (fail) => {
    a.cmp(edx, 4);
    a.jae(fail);
    a.movzx(ecx, byte(esi, 8));
    a.bt(ecx, edx);
    a.jnc(fail);
  });
  if (kind === "linux") {
    check("jump-rel-outside-29-34", (fail) => {
      const fine = a.newLabel();
      a.cmp(edx, RELOC_VALUES.JUMP_REL);
      a.jne(fine);
      a.cmp(ebx, 29);
      a.jb(fail);
      a.cmp(ebx, 34);
      a.ja(fail);
      a.label(fine);
    });
    check("nop-for-GetCycleFrequency", (fail) => {
      const fine = a.newLabel();
      a.cmp(ebx, 66);
      a.jne(fine);
      a.cmp(edx, RELOC_VALUES.NOP);
      a.je(fail);
      a.label(fine);
    });
  } else {
    check("sanos-needs-call-rel", (fail) => {
      const fine = a.newLabel();
      a.cmp(ebx, 4);
      a.jb(fine);
      a.cmp(ebx, 87);
      a.ja(fine);
      a.cmp(edx, RELOC_VALUES.CALL_REL);
      a.jne(fail);
      a.label(fine);
    });
  }
  check("type-differs-from-manifest", (fail) => {
    const fine = a.newLabel();
    a.movzx(ecx, byte(esi, 9));
    a.cmp(ecx, UNKNOWN);
    a.je(fine);
    a.cmp(ecx, edx);
    a.jne(fail);
    a.label(fine);
  });
  // Only CALL_REL and JUMP_REL answers carry an address the guest will use.
  a.cmp(edx, RELOC_VALUES.CALL_REL);
  a.je(code);
  a.cmp(edx, RELOC_VALUES.JUMP_REL);
  a.jne(next);
  a.label(code);
  check("eip-outside-rom", (fail) => {
    a.cmp(eax, g.v("rom_size"));
    a.jae(fail);
  });
  check("eip-not-the-slot-in-manifest", (fail) => {
    const fine = a.newLabel();
    a.cmp(dword(esi, 12), UNKNOWN_OFFSET);
    a.je(fine);
    a.cmp(eax, dword(esi, 12));
    a.jne(fail);
    a.label(fine);
  });
  a.label(next);
  a.add(esi, RECORD);
  a.cmp(esi, tableEnd);
  a.jb(loop);

  // Position independence: asked through the physical address, the ROM must answer the physical
  // address of the same entry (it computes addresses from where it runs, never from link time).
  const probe = calls.find((c) => expected.get(c.number)?.reloc === "CALL_REL") ?? calls.find((c) => c.relocs[0] === "CALL_REL");
  if (probe) {
    const skip = a.newLabel(), fine = a.newLabel();
    const aliasEip = dword(plus(relocEip, probe.number * 4));
    a.cmp(dword(plus(relocType, probe.number * 4)), RELOC_VALUES.CALL_REL);
    a.jne(skip);
    a.mov(eax, probe.number);
    a.mov(ecx, g.v("rom_phys"));
    a.add(ecx, getReloc);
    a.call(ecx);
    g.printKeyDec("GUEST: PIC n=", probe.number);
    g.printKeyHex(" phys_eip=", eax);
    g.printKeyHex(" alias_eip=", aliasEip);
    a.add(eax, PAGE_OFFSET);
    a.cmp(eax, aliasEip);
    a.je(fine);
    g.print(" result=position-dependent\n");
    a.inc(g.v("reloc_bad"));
    a.jmp(skip);
    a.label(fine);
    g.print(" result=ok\n");
    a.label(skip);
  }

  g.printKeyDec("GUEST: RELOC-SUMMARY asked=", calls.length);
  g.printKeyDec(" bad=", g.v("reloc_bad"));
  g.print("\n");
  const allGood = a.newLabel();
  a.cmp(g.v("reloc_bad"), 0);
  a.je(allGood);
  g.print("GUEST: END result=bad-relocation\n");
  a.push(EXIT.fail);
  a.call(g.rt.exit);
  a.label(allGood);

  // The check records (data, read by the loop above).
  const data = a.newLabel();
  a.jmp(data);
  a.align(4);
  a.label(table);
  for (const c of calls) {
    const m = expected.get(c.number);
    const mask = c.relocs.reduce((acc, r) => acc | (1 << RELOC_VALUES[r]), 0);
    a.dd(c.number, g.str(c.name));
    a.db(mask, m ? RELOC_VALUES[m.reloc] : UNKNOWN);
    a.dw(0);
    a.dd(m ? m.slot.offset : UNKNOWN_OFFSET);
  }
  a.label(tableEnd);
  a.label(data);
}

export const relocTypeName = (t: number): string => TYPE_NAMES[t] ?? `type-${t}`;
