// Init and GetRelocationInfo, called the way each guest calls them, and every answer checked.
// Linux: VMI_Init at ROM+0x80 (EAX = 0 on success), get_reloc at ROM+0x88 (EAX = call → EDX:EAX).
// Sanos: Init is slot 4 (ROM+4*32, negative = failure), GetRelocationInfo slot 85 (ROM+85*32).
// Linux calls them through its PAGE_OFFSET alias; Sanos at the ROM's physical address through its identity
// map of low memory, with paging on, and removes that identity map (page-directory entry 0) right after it
// has stored the answers. Interrupts are off around Init as in activate_vmi.
//
// Each answer must be: a type the layout allows for that call; within the guest's own rules (Linux:
// JUMP_REL only for 29-34 and never NOP for GetCycleFrequency (66); Sanos: CALL_REL for every call
// 4..87, else it panics); the type the build manifest records; and for CALL_REL/JUMP_REL an eip that
// reaches the call's slot: Linux: the alias address of the slot; Sanos: an address that is still mapped
// after the identity map is gone (the guest walks its own page tables) and translates to the slot's
// physical address.
//
// When Init fails the guest stays native, as both guests do: no relocation is asked, no site is patched
// (every site keeps its native instructions) and the tests run on the bare instructions.

import { byte, cl, cr3, cr4, dl, dword, eax, ebx, ecx, edi, edx, esi, plus, type Label } from "../src/asm/index.ts";
import { RELOC_VALUES, relocTypeOf, slotOffset, type Layout } from "../src/layout/types.ts";
import type { Manifest } from "../src/manifest/types.ts";
import { emitCountEnd, emitCountStart } from "./count.ts";
import type { GuestAsm } from "./emitter.ts";
import { DROPPED_BYTES, EXIT, IDENTITY_BYTES, MEM, PAGE_OFFSET } from "./memory.ts";
import type { GuestKind } from "./probe.ts";
import type { RelocArrays } from "./sites.ts";

export const ENTRY = {
  linux: { init: 0x80, getReloc: 0x88 },
  sanos: { init: 4 * 32, getReloc: 85 * 32 },
} as const;

const RECORD = 16; // dd number, dd name, db allowed mask, db expected type, dw 0, dd expected slot offset
const UNKNOWN = 0xff;
const UNKNOWN_OFFSET = 0xffffffff;

export interface RelocPlan {
  arrays: RelocArrays;
  /** Highest call number + 1: the arrays' length. */
  size: number;
}

export function declareRelocArrays(g: GuestAsm, layout: Layout): RelocPlan {
  const size = Math.max(...layout.calls.map((c) => c.number)) + 1;
  return { arrays: { eip: g.buffer(size * 4, 4), type: g.buffer(size * 4, 4) }, size };
}

/**
 * Calls Init. On failure prints why and goes to `native`: the guest stays native, as Linux ("VMI ROM failed to
 * initialize!") and Sanos do.
 */
export function emitInit(g: GuestAsm, kind: GuestKind, native: Label): void {
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
  g.print(
    "GUEST: NATIVE reason=init-failed what=Init answered failure: the guest stays native (no relocation asked, every site keeps its native instructions)\n",
  );
  a.jmp(native);
  a.label(ok);
  g.print(" status=ok\n");
}

/**
 * Sanos's step 4: the identity map of low memory goes away. The guest moves to its permanent page directory
 * above 4 MiB (a copy of the one it booted with, Init's changes included) if it is not on it already, clears
 * the page-directory entries of 0-4 MiB there and reloads CR3.
 */
export function emitDropIdentityMap(g: GuestAsm): void {
  const a = g.a;
  const onMain = a.newLabel();
  a.mov(esi, cr3);
  a.and(esi, ~0xfff);
  a.cmp(esi, MEM.pageDir);
  a.je(onMain);
  a.mov(edi, MEM.pageDir);
  a.mov(ecx, 1024);
  a.rep().movsd();
  a.label(onMain);
  for (let i = 0; i < DROPPED_BYTES >>> 22; i++) a.mov(dword(MEM.pageDir + 4 * i), 0);
  a.mov(eax, MEM.pageDir);
  a.mov(cr3, eax);
  g.printKeyHex("GUEST: DROP cr3=", eax);
  g.print(` bytes=0x${DROPPED_BYTES.toString(16)} what=identity map of low memory removed (page-directory entries cleared, CR3 reloaded)\n`);
}

/**
 * A routine (call it): EAX = linear address → EAX = physical address and CF clear, by walking the page tables
 * CR3 points at (read through the PAGE_OFFSET alias of the first IDENTITY_BYTES); CF set and EAX unchanged
 * when the address is not mapped (or its table lies where the guest cannot read it). Preserves the rest.
 */
function emitTranslateRoutine(g: GuestAsm, entry: Label): void {
  const a = g.a;
  const miss = a.newLabel(),
    table = a.newLabel(),
    hit = a.newLabel();
  a.label(entry);
  a.push(ecx);
  a.push(edx);
  a.mov(ecx, cr3);
  a.and(ecx, ~0xfff);
  a.mov(edx, eax);
  a.shr(edx, 22);
  a.mov(ecx, dword({ base: ecx, index: edx, scale: 4, disp: PAGE_OFFSET }));
  a.test(cl, 1);
  a.jz(miss);
  a.test(cl, 0x80);
  a.jz(table);
  a.mov(edx, cr4);
  a.test(dl, 0x10);
  a.jz(table); // PS counts only with CR4.PSE
  a.and(ecx, 0xffc00000);
  a.and(eax, 0x3fffff);
  a.or(eax, ecx);
  a.jmp(hit);
  a.label(table);
  a.and(ecx, ~0xfff);
  a.cmp(ecx, IDENTITY_BYTES);
  a.jae(miss);
  a.mov(edx, eax);
  a.shr(edx, 12);
  a.and(edx, 0x3ff);
  a.mov(ecx, dword({ base: ecx, index: edx, scale: 4, disp: PAGE_OFFSET }));
  a.test(cl, 1);
  a.jz(miss);
  a.and(ecx, ~0xfff);
  a.and(eax, 0xfff);
  a.or(eax, ecx);
  a.label(hit);
  a.pop(edx);
  a.pop(ecx);
  a.clc();
  a.ret();
  a.label(miss);
  a.pop(edx);
  a.pop(ecx);
  a.stc();
  a.ret();
}

/**
 * Asks for every call of the layout and stores the answers (Sanos then drops its identity map), checks them,
 * and exits with the fail status if any is wrong (patching or calling with a wrong answer would only crash the
 * guest later).
 */
export function emitRelocations(g: GuestAsm, kind: GuestKind, layout: Layout, manifest: Manifest | undefined, plan: RelocPlan): void {
  const a = g.a;
  const table = a.newLabel("reloc_checks"),
    tableEnd = a.newLabel("reloc_checks_end");
  const translate = a.newLabel("guest_translate");
  const calls = [...layout.calls].sort((x, y) => x.number - y.number);
  const expected = new Map(manifest?.calls.map((c) => [c.number, c]) ?? []);
  const getReloc = ENTRY[kind].getReloc;
  const getRelocCall = calls.find((c) => c.role === "getRelocationInfo");
  const { eip: relocEip, type: relocType } = plan.arrays;

  // The first and last call numbers, counted (the loop below asks again, uncounted).
  const first = calls[0],
    last = calls.at(-1);
  if (!first || !last) throw new Error(`layout ${layout.name} has no calls`);
  for (const c of [first, last]) {
    a.mov(g.v("cur_call"), g.str("GetRelocationInfo"));
    a.mov(ecx, g.v("rom_lo"));
    a.add(ecx, getReloc);
    a.mov(eax, c.number);
    emitCountStart(g);
    a.call(ecx);
    emitCountEnd(g, "GetRelocationInfo", `n=${c.number}`, "");
  }

  // Ask for every call and store the answers, as both guests do before using any.
  const ask = a.newLabel();
  a.mov(esi, table);
  a.label(ask);
  a.mov(eax, dword(esi, 0));
  a.mov(ecx, g.v("rom_lo"));
  a.add(ecx, getReloc);
  a.call(ecx);
  a.mov(ebx, dword(esi, 0));
  a.mov(dword({ index: ebx, scale: 4, disp: relocEip }), eax);
  a.movzx(edx, dl);
  a.mov(dword({ index: ebx, scale: 4, disp: relocType }), edx);
  a.add(esi, RECORD);
  a.cmp(esi, tableEnd);
  a.jb(ask);

  if (kind === "sanos") emitDropIdentityMap(g);

  const loop = a.newLabel(),
    next = a.newLabel(),
    code = a.newLabel(),
    offsetKnown = a.newLabel();
  a.mov(esi, table);
  a.label(loop);
  a.mov(ebx, dword(esi, 0));
  a.mov(eax, dword({ index: ebx, scale: 4, disp: relocEip }));
  a.mov(edx, dword({ index: ebx, scale: 4, disp: relocType }));
  g.printKeyDec("GUEST: RELOC n=", ebx);
  g.print(" name=");
  g.printStrAt(dword(esi, 4));
  g.printKeyDec(" type=", edx);
  g.printKeyHex(" eip=", eax);
  if (kind === "sanos") {
    // An address the guest will call: it must still be mapped, and reach the slot's physical address.
    const plain = a.newLabel(),
      mapped = a.newLabel();
    a.cmp(edx, RELOC_VALUES.CALL_REL);
    a.je(code);
    a.cmp(edx, RELOC_VALUES.JUMP_REL);
    a.jne(plain);
    a.label(code);
    a.call(translate);
    a.jnc(mapped);
    g.print(" rom_offset=unmapped\n");
    g.printKeyDec("GUEST: RELOC-BAD n=", ebx);
    g.print(" name=");
    g.printStrAt(dword(esi, 4));
    g.printKeyDec(" type=", edx);
    g.printKeyHex(" eip=", eax);
    g.print(" reason=not mapped after the identity map is gone\n");
    a.inc(g.v("reloc_bad"));
    a.jmp(next);
    a.label(mapped);
    a.sub(eax, g.v("rom_phys"));
    a.jmp(offsetKnown);
    a.label(plain);
  }
  a.sub(eax, g.v("rom_lo"));
  a.label(offsetKnown);
  g.printKeyHex(" rom_offset=", eax);
  g.print("\n");
  // From here EAX = offset of the entry the eip reaches from the ROM start, EDX = type, EBX = call number,
  // ESI = the check record.
  const check = (reason: string, emitJumpToFail: (fail: Label) => void) => {
    const fail = a.newLabel(),
      ok = a.newLabel();
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
  const addressed = a.newLabel();
  a.cmp(edx, RELOC_VALUES.CALL_REL);
  a.je(addressed);
  a.cmp(edx, RELOC_VALUES.JUMP_REL);
  a.jne(next);
  a.label(addressed);
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

  // Position independence. Linux: asked through the physical address, the ROM must answer the physical
  // address of the same entry (it computes addresses from where it runs, never from link time). Sanos: asked
  // through GetRelocationInfo's own answer (after the drop), it must answer what it answered at the physical
  // address — the answers do not depend on the alias the question came through.
  const probe = calls.find((c) => expected.get(c.number)?.reloc === "CALL_REL") ?? calls.find((c) => c.relocs[0] === "CALL_REL");
  const again =
    kind === "linux"
      ? ({ kind } as const)
      : getRelocCall && ({ kind, eip: dword(plus(relocEip, getRelocCall.number * 4)), type: dword(plus(relocType, getRelocCall.number * 4)) } as const);
  if (probe && again) {
    const skip = a.newLabel(),
      fine = a.newLabel();
    const storedEip = dword(plus(relocEip, probe.number * 4));
    a.cmp(dword(plus(relocType, probe.number * 4)), RELOC_VALUES.CALL_REL);
    a.jne(skip);
    a.mov(eax, probe.number);
    if (again.kind === "linux") {
      a.mov(ecx, g.v("rom_phys"));
      a.add(ecx, getReloc);
    } else {
      // Only once every answer is known to be mapped.
      a.cmp(g.v("reloc_bad"), 0);
      a.jne(skip);
      a.cmp(again.type, RELOC_VALUES.CALL_REL);
      a.jne(skip);
      a.mov(ecx, again.eip);
    }
    a.call(ecx);
    if (again.kind === "linux") {
      g.printKeyDec("GUEST: PIC n=", probe.number);
      g.printKeyHex(" phys_eip=", eax);
      g.printKeyHex(" alias_eip=", storedEip);
      a.add(eax, PAGE_OFFSET);
    } else {
      g.printKeyDec("GUEST: PIC n=", probe.number);
      g.printKeyHex(" phys_eip=", storedEip);
      g.printKeyHex(" alias_eip=", eax);
      g.printKeyHex(" asked_at=", again.eip);
    }
    a.cmp(eax, storedEip);
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
  if (kind === "sanos" && getRelocCall) {
    // From now on the ROM runs where its answers point: count and name faults there.
    const same = slotOffset(layout, getRelocCall.number);
    a.mov(eax, dword(plus(relocEip, getRelocCall.number * 4)));
    a.sub(eax, same);
    a.mov(g.v("rom_lo"), eax);
    g.printKeyHex("GUEST: INFO what=the ROM is called at ", eax);
    g.print("\n");
  }

  // The check records and the translation routine (read and called by the code above).
  const data = a.newLabel();
  a.jmp(data);
  emitTranslateRoutine(g, translate);
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

export const relocTypeName = (t: number): string => relocTypeOf(t) ?? `type-${t}`;
