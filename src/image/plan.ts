// Deciding where every entry goes before anything is laid out: which code each jump point and call slot
// runs, whether that code fits in place (measured in a scratch Assembler) or goes out of line, and which
// relocation type the table will answer.

import { Assembler, type Label } from "../asm/index.ts";
import { diag, type Diagnostic, type Result } from "../diagnostics.ts";
import type { CallDef, JumpPoint, Layout, RelocType } from "../layout/types.ts";
import type { Placement } from "../manifest/types.ts";
import type { Body, BodyContext, RomProgram } from "./program.ts";

/** A body larger than this is a mistake (a runaway `times`, a table in code), not a call implementation. */
export const MAX_BODY_SIZE = 4096;
/** `jmp rel32` + `ud2`: what an out-of-line slot or jump point holds before its filler. */
export const OUT_OF_LINE_STUB_SIZE = 7;

/** Who provides an entry's code: the backend, the image machinery (GetRelocationInfo), or nobody. */
export type CodeSource = { kind: "backend"; body: Body } | { kind: "getRelocationInfo" } | { kind: "absent"; reason?: string };

export interface PlannedEntry {
  /** Call name for slots; "Init" / "GetRelocationInfo" for api3's jump points. Symbols: stub_<name>, body_<name>. */
  name: string;
  /** The layout call, for slots. */
  call?: CallDef;
  jumpPoint?: JumpPoint;
  /** The call the body is written for (a synthetic one for jump points). */
  context: CallDef;
  offset: number;
  size: number;
  source: CodeSource;
  placement: Placement;
  outOfLine: boolean;
  /** Upper bound of the body's size (branches to labels outside it measured long); 0 when absent. */
  measured: number;
  reloc: RelocType;
}

export interface Plan {
  entries: PlannedEntry[];
  /** Shared routine labels, created on the program's Assembler and handed to every body. */
  shared: Readonly<Record<string, Label>>;
}

const JUMP_POINT_NAMES: Record<JumpPoint["role"], string> = { init: "Init", getRelocationInfo: "GetRelocationInfo" };

/** Names the image machinery binds itself; a shared routine may not take them. */
export const RESERVED_SYMBOLS = new Set(["init16", "reloc_table", "license", "pnp_manufacturer", "pnp_product", "checksum", "pci_data", "pnp_header"]);

export function jumpPointLabel(role: JumpPoint["role"]): string {
  return `jump_${role}`;
}

export function syntheticCall(jp: JumpPoint): CallDef {
  return jp.role === "init"
    ? { number: -1, name: "Init", args: "", returns: "EAX (0 = success)", relocs: ["CALL_REL"], use: `jump point ${hex(jp.offset)}`, role: "init" }
    : {
        number: -1,
        name: "GetRelocationInfo",
        args: "EAX=call number",
        returns: "EDX:EAX",
        relocs: ["CALL_REL"],
        use: `jump point ${hex(jp.offset)}`,
        role: "getRelocationInfo",
      };
}

/**
 * Plans every entry. `emitGetReloc` writes the machinery's GetRelocationInfo (measured like any body).
 * `main` is the Assembler the image will be recorded on: shared routine labels are created there.
 */
export function planImage(program: RomProgram, layout: Layout, main: Assembler, emitGetReloc: (a: Assembler) => void): Result<Plan> {
  const errors: Diagnostic[] = [];
  const shared: Record<string, Label> = {};
  for (const routine of program.shared ?? []) {
    const name = routine.name;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED_SYMBOLS.has(name) || /^(stub|body|jump)_/.test(name)) {
      errors.push(
        diag(
          "IMAGE_SHARED_NAME",
          `shared routine name ${JSON.stringify(name)} is not a C identifier, or is reserved (stub_*, body_*, jump_*, ${[...RESERVED_SYMBOLS].join(", ")})`,
          { label: name },
        ),
      );
    } else if (shared[name]) {
      errors.push(diag("IMAGE_SHARED_NAME", `shared routine ${name} is defined twice in backend ${program.backend}`, { label: name }));
    } else shared[name] = main.newLabel(name);
  }
  if (errors.length) return { ok: false, errors };

  const entries: PlannedEntry[] = [];
  const sourceFor = (call: CallDef): CodeSource => {
    if (call.role === "getRelocationInfo") return { kind: "getRelocationInfo" };
    if (call.role === "init") return { kind: "backend", body: program.init };
    const body = program.calls[call.name];
    const reason = program.absentReasons?.[call.name];
    if (!body) return { kind: "absent", ...(reason ? { reason } : {}) };
    const omitted = call.relocs.includes("NONE") ? program.omit?.(call, layout) : undefined;
    if (omitted) return { kind: "absent", reason: omitted };
    return { kind: "backend", body };
  };
  for (const jp of layout.jumpPoints) {
    const context = syntheticCall(jp);
    const source: CodeSource = jp.role === "init" ? { kind: "backend", body: program.init } : { kind: "getRelocationInfo" };
    entries.push(plan(JUMP_POINT_NAMES[jp.role], context, jp.offset, jp.size, source, { jumpPoint: jp }));
  }
  for (const call of [...layout.calls].sort((x, y) => x.number - y.number)) {
    const offset = layout.slots.base + call.number * layout.slots.size;
    entries.push(plan(call.name, call, offset, layout.slots.size, sourceFor(call), { call }));
  }

  function plan(
    name: string,
    context: CallDef,
    offset: number,
    size: number,
    source: CodeSource,
    where: { call?: CallDef; jumpPoint?: JumpPoint },
  ): PlannedEntry {
    const entry: PlannedEntry = { name, ...where, context, offset, size, source, placement: "absent", outOfLine: false, measured: 0, reloc: "NONE" };
    const what = where.call ? `call ${where.call.number} ${name}` : `${name} (jump point ${hex(offset)})`;
    if (source.kind === "absent") {
      if (!context.relocs.includes("NONE")) {
        errors.push(
          diag(
            "IMAGE_NONE_NOT_ALLOWED",
            `${what} has no body in backend ${program.backend}, but layout ${layout.name} does not allow relocation NONE for it (allowed: ${context.relocs.join(", ")}); its slot at ${hex(offset)} needs code`,
            { call: name, offset },
          ),
        );
      }
      return entry;
    }
    const measured =
      source.kind === "backend"
        ? measure(name, (a) => source.body(a, { layout, call: context, api: layout.version.major, shared, cold: () => a.newLabel() }))
        : measure(name, emitGetReloc);
    if (!measured.ok) {
      errors.push(...measured.errors.map((d) => ({ ...d, message: `in the body of ${what}: ${d.message}`, location: { ...d.location, call: name } })));
      return entry;
    }
    entry.measured = measured.value;
    // The first allowed type is the answer; a layout that was never validated may allow none.
    const [reloc] = context.relocs;
    if (reloc === undefined) {
      errors.push(
        diag("LAYOUT_EMPTY_RELOCS", `${what} allows no relocation type in layout ${layout.name}: there is nothing to answer for it`, { call: name, offset }),
      );
      return entry;
    }
    entry.reloc = reloc;
    entry.placement = source.kind === "getRelocationInfo" ? "image" : measured.value <= size ? "inline" : "outOfLine";
    entry.outOfLine = measured.value > size;
    if (measured.value === 0) {
      errors.push(diag("IMAGE_EMPTY_BODY", `the body of ${what} is empty: it must end in ret, jmp, iret or sysexit`, { call: name, offset }));
    } else if (measured.value > MAX_BODY_SIZE) {
      errors.push(
        diag(
          "IMAGE_BODY_TOO_LARGE",
          `the body of ${what} is ${measured.value} bytes, over the ${MAX_BODY_SIZE}-byte limit for one body (its slot is at ${hex(offset)})`,
          { call: name, offset },
        ),
      );
    } else if (entry.outOfLine && size < OUT_OF_LINE_STUB_SIZE) {
      errors.push(
        diag(
          "IMAGE_ENTRY_TOO_SMALL",
          `the body of ${what} is ${measured.value} bytes and does not fit its ${size}-byte area at ${hex(offset)}, which is too small for jmp rel32 + ud2 (${OUT_OF_LINE_STUB_SIZE} bytes)`,
          { call: name, offset },
        ),
      );
    }
    return entry;
  }

  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { entries, shared } };
}

/** Size of a body assembled on its own. Labels outside it stay unknown, so branches to them count long. */
function measure(name: string, emit: (a: Assembler) => void): Result<number> {
  const scratch = new Assembler({ captureSource: false });
  scratch.label(`body_${name}`); // cold parts are not recorded here: they do not count toward the slot
  try {
    emit(scratch);
  } catch (e) {
    return { ok: false, errors: [diag("IMAGE_BODY_THREW", `the body generator threw: ${e instanceof Error ? e.message : String(e)}`, { call: name })] };
  }
  const r = scratch.assemble({ allowUndefined: true });
  return r.ok ? { ok: true, value: r.bytes.length } : { ok: false, errors: r.errors };
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The body a planned entry writes, as a function of the Assembler it records on. `cold` files the body's
 * cold parts (the caller places them later).
 */
export function bodyWriter(
  entry: PlannedEntry,
  layout: Layout,
  shared: Readonly<Record<string, Label>>,
  emitGetReloc: (a: Assembler) => void,
  cold: BodyContext["cold"],
): ((a: Assembler) => void) | undefined {
  const src = entry.source;
  if (src.kind === "absent") return undefined;
  if (src.kind === "getRelocationInfo") return emitGetReloc;
  const ctx: BodyContext = { layout, call: entry.context, api: layout.version.major, shared, cold };
  return (a) => src.body(a, ctx);
}
