// The vocabulary tests are written in: call a VMI call through a patched site (counted), compare
// values and report a mismatch by test, call and path, expect a fault, go to ring 3 and back, look at
// the hypercall log. A failed check prints one FAIL line and ends the test (its cleanup still runs).

import { type Assembler, dword, eax, ebp, ebx, edi, esi, esp, mem, type Expr, type Label, type Mem32, type Reg32 } from "../src/asm/index.ts";
import type { Layout } from "../src/layout/types.ts";
import type { Manifest } from "../src/manifest/types.ts";
import type { CallOptions, TestCtx as PublicTestCtx } from "./api.ts";
import { emitCountEnd, emitCountStart } from "./count.ts";
import type { GuestAsm, Value } from "./emitter.ts";
import { HC_ENTRY_SIZE, MEM, VEC } from "./memory.ts";
import type { GuestKind } from "./probe.ts";
import type { Tables } from "./boot.ts";
import type { SiteTable } from "./sites.ts";
import { HC_RECORD, type HypervisorModel } from "./traps.ts";

/** Guest tables and handlers tests may use (descriptor tables, TSSes, the WriteIDTEntry handler). */
export interface GuestLabels extends Tables {
  int90: Label;
}

export interface Landing {
  label: Label;
  call: string;
  path: string;
  count: boolean;
}

const CALLEE_SAVED: readonly Reg32[] = [ebx, esi, edi, ebp];

/** Routines the context calls; emitted once by the runner. */
export interface CheckRuntime {
  /** report_fail(what, got, want) on the stack, callee pops. */
  reportFail: Label;
}

/** The public part (api.ts, "vmirom/guest") is what backends outside vmirom write their tests with. */
export class TestCtx implements PublicTestCtx {
  /** Calls the test reached through a site without a native fallback (a NONE answer must skip it). */
  readonly callsWithoutNative = new Set<string>();

  constructor(
    readonly g: GuestAsm,
    readonly layout: Layout,
    readonly kind: GuestKind,
    readonly manifest: Manifest | undefined,
    readonly labels: GuestLabels,
    private readonly sites: SiteTable,
    private readonly rt: CheckRuntime,
    /** Where a failed check goes (the test's cleanup). */
    readonly failed: Label,
    /** The hypervisor the guest plays (paravirtual backends). */
    readonly model?: HypervisorModel,
  ) {}

  get a(): Assembler {
    return this.g.a;
  }
  get api(): number {
    return this.layout.version.major;
  }

  has(name: string): boolean {
    return this.layout.calls.some((c) => c.name === name);
  }
  /** The call number of `name` in the layout (throws for a name the layout lacks: a test-definition bug). */
  num(name: string): number {
    const c = this.layout.calls.find((x) => x.name === name);
    if (!c) throw new Error(`layout ${this.layout.name} has no call named ${name}`);
    return c.number;
  }
  /** The first of `names` the layout has (interfaces spell some calls differently). */
  pick(...names: string[]): string {
    const n = names.find((x) => this.has(x));
    if (!n) throw new Error(`layout ${this.layout.name} has none of ${names.join(", ")}`);
    return n;
  }

  /** A zeroed (or initialised) scratch buffer. */
  scratch(size: number, align = 16, bytes?: Uint8Array): Label {
    return this.g.buffer(size, align, bytes);
  }
  v(name: string): Mem32 {
    return this.g.v(name);
  }

  // --- calls

  /** Calls `name` through a patched site with the registers as they are; counted unless told not to. */
  call(name: string, opts: CallOptions = {}): void {
    const a = this.a;
    const path = opts.path ?? "default";
    const preserves = opts.preserves ?? CALLEE_SAVED;
    this.enter(name, path);
    for (const r of preserves) a.mov(this.g.v(`saved_${r.name}`), r);
    const stack = opts.stack ?? [];
    for (const v of [...stack].reverse()) this.g.pushValue(v);
    if (opts.count !== false) emitCountStart(this.g);
    this.emitSite(name, opts.native);
    if (opts.count !== false) emitCountEnd(this.g, name, path, this.slotText(name));
    if (stack.length) a.lea(esp, mem(esp, 4 * stack.length));
    for (const r of preserves) {
      const ok = a.newLabel();
      a.cmp(r, this.g.v(`saved_${r.name}`));
      a.je(ok);
      this.reportAndFail(`callee-saved ${r.name} clobbered`, r, this.g.v(`saved_${r.name}`));
      a.label(ok);
    }
  }

  /**
   * For IRET/SYSEXIT: the site transfers control elsewhere (the test has set up the frame or registers).
   * Falling through is a failure; `land()` binds where control must arrive and ends the count there.
   */
  callNoReturn(name: string, landing: Label, opts: Omit<CallOptions, "stack" | "preserves"> = {}): Landing {
    const path = opts.path ?? "default";
    this.enter(name, path);
    const count = opts.count !== false;
    if (count) emitCountStart(this.g);
    this.emitSite(name, opts.native);
    this.fail(`${name} returned to its call site`);
    return { label: landing, call: name, path, count };
  }

  land(l: Landing): void {
    this.a.label(l.label);
    if (l.count) emitCountEnd(this.g, l.call, l.path, this.slotText(l.call));
  }

  private emitSite(name: string, native: ((a: Assembler) => void) | undefined): void {
    if (!native) this.callsWithoutNative.add(name);
    this.sites.emit(this.num(name), native);
  }

  private enter(name: string, path: string): void {
    this.a.mov(this.g.v("cur_call"), this.g.str(name));
    this.a.mov(this.g.v("cur_path"), this.g.str(path));
  }

  private slotText(name: string): string {
    const m = this.manifest?.calls.find((c) => c.name === name);
    if (!m) return "";
    return ` slot_used=${m.slot.used} placement=${m.placement}${m.body ? ` body=${m.body.size}` : ""}`;
  }

  // --- checks

  /** got == want, else FAIL. Neither may be ESP-relative; at most one is memory. */
  expectEq(got: Reg32, want: Reg32 | Mem32 | Expr, what: string): void;
  expectEq(got: Mem32, want: Reg32 | Expr, what: string): void;
  expectEq(got: Reg32 | Mem32, want: Reg32 | Mem32 | Expr, what: string): void {
    const a = this.a;
    const ok = a.newLabel();
    a.cmp(got as Reg32, want as Reg32);
    a.je(ok);
    this.reportAndFail(what, got, want);
    a.label(ok);
  }

  /** got != notWant, else FAIL. */
  expectNe(got: Reg32 | Mem32, notWant: Reg32 | Expr, what: string): void {
    const a = this.a;
    const ok = a.newLabel();
    a.cmp(got as Reg32, notWant as Reg32);
    a.jne(ok);
    this.reportAndFail(what, got, notWant);
    a.label(ok);
  }

  /** (got & mask) == want, else FAIL. Registers are preserved. */
  expectMasked(got: Reg32 | Mem32, mask: number, want: number, what: string): void {
    const a = this.a;
    const ok = a.newLabel();
    const tmp = this.g.v("check_tmp");
    a.push(eax);
    a.mov(eax, got as Reg32);
    a.and(eax, mask >>> 0);
    a.mov(tmp, eax);
    a.pop(eax);
    a.cmp(tmp, want >>> 0);
    a.je(ok);
    this.reportAndFail(what, tmp, want >>> 0);
    a.label(ok);
  }

  /** The current EFLAGS (saved in a variable), for expectMasked. */
  flags(): Mem32 {
    this.a.pushf();
    this.a.pop(this.g.v("flags_tmp"));
    return this.g.v("flags_tmp");
  }

  /**
   * The guest-visible interrupt flag (saved in a variable; bit 0x200 = enabled), for expectMasked: EFLAGS.IF
   * natively, the hypervisor's virtual flag when the model keeps one.
   */
  interruptFlag(): Mem32 {
    if (!this.model?.interruptFlag) return this.flags();
    this.a.push(eax);
    this.model.interruptFlag(this.g);
    this.a.mov(this.g.v("flags_tmp"), eax);
    this.a.pop(eax);
    return this.g.v("flags_tmp");
  }

  /** Emits a jump to `ok` on the condition (emitted by `jump`), else a FAIL with the given values. */
  expectCond(jump: (ok: Label) => void, what: string, got: Value = 0, want: Value = 0): void {
    const ok = this.a.newLabel();
    jump(ok);
    this.reportAndFail(what, got, want);
    this.a.label(ok);
  }

  /** Unconditional FAIL. */
  fail(what: string, got: Value = 0, want: Value = 0): void {
    this.reportAndFail(what, got, want);
  }

  private reportAndFail(what: string, got: Value, want: Value): void {
    this.g.pushValue(want);
    this.g.pushValue(got);
    this.a.push(this.g.str(what));
    this.a.call(this.rt.reportFail);
    this.a.jmp(this.failed);
  }

  /**
   * `body` must raise exception `vector` (a fault, with EIP at the faulting instruction); the guest
   * resumes after it with ESP as before the body. No fault is a FAIL. vars fault_got_err/_eip hold
   * the error code and EIP.
   */
  expectFault(vector: number, body: () => void, what: string): void {
    const a = this.a;
    const resume = a.newLabel();
    a.mov(this.g.v("fault_got_vec"), -1);
    a.mov(this.g.v("fault_resume"), resume);
    a.mov(this.g.v("fault_esp"), esp);
    a.mov(this.g.v("expect_fault_vec"), vector);
    body();
    a.mov(this.g.v("expect_fault_vec"), -1);
    a.label(resume);
    this.expectEq(this.g.v("fault_got_vec"), vector, what);
  }

  // --- rings

  /** Ring 3 comes back (int VEC.toKernel) to `where`, with ESP as it is now. */
  kernelResumeAt(where: Label): void {
    this.a.mov(this.g.v("kernel_esp"), esp);
    this.a.mov(this.g.v("kernel_resume"), where);
  }
  /** In ring-3 code: back to the kernel (vars user_cs/user_eflags/user_eip record the ring-3 state). */
  backToKernel(): void {
    this.a.int(VEC.toKernel);
  }

  // --- hypercall log (paravirtual backends)

  readonly hc = {
    /** Remembers the log position: later checks index records from here. */
    mark: (): void => {
      this.a.push(eax);
      this.a.mov(eax, this.g.v("hc_seq"));
      this.a.mov(this.g.v("hc_test_mark"), eax);
      this.a.pop(eax);
    },
    /** Exactly `n` hypercalls since mark(). */
    expectCount: (n: number, what: string): void => {
      this.a.mov(eax, this.g.v("hc_seq"));
      this.a.sub(eax, this.g.v("hc_test_mark"));
      this.expectEq(eax, n, what);
    },
    /** Field `field` of the k-th hypercall since mark() equals `want`. */
    expectField: (k: number, field: keyof typeof HC_RECORD, want: Expr, what: string): void => {
      this.a.mov(eax, this.g.v("hc_test_mark"));
      this.a.add(eax, k);
      this.a.imul(eax, eax, HC_ENTRY_SIZE);
      this.a.mov(eax, dword(eax, MEM.hcLog + HC_RECORD[field]));
      this.expectEq(eax, want, what);
    },
  };
}
