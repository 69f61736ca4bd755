// The generated C headers, checked by the real compiler: they compile cleanly (alone, together,
// for i386), and a program built against them prints the layout's own numbers back.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HYPERVISOR_IDS, SHARED_AREA, SHARED_MAGIC } from "../../src/layout/shared-area.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { cHeaderFileName, renderCHeader } from "../../src/layout/c-header.ts";
import type { Layout } from "../../src/layout/types.ts";

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
// On CI a missing compiler is a failure, not a skip.
const run = hasGcc || process.env.CI === "true" ? describe : describe.skip;

function layout(name: string): Layout {
  const r = loadLayoutByName(name);
  if (!r.ok) throw new Error(`${name} does not load`);
  return r.value;
}

const dir = mkdtempSync(join(tmpdir(), "vmirom-cheader-"));

function gcc(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync("gcc", args, { cwd: dir, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr };
}

const STRICT = ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"];

function compileAndRun(source: string, name: string): string {
  writeFileSync(join(dir, `${name}.c`), source);
  const c = gcc([...STRICT, "-o", name, `${name}.c`]);
  expect(c.stderr).toBe("");
  expect(c.status).toBe(0);
  const r = spawnSync(join(dir, name), { encoding: "utf8" });
  expect(r.status).toBe(0);
  return r.stdout;
}

run("renderCHeader", () => {
  let api3: Layout;
  let api13: Layout;
  beforeAll(() => {
    api3 = layout("api3");
    api13 = layout("api13");
    for (const l of [api3, api13]) writeFileSync(join(dir, cHeaderFileName(l)), renderCHeader(l));
  });

  it("names the files vmi-api<major>.h", () => {
    expect([cHeaderFileName(api3), cHeaderFileName(api13)]).toEqual(["vmi-api3.h", "vmi-api13.h"]);
  });

  it("compiles warning-free alone, together in both orders, and for i386", () => {
    const units: Record<string, string> = {
      only3: '#include "vmi-api3.h"\n#include "vmi-api3.h"\nint x = VMI_API3_CALL_COUNT;\n',
      only13: '#include "vmi-api13.h"\nint x = VMI_API13_CALL_COUNT;\n',
      both: '#include "vmi-api3.h"\n#include "vmi-api13.h"\nint x = VMI_CALL_SetPxE;\n',
      reverse: '#include "vmi-api13.h"\n#include "vmi-api3.h"\nint x = VMI_CALL_SetPxE;\n',
    };
    for (const [name, text] of Object.entries(units)) {
      writeFileSync(join(dir, `${name}.c`), text);
      for (const extra of [[], ["-m32"]]) {
        const r = gcc([...STRICT, ...extra, "-fsyntax-only", `${name}.c`]);
        expect(r.stderr, `${name} ${extra.join(" ")}`).toBe("");
        expect(r.status).toBe(0);
      }
    }
  });

  it("holds the interface facts (checked by _Static_assert)", () => {
    const out = compileAndRun(
      `#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "vmi-api3.h"
#include "vmi-api13.h"
_Static_assert(VMI_API3_CALL_CPUID == 0, "CPUID");
_Static_assert(VMI_API3_CALL_SetPxE == 38, "api3 SetPxE");
_Static_assert(VMI_API3_CALL_IRET == 33, "IRET");
_Static_assert(VMI_API3_CALL_COUNT == 74, "api3 count");
_Static_assert(VMI_API3_JUMP_INIT_OFFSET == 0x80 && VMI_API3_JUMP_GET_RELOCATION_INFO_OFFSET == 0x88, "jump points");
_Static_assert(VMI_API3_HDR_LICENSE_OFFS_OFFSET == 0x16 && VMI_API3_HDR_PCI_HEADER_OFFS_OFFSET == 0x18, "api3 header");
_Static_assert(VMI_API3_HDR_VIRTUAL_TOP == 0xFC000000u, "virtual_top");
_Static_assert(VMI_API3_RELOCATION_NOP == 3 && VMI_API3_RELOCATION_JUMP_REL == 2, "reloc types");
_Static_assert(VMI_API13_CALL_SetPxE == 86 && VMI_API13_CALL_SetPxE0 == 45, "api13 SetPxE");
_Static_assert(VMI_API13_SLOT_OFFSET(VMI_API13_CALL_Init) == 0x80, "Init slot");
_Static_assert(VMI_API13_SLOT_OFFSET(VMI_API13_CALL_SwapPxE) == 0x5E0, "SwapPxE slot");
_Static_assert(VMI_API13_SLOT_OFFSET(VMI_API13_CALL_GetRelocationInfo) == 0xAA0, "GetRelocationInfo slot");
_Static_assert(VMI_API13_CALL_COUNT == 88, "api13 count");
_Static_assert(VMI_API13_HDR_API_VERSION_MAJ == 13 && VMI_API13_HDR_API_VERSION_MIN == 3, "api13 version");
_Static_assert(VMI_API3_HDR_ROM_SIGNATURE == 0xAA55 && VMI_API13_HDR_VROM_SIGNATURE == 0x696d5663, "signatures");
int main(void) {
  uint32_t sig;
  memcpy(&sig, VMI_API3_HDR_VROM_SIGNATURE_STRING, 4);
  printf("sig %d\\n", sig == VMI_API3_HDR_VROM_SIGNATURE);
  printf("license %s\\n", VMI_API3_LICENSE);
  printf("short %d %d\\n", VMI_API_SHORT_NAMES, VMI_CALL_SetPxE);
  printf("pci %04X:%04X\\n", VMI_API3_PCI_VENDOR_ID, VMI_API3_PCI_DEVICE_ID);
  return 0;
}
`,
      "facts",
    );
    expect(out).toBe("sig 1\nlicense GPL v2\nshort 3 38\npci 15AD:0801\n");
  });

  it.each(["api3", "api13"])("%s: a compiled program prints every call number, slot and header field of the layout", (name) => {
    const l = name === "api3" ? api3 : api13;
    const P = `VMI_API${l.version.major}_`;
    const lines = [
      ...l.calls.map((c) => `  printf("call %s %d %d\\n", "${c.name}", ${P}CALL_${c.name}, ${P}SLOT_OFFSET(${P}CALL_${c.name}));`),
      ...l.header.map((f) => {
        const N = `${P}HDR_${f.name.toUpperCase()}`;
        return `  printf("field %s %d %d\\n", "${f.name}", ${N}_OFFSET, ${N}_SIZE);`;
      }),
      `  printf("slots %d %d %d %d\\n", ${P}SLOT_BASE, ${P}SLOT_SIZE, ${P}SLOT_COUNT, ${P}CALL_COUNT);`,
      `  printf("version %d.%d header %d max %d\\n", ${P}VERSION_MAJOR, ${P}VERSION_MINOR, ${P}HEADER_SIZE, ${P}MAX_IMAGE_SIZE);`,
      ...Object.keys(SHARED_AREA).map((f) => {
        const N = `${P}SHARED_${f.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
        return `  printf("shared %s %d %d\\n", "${f}", ${N}_OFFSET, ${N}_SIZE);`;
      }),
      `  printf("magic %u %u %u\\n", ${P}SHARED_MAGIC, ${P}SHARED_HYPERVISOR_VMWARE, ${P}SHARED_HYPERVISOR_XEN);`,
    ];
    const out = compileAndRun(`#include <stdio.h>\n#include "${cHeaderFileName(l)}"\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`, `dump-${name}`);
    const slot = (n: number) => l.slots.base + n * l.slots.size;
    expect(out.trimEnd().split("\n")).toEqual([
      ...l.calls.map((c) => `call ${c.name} ${c.number} ${slot(c.number)}`),
      ...l.header.map((f) => `field ${f.name} ${f.offset} ${f.size}`),
      `slots ${l.slots.base} ${l.slots.size} ${l.slots.count} ${l.slots.count}`,
      `version ${l.version.major}.${l.version.minor} header ${l.headerSize} max ${l.maxImageSize}`,
      ...Object.entries(SHARED_AREA).map(([f, d]) => `shared ${f} ${d.offset} ${d.size}`),
      `magic ${SHARED_MAGIC} ${HYPERVISOR_IDS.vmware} ${HYPERVISOR_IDS.xen}`,
    ]);
  });

  it("gives the short names to the header included first", () => {
    const out = compileAndRun(
      '#include <stdio.h>\n#include "vmi-api13.h"\n#include "vmi-api3.h"\nint main(void) { printf("%d %d %d %d\\n", VMI_API_SHORT_NAMES, VMI_CALL_SetPxE, VMI_CALL_COUNT, VMI_RELOCATION_CALL_REL); return 0; }\n',
      "short13",
    );
    expect(out).toBe("13 86 88 1\n");
  });

  it("leaves out relocation types the interface does not use (API 13 has no NOP)", () => {
    writeFileSync(join(dir, "nop13.c"), '#include "vmi-api13.h"\nint x = VMI_API13_RELOCATION_NOP;\n');
    const r = gcc([...STRICT, "-fsyntax-only", "nop13.c"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("VMI_API13_RELOCATION_NOP");
  });

  it("fails to compile when a fact is wrong (the harness can fail)", () => {
    writeFileSync(join(dir, "wrong.c"), '#include "vmi-api3.h"\n_Static_assert(VMI_API3_CALL_SetPxE == 39, "wrong on purpose");\n');
    const r = gcc([...STRICT, "-fsyntax-only", "wrong.c"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("wrong on purpose");
  });

  it("keeps layout text from breaking out of comments and strings", () => {
    const hostile: Layout = {
      ...api3,
      version: { major: 7, minor: 1 },
      description: "ends a comment */ int broken; /* and opens one\nacross lines",
      license: 'GPL "v2" \\ x',
      calls: api3.calls.map((c, i) => (i === 0 ? { ...c, args: "*/ oops /*", use: "*/" } : c)),
    };
    writeFileSync(join(dir, "vmi-api7.h"), renderCHeader(hostile));
    const out = compileAndRun(
      '#include <stdio.h>\n#include "vmi-api7.h"\nint main(void) { printf("[%s] %d\\n", VMI_API7_LICENSE, VMI_API7_VERSION_MINOR); return 0; }\n',
      "hostile",
    );
    expect(out).toBe('[GPL "v2" \\ x] 1\n');
  });
});
