// Call sites patched the way Linux patches its paravirt sites (patch_internal in vmi_32.c): each site is
// at least 5 bytes and starts out holding the native instruction(s), padded with nops. After the
// relocations are known: CALL_REL → e8 rel32 + nops, JUMP_REL → e9 rel32 + nops, NOP → all nops,
// NONE → the native instructions stay. rel32 is computed from the site's real address, as 2.6.24+ does.
// The guest's code is ordinary RAM, so the patcher writes in place.

import { Assembler, al, dword, eax, ebx, ecx, edi, edx, esi, type Label } from "../src/asm/index.ts";
import type { GuestAsm } from "./emitter.ts";

/** Minimum site length: a 6-byte indirect `call *op` is what Linux's sites hold. */
export const MIN_SITE = 6;
const SITE_RECORD = 12; // dd address, dd call number, dd length

interface Site {
  label: Label;
  number: number;
  length: number;
}

/** The relocation answers, indexed by call number (dword each), filled by reloc.ts. */
export interface RelocArrays {
  eip: Label;
  type: Label;
}

export class SiteTable {
  private readonly sites: Site[] = [];
  private readonly table: Label;
  private readonly end: Label;

  constructor(private readonly g: GuestAsm) {
    this.table = g.a.newLabel("site_table");
    this.end = g.a.newLabel("site_table_end");
  }

  get count(): number {
    return this.sites.length;
  }

  /** Emits a site for call `number` holding `native` (bytes of the instructions a NONE answer keeps). */
  emit(number: number, native?: (a: Assembler) => void): void {
    const bytes = nativeBytes(native);
    const length = Math.max(MIN_SITE, bytes.length);
    const label = this.g.a.newLabel();
    this.g.a.label(label);
    this.g.a.bytes(bytes);
    if (length > bytes.length) this.g.a.bytes(new Array<number>(length - bytes.length).fill(0x90));
    this.sites.push({ label, number, length });
  }

  /** The patcher: walks the site table once. Unknown relocation types are a failure (Linux: BUG()). */
  emitPatcher(r: RelocArrays): void {
    const { g } = this;
    const a = g.a;
    const loop = a.newLabel(),
      next = a.newLabel(),
      done = a.newLabel();
    const callRel = a.newLabel(),
      jumpRel = a.newLabel(),
      rel = a.newLabel(),
      nop = a.newLabel(),
      none = a.newLabel();
    a.mov(esi, this.table);
    a.label(loop);
    a.cmp(esi, this.end);
    a.jae(done);
    a.mov(edi, dword(esi, 0));
    a.mov(ebx, dword(esi, 4));
    a.mov(ecx, dword(esi, 8));
    a.mov(edx, dword({ index: ebx, scale: 4, disp: r.type }));
    a.cmp(edx, 0);
    a.je(none);
    a.cmp(edx, 1);
    a.je(callRel);
    a.cmp(edx, 2);
    a.je(jumpRel);
    a.cmp(edx, 3);
    a.je(nop);
    g.printKeyDec("GUEST: PATCH-BAD n=", ebx);
    g.printKeyHex(" type=", edx);
    g.print(" reason=unknown-relocation-type\n");
    a.inc(g.v("fail_count"));
    a.jmp(next);
    a.label(callRel);
    a.mov(al, 0xe8);
    a.inc(g.v("patched_call"));
    a.jmp(rel);
    a.label(jumpRel);
    a.mov(al, 0xe9);
    a.inc(g.v("patched_jump"));
    a.label(rel);
    a.stosb();
    a.mov(eax, dword({ index: ebx, scale: 4, disp: r.eip }));
    a.sub(eax, edi);
    a.sub(eax, 4); // EDI is already past the opcode byte: target - (site + 5)
    a.stosd();
    a.sub(ecx, 5);
    a.mov(al, 0x90);
    a.rep().stosb();
    a.jmp(next);
    a.label(nop);
    a.mov(al, 0x90);
    a.rep().stosb();
    a.inc(g.v("patched_nop"));
    a.jmp(next);
    a.label(none);
    a.inc(g.v("patched_none"));
    a.label(next);
    a.inc(g.v("patched_sites"));
    a.add(esi, SITE_RECORD);
    a.jmp(loop);
    a.label(done);
    // The table is filled in after this code is recorded (tests come later): count at run time.
    g.printKeyDec("GUEST: PATCH sites=", g.v("patched_sites"));
    g.printKeyDec(" call_rel=", g.v("patched_call"));
    g.printKeyDec(" jump_rel=", g.v("patched_jump"));
    g.printKeyDec(" nop=", g.v("patched_nop"));
    g.printKeyDec(" none=", g.v("patched_none"));
    g.print("\n");
  }

  /** The site table (data); call after all sites are emitted. */
  emitTable(): void {
    const a = this.g.a;
    a.align(4);
    a.label(this.table);
    for (const s of this.sites) a.dd(s.label, s.number, s.length);
    a.label(this.end);
  }
}

function nativeBytes(native?: (a: Assembler) => void): Uint8Array {
  if (!native) return new Uint8Array();
  const s = new Assembler();
  native(s);
  const r = s.assemble();
  if (!r.ok) throw new Error(`native sequence does not assemble: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.bytes;
}
