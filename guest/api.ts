// The test guest's public vocabulary: what a backend written outside vmirom writes its own guest tests in, and
// what "vmirom/guest" (src/lib/guest.ts) exports. Interfaces only: the guest's classes implement them (TestCtx in
// context.ts, checked by tsc) and keep everything else — the guest's memory map, tables, trap handlers, the
// hypervisor models — internal, free to change.

import type { Assembler, Expr, Label, Mem32, Reg32 } from "../src/asm/index.ts";
import type { Layout } from "../src/layout/types.ts";

/** A value the checks accept: a register, a memory operand, or an immediate or label. */
export type Value = Reg32 | Mem32 | Expr;

export interface CallOptions {
  /** Names the variant in COUNT and FAIL lines (default "default"). */
  path?: string;
  /**
   * The native instruction(s) Linux would leave at the call site when the ROM answers NONE for the call.
   * Without it, a NONE answer skips the test.
   */
  native?: (a: Assembler) => void;
  /** Arguments beyond the third, first one first (it ends up at [esp+4] in the callee). */
  stack?: readonly Value[];
  /** Count the instructions of this call (default true). */
  count?: boolean;
  /** Callee-saved registers checked after the call (default EBX, ESI, EDI, EBP). */
  preserves?: readonly Reg32[];
}

/** A field of a hypercall log record (the caller's registers at the hypercall, and its result). */
export type HypercallField = "seq" | "via" | "eax" | "ebx" | "ecx" | "edx" | "esi" | "edi" | "eip" | "result";

/**
 * What a test's `emit` writes its code with. The code runs in the test guest at ring 0 with paging on and
 * interrupts off, from a fresh stack; a failed check prints one FAIL line (test, call, path, got, want, what)
 * and ends the test, whose cleanup still runs.
 */
export interface TestCtx {
  /** The guest's assembler: the test's own instructions (set up arguments, read effects back). */
  readonly a: Assembler;
  /** The interface the guest is built for. */
  readonly layout: Layout;
  /** Its major version: 3 (the guest follows Linux) or 13 (Sanos). */
  readonly api: number;
  /** Whether the layout has a call of that name. */
  has(name: string): boolean;
  /** The call's number in the layout (throws for a name the layout lacks). */
  num(name: string): number;
  /** The first of the names the layout has (the interfaces spell some calls differently). */
  pick(...names: string[]): string;
  /** A zeroed (or initialised) buffer in the guest's data area. */
  scratch(size: number, align?: number, bytes?: Uint8Array): Label;
  /** A named dword variable of the guest (zero at start; shared by name across tests). */
  v(name: string): Mem32;

  /** Calls `name` through a call site patched as Linux does, with the registers as they are; counted unless told not to. */
  call(name: string, opts?: CallOptions): void;

  /** got == want, else FAIL. Neither may be ESP-relative; at most one is memory. */
  expectEq(got: Reg32, want: Reg32 | Mem32 | Expr, what: string): void;
  expectEq(got: Mem32, want: Reg32 | Expr, what: string): void;
  /** got != notWant, else FAIL. */
  expectNe(got: Reg32 | Mem32, notWant: Reg32 | Expr, what: string): void;
  /** (got & mask) == want, else FAIL. Registers are preserved. */
  expectMasked(got: Reg32 | Mem32, mask: number, want: number, what: string): void;
  /** The current EFLAGS, saved in a variable, for expectMasked. */
  flags(): Mem32;
  /** The guest-visible interrupt flag (0x200 = on): EFLAGS.IF, or the played hypervisor's virtual flag. */
  interruptFlag(): Mem32;
  /** `jump` emits a jump to `ok` on the condition; falling through is a FAIL with the given values. */
  expectCond(jump: (ok: Label) => void, what: string, got?: Value, want?: Value): void;
  /** An unconditional FAIL. */
  fail(what: string, got?: Value, want?: Value): void;
  /** `body` must raise exception `vector` (a fault); the guest resumes after it with ESP as before. */
  expectFault(vector: number, body: () => void, what: string): void;

  /** The hypercall log, for a paravirtual backend's tests (under the hypervisor model the guest plays). */
  readonly hc: {
    /** Remembers the log's position: the checks below index hypercalls from here. */
    mark(): void;
    /** Exactly `n` hypercalls since mark(). */
    expectCount(n: number, what: string): void;
    /** Field `field` of the k-th hypercall (from 0) since mark() equals `want`. */
    expectField(k: number, field: HypercallField, want: Expr, what: string): void;
  };
}

/** One test: code that exercises some calls with test vectors and checks their effects. */
export interface CallTest {
  /** Unique among the backend's tests; printed in the PASS, FAIL and SKIP lines. */
  name: string;
  /**
   * The calls the test exercises, by their layout names. The test is left out on an interface that lacks one
   * of them, and skipped at run time when the ROM answers NONE (without a `native` fallback) or NOP for one.
   */
  calls: readonly string[];
  /** Lines the test writes to the debug port itself; each must be in the log when it passed. */
  logMarkers?: readonly string[];
  emit(t: TestCtx): void;
  /** Restores the machine's state after the test, whether it passed or failed. */
  cleanup?(t: TestCtx): void;
}

/**
 * What a backend file exports as `guestTests` for `vmirom run ROM --backend FILE`: the tests the guest runs on
 * the backend's ROM, in place of the common effect tests it runs otherwise.
 */
export interface GuestTests {
  /** The tests for one interface, in run order: compose `commonEffectTests(layout)` with your own. */
  tests(layout: Layout): readonly CallTest[];
  /**
   * Implemented calls no test exercises, each with the reason. Given, every other call the ROM implements must
   * be exercised by a passing test or the run fails (as for vmirom's own backends); absent, such calls are
   * listed as not exercised.
   */
  untested?: Readonly<Record<string, string>>;
}
