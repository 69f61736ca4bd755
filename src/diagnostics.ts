// Errors are values: a stable code, a message a user can act on, and where it happened.
// Every stage (assembler, layout loader, image builder) reports through this one shape; the
// checker has its own richer Violation (expected/found), since it reports many at once.

/**
 * Every diagnostic code with what it means, in one table (as the TypeScript compiler's diagnosticMessages.json):
 * `diag` accepts only these codes, and test/diagnostics.test.ts checks that each is emitted somewhere in
 * src/, roms/ or guest/ and which tests provoke it. The message of each diagnostic adds the particulars.
 */
export const DIAGNOSTICS = {
  // The assembler (src/asm).
  ASM_UNKNOWN_MNEMONIC: "no instruction of that name in the opcode table",
  ASM_INVALID_OPERANDS: "no form of the instruction takes these operands",
  ASM_SIZE_MISMATCH: "the operands' sizes differ",
  ASM_SIZE_NEEDED: "a memory operand needs a size (byte, word, dword) that nothing else gives",
  ASM_IMM_RANGE: "an immediate does not fit the instruction's field",
  ASM_INVALID_ADDRESS: "a memory operand no addressing form can encode",
  ASM_UNDEFINED_LABEL: "a label is used but never defined",
  ASM_DUPLICATE_LABEL: "a label is defined twice",
  ASM_SHORT_BRANCH_RANGE: "a short branch (rel8: loop, jecxz, an explicit short jmp/jcc) cannot reach its target",
  ASM_FIXUP_RANGE: "a label-dependent value does not fit its field once laid out",
  ASM_ORG_BACKWARDS: "org asks for an offset the program has already passed",
  ASM_BAD_DIRECTIVE: "a data or placement directive with an invalid argument (count, alignment, value)",
  // Layouts: JSON and shape (src/layout/parse.ts), files (src/cli/load-layout.ts).
  LAYOUT_READ_FAILED: "the layout file cannot be read",
  LAYOUT_DIR_NOT_FOUND: "no layouts/ directory was found (or $VMIROM_LAYOUTS is not one)",
  LAYOUT_UNKNOWN_NAME: "no layout file has that name",
  LAYOUT_NAME_MISMATCH: "the layout's name differs from its file name",
  LAYOUT_JSON_SYNTAX: "the layout file is not valid JSON",
  LAYOUT_SCHEMA: "a value of the wrong type or form for its key",
  LAYOUT_UNKNOWN_KEY: "a key the layout format does not have (a typo?)",
  LAYOUT_MISSING_KEY: "a required key is missing",
  LAYOUT_UNKNOWN_RELOC_TYPE: "a relocation type other than NONE, CALL_REL, JUMP_REL, NOP",
  LAYOUT_UNKNOWN_COMPUTED: "a computed header field of a kind the builder does not compute",
  LAYOUT_UNKNOWN_SOURCE_KIND: "a header field source other than const, ascii, computed, reserved",
  LAYOUT_UNKNOWN_ROLE: "a role other than init or getRelocationInfo",
  // Layouts: semantics (src/layout/validate.ts).
  LAYOUT_VALUE_RANGE: "a number outside the range its key allows",
  LAYOUT_IMAGE_SIZE: "maxImageSize is not a positive multiple of 512 that an option ROM can have",
  LAYOUT_FILLER: "the filler is not a byte value",
  LAYOUT_HIGH_ALIAS: "highAlias is not a 4 MiB-aligned address in the hypervisor's top area",
  LAYOUT_LICENSE_NOT_ASCII: "the license is not printable ASCII",
  LAYOUT_LICENSE_REJECTED: "an API 3 license Linux would refuse (it accepts only GPL and GPL v2)",
  LAYOUT_LICENSE_MISSING: "a header field points at the license, but the license is empty",
  LAYOUT_STRING_NOT_ASCII: "a $PnP string is not printable ASCII",
  LAYOUT_RELOC_MAGIC: "the relocation table's magic is not 4 printable ASCII characters",
  LAYOUT_SLOT_SIZE: "slots are not 32 bytes (VROM_CALL_LEN)",
  LAYOUT_SLOT_MISALIGNED: "the slot table does not start at a multiple of the slot size",
  LAYOUT_SLOT_COUNT: "the slot count is not the highest call number + 1",
  LAYOUT_SLOTS_PAST_IMAGE: "the slot table ends past maxImageSize",
  LAYOUT_BAD_IDENTIFIER: "a header field name that is not a C identifier",
  LAYOUT_DUPLICATE_FIELD_NAME: "two header fields have the same name",
  LAYOUT_FIELD_BEYOND_HEADER: "a header field ends past headerSize",
  LAYOUT_ASCII_SIZE: "an ascii header field's text is not exactly its size in printable ASCII",
  LAYOUT_CONST_TOO_WIDE: "a const header field's value does not fit its size",
  LAYOUT_COMPUTED_DUPLICATE: "two header fields are computed as the same thing",
  LAYOUT_COMPUTED_MISSING: "the header lacks a computed field every image needs",
  LAYOUT_COMPUTED_OFFSET: "a computed field is not at the offset the option-ROM format fixes",
  LAYOUT_COMPUTED_SIZE: "a computed field is not of the size the option-ROM format fixes",
  LAYOUT_PROBE_FIELD: "the header lacks a field the guests' probe reads",
  LAYOUT_HEADER_OVERLAP: "two header fields, jump points or structures overlap",
  LAYOUT_STRUCT_PAST_IMAGE: "PCIR or $PnP ends past maxImageSize",
  LAYOUT_CALL_OUT_OF_RANGE: "a call number outside the slot table",
  LAYOUT_CALL_SLOT_IN_HEADER: "a call's slot overlaps the header",
  LAYOUT_CALL_SLOT_OVERLAP: "a call's slot overlaps a jump point or a structure",
  LAYOUT_DUPLICATE_CALL: "two calls have the same number",
  LAYOUT_DUPLICATE_CALL_NAME: "two calls have the same name",
  LAYOUT_EMPTY_RELOCS: "a call allows no relocation type",
  LAYOUT_DUPLICATE_RELOC: "a call lists a relocation type twice",
  LAYOUT_DUPLICATE_ROLE: "two calls or jump points hold the same role",
  LAYOUT_MISSING_ROLE: "no call or jump point holds a role every ROM needs (init, getRelocationInfo)",
  // The image builder (src/image).
  IMAGE_LAYOUT: "the layout lacks what the builder needs (exactly one entry per role)",
  IMAGE_NONE_NOT_ALLOWED: "the backend leaves out a call whose relocation may not be NONE",
  IMAGE_BODY_THREW: "a backend's body generator threw",
  IMAGE_EMPTY_BODY: "a body is empty (it must end in ret, jmp, iret or sysexit)",
  IMAGE_BODY_TOO_LARGE: "a body is larger than one body may be",
  IMAGE_ENTRY_TOO_SMALL: "a body does not fit an area too small for jmp rel32 + ud2",
  IMAGE_SHARED_NAME: "a shared routine's name is not a C identifier, or is reserved or taken",
  IMAGE_OVERLAP: "two fixed items (header fields, structures, slots) overlap",
  IMAGE_SLOT_OVERFLOW: "a body grew past its slot once placed",
  IMAGE_TOO_LARGE: "the image exceeds the layout's maxImageSize",
  // The command line (src/cli).
  CLI_USAGE: "arguments the command does not accept together",
  CLI_UNKNOWN_BACKEND: "no backend of that name",
  CLI_BACKEND_LOAD: "a backend file cannot be compiled or loaded",
  CLI_BACKEND_EXPORT: "a backend file does not export a RomProgram (default export or export backend)",
  CLI_BACKEND_NAME: "a backend file's program has a name that is taken by a built-in backend or unusable in file names",
  CLI_BACKEND_TESTS: "run --backend: the backend file has no export guestTests, or it is not a GuestTests (tests(layout), untested)",
  CLI_BACKEND_MISMATCH: "run --backend: the backend file's program is not the backend the ROM was built by (its manifest)",
  CLI_INIT_TARGET: "vmirom init-backend cannot write its starting point there",
  CLI_UNKNOWN_API: "no layout has that API major version",
  CLI_READ_FAILED: "an input file cannot be read",
  CLI_WRITE_FAILED: "an output file cannot be written",
  CLI_OUT_DIR: "the output directory cannot be used or created",
  CLI_NOT_A_ROM: "the file does not start with the option-ROM signature 55 AA",
  CLI_TOO_LARGE: "an input is larger than such a file can be (a ROM: 255 blocks of 512 bytes); refused before reading it all",
  CLI_NOT_A_FILE: "an input is a directory (for qemu: not a regular file)",
  CLI_TRUNCATED: "the image is shorter than its length byte (offset 2) says",
  CLI_NOT_VMI: "an option ROM without its layout's VMI signature (cVmi at 0x08)",
  CLI_NOT_A_KERNEL: "run --kernel: the file is no bzImage, multiboot kernel or ELF file that qemu can boot",
  CLI_PATH_ENCODING: "a file name that is not UTF-8 cannot be passed on as the bytes typed",
  CLI_MANIFEST_JSON: "the manifest file is not JSON",
  CLI_MANIFEST_SHAPE: "the manifest file is JSON but not a vmirom manifest",
  CLI_NO_MANIFEST: "the test guest needs the ROM's build manifest and there is none",
  CLI_NO_GUEST: "the bundled test guest (dist/vmirom-guest.mjs) is missing",
  CLI_NO_QEMU: "qemu-system-i386 is not installed",
  CLI_QEMU_FAILED: "qemu-system-i386 cannot be started",
  CLI_HV_BACKEND: "vmirom run --hypervisor: the ROM's backend has no reference hypervisor (or cannot be told)",
  CLI_HV_API: "vmirom run --hypervisor: the reference hypervisor hosts API 3 guests only",
  CLI_HV_BUILD: "vmirom run --hypervisor: the reference hypervisor cannot be built (gcc, binutils)",
  CLI_NOT_A_BZIMAGE: "the kernel is not a Linux bzImage (no HdrS boot-protocol signature)",
  // The test guest and its qemu runner (guest/).
  GUEST_NO_ROM: "no ROM file at the path given",
  GUEST_NO_MANIFEST: "no build manifest beside the ROM",
  GUEST_BAD_MANIFEST: "the file beside the ROM is not a vmirom build manifest",
  GUEST_MANIFEST: "the manifest does not fit the layout the guest is built for",
  GUEST_LAYOUT: "the layout does not fit the guest's memory map",
  GUEST_UNKNOWN_API: "no guest convention for the layout's API (Linux uses 3, Sanos 13)",
  GUEST_NO_EXPECTATIONS: "the ROM's manifest names a hypervisor contract the guest has no model of",
  GUEST_TEST_DEFINITION: "a backend's expectation file (or a backend file's guestTests) defines a test badly",
} as const satisfies Record<string, string>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export interface Location {
  /** File the problem is in (layout file, ROM image). */
  file?: string;
  /** Path inside a structured file, e.g. "calls[12].number". */
  path?: string;
  /** VMI call the problem concerns. */
  call?: string;
  /** Assembler label nearest to the problem. */
  label?: string;
  /** Index of the assembler node (instruction, label, directive). */
  node?: number;
  /** TypeScript source line that recorded the node, as "file:line". */
  source?: string;
  /** Byte offset in the output. */
  offset?: number;
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  location: Location;
}

export function diag(code: DiagnosticCode, message: string, location: Location = {}): Diagnostic {
  return { code, message, location };
}

/** One line: "CODE: message (at path / call / source)". */
export function formatDiagnostic(d: Diagnostic): string {
  const where: string[] = [];
  const l = d.location;
  if (l.file) where.push(l.file + (l.path ? `:${l.path}` : ""));
  else if (l.path) where.push(l.path);
  if (l.call) where.push(`call ${l.call}`);
  if (l.label) where.push(`near label ${l.label}`);
  if (l.node !== undefined) where.push(`node ${l.node}`);
  if (l.offset !== undefined) where.push(`offset 0x${l.offset.toString(16)}`);
  if (l.source) where.push(l.source);
  return `${d.code}: ${d.message}${where.length ? ` (${where.join(", ")})` : ""}`;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: Diagnostic[] };
