// What a backend hands to the image machinery: call bodies written with the DSL, and nothing else.
// The machinery places them (inline in the 32-byte slot or out of line), adds the header, PCI/PnP data,
// GetRelocationInfo, the relocation table, padding and checksum.

import type { Assembler, Label } from "../asm/index.ts";
import type { CallDef, Layout } from "../layout/types.ts";

export interface BodyContext {
  /** The interface being built. */
  readonly layout: Layout;
  /** The call whose body is being written (for Init on api3: a synthetic CallDef with role "init"). */
  readonly call: CallDef;
  /** layout.version.major: 3 or 13. */
  readonly api: number;
  /** Entry labels of the program's shared routines, by name. Call them; they are placed once after the table. */
  readonly shared: Readonly<Record<string, Label>>;
  /**
   * Places `emit` out of line, after the bodies (symbol `cold_<Call>`), and returns its label: a body keeps
   * its hot path in the 32-byte slot and branches here for the rest, so no backend places code by hand. The
   * cold part ends in a terminator on every path, like a body; it does not count toward the slot's size.
   */
  readonly cold: (emit: (a: Assembler) => void) => Label;
}

/**
 * Writes one call's body at the current position. The body must end in a terminator on every path
 * (ret, jmp, iret, sysexit); it may call shared routines. It must be position-independent: the ROM runs
 * wherever the BIOS copied it, read-only.
 */
export type Body = (a: Assembler, ctx: BodyContext) => void;

export interface SharedRoutine {
  readonly name: string;
  readonly emit: (a: Assembler, ctx: Omit<BodyContext, "call" | "cold">) => void;
}

/** The hypervisor contracts a paravirtual backend may speak (docs/hypervisors.md). */
export type HypervisorName = "vmware" | "xen";

export interface RomProgram {
  /** Short name used in file names and the manifest: native, vmware, xen (letters, digits, - and _). */
  readonly backend: string;
  readonly description: string;
  /**
   * For a paravirtual backend built outside this tree: the hypervisor contract it speaks, recorded in the
   * manifest so that `vmirom run` knows which hypervisor to play (the test guest's model, or the reference
   * hypervisor with --hypervisor). The built-in backends are known by name and leave it out.
   */
  readonly hypervisor?: HypervisorName;
  /** VMI Init (api3: the jump point at 0x80; api13: call 4). Returns EAX = 0 on success. */
  readonly init: Body;
  /**
   * Bodies by call name as the layouts spell them. A name absent from a layout is ignored for it; a layout
   * call absent here gets the defined "absent" stub and relocation NONE (an error where NONE is not allowed).
   */
  readonly calls: Readonly<Record<string, Body>>;
  readonly shared?: readonly SharedRoutine[];
  /**
   * Calls to leave out on one interface although `calls` has a body for the name (absent stub, relocation
   * NONE), e.g. a timer call whose honest answer on api3 is "not provided": returns the reason, which the
   * manifest records, or undefined to keep the call. Asked only for calls whose layout entry allows NONE.
   */
  readonly omit?: (call: CallDef, layout: Layout) => string | undefined;
  /** Why a layout call without a body in `calls` is absent, by call name (recorded in the manifest). */
  readonly absentReasons?: Readonly<Record<string, string>>;
}
