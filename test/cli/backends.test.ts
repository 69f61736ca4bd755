// Backends from outside the tree (issue 20): `vmirom init-backend` writes a starting point, `vmirom build
// --backend FILE` builds it with the same checks and outputs as a built-in one, `vmirom run` boots the test
// guest's common effect tests on it with no expectations file, and `vmirom run ROM --backend FILE` the tests the
// file exports itself (`guestTests`, written with "vmirom/guest"). Spawned through the bundled CLI, as a user
// runs it, against the library in dist/lib (which the backend file's imports resolve to).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallTest } from "../../guest/api.ts";
import { commonEffectTests } from "../../guest/expect/effects/index.ts";
import { commonExpectations, EXPECTATIONS, expectationsFor } from "../../guest/expect/index.ts";
import { BACKENDS } from "../../roms/index.ts";
import { native } from "../../roms/native/index.ts";
import { guestTestsProblems, programProblems } from "../../src/cli/backend-file.ts";
import { romBackend } from "../../src/cli/hypervisor-run.ts";
import { buildImage } from "../../src/image/index.ts";
import * as publicGuest from "../../src/lib/guest.ts";
import { layoutNamed } from "../image/helpers.ts";
import { hasTool, inCI } from "../support/tools.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "dist", "vmirom.mjs");
const haveQemu = hasTool("qemu-system-i386") || inCI;
let tmp = "";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function vmirom(args: string[], cwd = tmp): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A backend file in its own folder under tmp. */
function backendFile(name: string, source: string, ext = "ts"): string {
  const dir = join(tmp, `src-${name}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `backend.${ext}`);
  writeFileSync(file, source);
  return file;
}

/** A backend name the registry does not hold (a built-in's name is refused), from a wish: mine, mine2, … */
const fresh = (wish: string): string => {
  for (let i = 1; ; i++) {
    const name = i === 1 ? wish : `${wish}${i}`;
    if (!Object.hasOwn(BACKENDS, name)) return name;
  }
};
const MINE = fresh("mine");
const PV = fresh("pv");
const TWIN = fresh("twin");
const OWN = fresh("own");
const ORDERED = fresh("ordered");
const TESTED = fresh("tested");

const OUTPUTS = ["S", "elf", "json", "lst", "map", "rom", "svg"];
const filesFor = (name: string) => [...["api13", "api3"].flatMap((api) => OUTPUTS.map((ext) => `${name}-${api}.${ext}`)), "vmi-api13.h", "vmi-api3.h"].sort();

beforeAll(() => {
  for (const [script, what] of [
    ["bundle.mjs", "the CLI"],
    ["build-lib.mjs", "the library"],
  ] as const) {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", script)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`building ${what} failed: ${r.stderr}`);
  }
  tmp = mkdtempSync(join(tmpdir(), "vmirom-backends-"));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("vmirom init-backend → build --backend → check → run", () => {
  it("writes a starting point that builds, checks clean and passes the test guest as it is", () => {
    const init = vmirom(["init-backend", MINE]);
    expect(init.status, init.stderr).toBe(0);
    expect(readdirSync(join(tmp, MINE)).sort()).toEqual(["README.md", "backend.ts"]);
    const source = readFileSync(join(tmp, MINE, "backend.ts"), "utf8");
    expect(source).toMatch(/from "vmirom\/roms"/);
    expect(source).not.toMatch(/hypervisor:/);

    const out = join(tmp, `out-${MINE}`);
    const build = vmirom(["build", "--backend", `${MINE}/backend.ts`, "--out", out]);
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout).toMatch(new RegExp(`^ok: ${MINE}-api3\\.rom .* 0 violations$`, "m"));
    expect(build.stdout).toMatch(new RegExp(`^ok: ${MINE}-api13\\.rom .* 0 violations$`, "m"));
    expect(readdirSync(out).sort()).toEqual(filesFor(MINE));
    const manifest = JSON.parse(readFileSync(join(out, `${MINE}-api3.json`), "utf8")) as { backend: string; hypervisor?: string };
    expect(manifest.backend).toBe(MINE);
    expect(manifest.hypervisor).toBeUndefined();
    // The example call's code is named by the backend's own file and line.
    expect(readFileSync(join(out, `${MINE}-api3.lst`), "utf8")).toMatch(
      new RegExp(`<stub_CPUID>:\\n\\s+a0:\\t0f a2 +\\tcpuid\\t# ${MINE}/backend\\.ts:\\d+$`, "m"),
    );

    // Reproducible, and no host path: the backend's lines are named relative to the working directory.
    const again = join(tmp, `out-${MINE}-again`);
    expect(vmirom(["build", "--backend", `${MINE}/backend.ts`, "--out", again]).status).toBe(0);
    for (const f of filesFor(MINE)) {
      expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);
      if (!f.endsWith(".rom")) expect(readFileSync(join(out, f)).includes(tmp), f).toBe(false);
    }

    for (const api of ["3", "13"]) {
      const check = vmirom(["check", join(out, `${MINE}-api${api}.rom`), "--manifest", join(out, `${MINE}-api${api}.json`)]);
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(vmirom(["info", join(out, `${MINE}-api${api}.rom`)]).status).toBe(0);
    }
  });

  it.skipIf(!haveQemu)("vmirom run boots the test guest's common effect tests on it (both interfaces), with no expectations file", () => {
    const out = join(tmp, `out-${MINE}`);
    for (const api of ["3", "13"]) {
      const r = vmirom(["run", join(out, `${MINE}-api${api}.rom`)]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`backend ${MINE},`);
      expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed/m);
      // What the common tests do not reach is reported, not failed.
      expect(r.stdout).toMatch(new RegExp(`^not exercised \\(${MINE} has no expectations of its own.*\\bShutdown\\b`, "m"));
    }
  });

  it.skipIf(!haveQemu)("vmirom run --backend runs the tests the starting point exports: the common effect tests and its own, which passes", () => {
    const source = readFileSync(join(tmp, MINE, "backend.ts"), "utf8");
    expect(source).toMatch(/^export const guestTests: GuestTests = \{$/m);
    expect(source).toContain("...commonEffectTests(layout),");
    const out = join(tmp, `out-${MINE}`);
    for (const api of ["3", "13"]) {
      const r = vmirom(["run", join(out, `${MINE}-api${api}.rom`), "--backend", `${MINE}/backend.ts`]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed/m);
      expect(r.stdout).toMatch(new RegExp(`^  PASS ${MINE}-cpuid-extended-leaf$`, "m"));
      // No untested list in the template: what its tests do not reach is reported, not failed.
      expect(r.stdout).toMatch(/^not exercised \(no passing test reached them; .*\bShutdown\b/m);
    }
  });

  it.skipIf(!haveQemu)("--from xen: a paravirtual starting point names its hypervisor, and the guest plays that model", () => {
    expect(vmirom(["init-backend", PV, "--from", "xen"]).status).toBe(0);
    expect(readFileSync(join(tmp, PV, "backend.ts"), "utf8")).toContain('hypervisor: "xen"');
    const out = join(tmp, `out-${PV}`);
    expect(vmirom(["build", "--backend", `${PV}/backend.ts`, "--api", "3", "--out", out]).status).toBe(0);
    expect((JSON.parse(readFileSync(join(out, `${PV}-api3.json`), "utf8")) as { hypervisor?: string }).hypervisor).toBe("xen");
    const r = vmirom(["run", join(out, `${PV}-api3.rom`)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // The model ran: the ROM's Init found a hypervisor and the calls made hypercalls.
    expect(r.stdout).toMatch(/^Init: .*status=ok/m);
    // Its own tests run under the same model.
    const own = vmirom(["run", join(out, `${PV}-api3.rom`), "--backend", `${PV}/backend.ts`]);
    expect(own.status, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).toMatch(/^Init: .*status=ok/m);
    expect(own.stdout).toMatch(new RegExp(`^  PASS ${PV}-cpuid-extended-leaf$`, "m"));
  });

  it("refuses the vmirom tree, a folder with files in it, a built-in's name and an unusable name, each in one line", () => {
    const refuse = (args: string[], cwd: string, code: string) => {
      const r = vmirom(args, cwd);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^vmirom: ${code}: `));
    };
    refuse(["init-backend", "inside"], ROOT, "CLI_INIT_TARGET");
    expect(existsSync(join(ROOT, "inside"))).toBe(false);
    refuse(["init-backend", MINE], tmp, "CLI_INIT_TARGET");
    refuse(["init-backend", Object.keys(BACKENDS)[0]!], tmp, "CLI_INIT_TARGET");
    refuse(["init-backend", "Bad.Name"], tmp, "CLI_INIT_TARGET");
    refuse(["init-backend", "other", "--from", "nope"], tmp, "CLI_UNKNOWN_BACKEND");
    expect(existsSync(join(tmp, "other"))).toBe(false);
  });
});

describe("vmirom build --backend FILE", () => {
  it("builds the bytes, listing and manifest the image machinery builds in-process from the same program (.mjs)", () => {
    const file = backendFile(TWIN, `import { BACKENDS } from "vmirom/roms";\nexport default { ...BACKENDS.native, backend: "${TWIN}" };\n`, "mjs");
    const out = join(tmp, `out-${TWIN}`);
    const r = vmirom(["build", "--backend", file, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    for (const name of ["api3", "api13"] as const) {
      const built = buildImage({ ...native, backend: TWIN }, layoutNamed(name));
      if (!built.ok) throw new Error("build");
      expect(new Uint8Array(readFileSync(join(out, `${TWIN}-${name}.rom`)))).toEqual(built.value.bytes);
      expect(JSON.parse(readFileSync(join(out, `${TWIN}-${name}.json`), "utf8"))).toEqual(JSON.parse(JSON.stringify(built.value.manifest)));
    }
  });

  it("a .ts backend with its own calls: DSL operands, label arithmetic, a cold part and a shared routine from the library's copy", () => {
    // diff(end, start) and the cold part's label cross between the backend's imports and the Assembler the
    // builder passes in: they must be one copy of the DSL (src/cli/backend-file.ts).
    const file = backendFile(
      OWN,
      `import { diff, dword, eax, ecx, esp, type Assembler } from "vmirom";
import type { Body, BodyContext, RomProgram } from "vmirom/image";
import { BACKENDS } from "vmirom/roms";
import { helper } from "./helper.ts";

const base = BACKENDS["native"]!;
const CPUID: Body = (a: Assembler, ctx: BodyContext) => {
  a.call(ctx.shared["own_cpuid"]!);
  a.ret();
};
const WBINVD: Body = (a, ctx) => {
  const start = a.newLabel(), end = a.newLabel();
  a.label(start);
  a.mov(ecx, diff(end, start));
  a.label(end);
  a.test(ecx, ecx);
  a.jz(ctx.cold((c) => { c.mov(eax, dword(esp, 4)); c.ret(); }));
  a.wbinvd();
  a.ret();
};
const program: RomProgram = {
  ...base,
  backend: "${OWN}",
  description: "native with CPUID through a shared routine",
  calls: { ...base.calls, CPUID, WBINVD },
  shared: [...(base.shared ?? []), { name: "own_cpuid", emit: helper }],
};
export const backend = program;
`,
    );
    writeFileSync(
      join(tmp, `src-${OWN}`, "helper.ts"),
      `import type { Assembler } from "vmirom";\nexport function helper(a: Assembler): void {\n  a.cpuid();\n  a.ret();\n}\n`,
    );
    const out = join(tmp, `out-${OWN}`);
    const r = vmirom(["build", "--backend", file, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const lst = readFileSync(join(out, `${OWN}-api3.lst`), "utf8");
    expect(lst).toMatch(new RegExp(`<own_cpuid>:\\n\\s+[0-9a-f]+:\\t0f a2 +\\tcpuid\\t# .*src-${OWN}/helper\\.ts:3$`, "m"));
    expect(lst).toMatch(/mov +\$0x5,%ecx/); // diff(end, start): the mov itself
    const manifest = JSON.parse(readFileSync(join(out, `${OWN}-api3.json`), "utf8")) as {
      calls: Array<{ name: string; cold?: unknown[] }>;
      shared: Array<{ name: string }>;
    };
    expect(manifest.calls.find((c) => c.name === "WBINVD")?.cold).toHaveLength(1);
    expect(manifest.shared.map((s) => s.name)).toContain("own_cpuid");
    if (haveQemu) {
      const run = vmirom(["run", join(out, `${OWN}-api3.rom`)]);
      expect(run.status, run.stdout).toBe(0);
    }
  });

  it("docs/backends.md's worked example builds, checks and passes the test guest with its own test as written", () => {
    const doc = readFileSync(join(ROOT, "docs", "backends.md"), "utf8");
    const source = doc.split("## A worked example")[1]?.match(/```ts\n([\s\S]*?)```/)?.[1];
    if (!source) throw new Error("docs/backends.md: no ts block in the worked example");
    const out = join(tmp, `out-${ORDERED}`);
    const r = vmirom(["build", "--backend", backendFile(ORDERED, source.replace('backend: "ordered"', `backend: "${ORDERED}"`)), "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, `${ORDERED}-api3.lst`), "utf8")).toMatch(
      new RegExp(`<stub_RDTSC>:\\n\\s+[0-9a-f]+:\\t53 +\\tpush +%ebx\\t# .*src-${ORDERED}/backend\\.ts:\\d+$`, "m"),
    );
    if (haveQemu) {
      const file = join(tmp, `src-${ORDERED}`, "backend.ts");
      const run = vmirom(["run", join(out, `${ORDERED}-api3.rom`), "--backend", file]);
      expect(run.status, run.stdout).toBe(0);
      expect(run.stdout).toMatch(/^ {2}PASS rdtsc-keeps-ebx-ecx$/m);

      // As the doc says: without ECX saved around CPUID, its own test fails.
      const broken = source.replace('backend: "ordered"', `backend: "${ORDERED}"`).replace("  a.push(ecx);\n", "").replace("  a.pop(ecx);\n", "");
      expect(broken).not.toContain("(ecx)");
      const brokenOut = join(tmp, `out-${ORDERED}-broken`);
      const brokenFile = backendFile(`${ORDERED}-broken`, broken);
      expect(vmirom(["build", "--backend", brokenFile, "--api", "3", "--out", brokenOut]).status).toBe(0);
      const fails = vmirom(["run", join(brokenOut, `${ORDERED}-api3.rom`), "--backend", brokenFile]);
      expect(fails.status, fails.stdout).toBe(1);
      expect(fails.stdout).toMatch(/^ {2}FAIL rdtsc-keeps-ebx-ecx RDTSC\/default: callee-saved ecx clobbered \(got 0x[0-9a-f]{8}, want 0x22222222\)$/m);
    }
  });

  it("a bad backend file gives one clear error and writes nothing", () => {
    const cases: Array<[string, string, string, RegExp]> = [
      ["noexport", `export const x = 1;\n`, "CLI_BACKEND_EXPORT", /no default export and no export named backend/],
      [
        "notprogram",
        `export default { backend: "x", description: "d", calls: { CPUID: 3 } };\n`,
        "CLI_BACKEND_EXPORT",
        /is not a RomProgram: init is not a function \(a Body\); calls\.CPUID is not a function/,
      ],
      ["collision", `import { BACKENDS } from "vmirom/roms";\nexport default { ...BACKENDS.native };\n`, "CLI_BACKEND_NAME", /is taken by a built-in backend/],
      [
        "badname",
        `import { BACKENDS } from "vmirom/roms";\nexport default { ...BACKENDS.native, backend: "My ROM" };\n`,
        "CLI_BACKEND_NAME",
        /not usable in file names/,
      ],
      ["syntax", `export default {\n`, "CLI_BACKEND_LOAD", /cannot compile the backend: .*backend\.ts:\d+:\d+: /],
      ["noentry", `import { x } from "vmirom/nope";\nexport default x;\n`, "CLI_BACKEND_LOAD", /vmirom exports no "vmirom\/nope"/],
      ["throws", `throw new Error("boom");\n`, "CLI_BACKEND_LOAD", /threw when loaded: boom/],
    ];
    for (const [name, source, code, message] of cases) {
      const out = join(tmp, `out-${name}`);
      const r = vmirom(["build", "--backend", backendFile(name, source), "--out", out]);
      expect(r.status, name).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^vmirom: ${code}: `));
      expect(lines[0], name).toMatch(message);
      expect(existsSync(out), name).toBe(false);
    }
    const missing = vmirom(["build", "--backend", "./no-such.ts", "--out", join(tmp, "out-missing")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^vmirom: CLI_READ_FAILED: cannot read the backend file/);
  });

  it("programProblems names every field that is wrong", () => {
    expect(programProblems(native)).toEqual([]);
    expect(programProblems(null)).toEqual(["it is null, not an object"]);
    expect(programProblems({ ...native, hypervisor: "kvm" })).toEqual(['hypervisor is "kvm", not "vmware" or "xen"']);
  });
});

describe("vmirom run ROM --backend FILE: the tests the backend file exports", () => {
  const out = () => join(tmp, `out-${TESTED}`);
  const rom = () => join(out(), `${TESTED}-api3.rom`);
  const IMPORTS = `import { dword, eax, ebp, ebx, edi, esi, plus } from "vmirom";
import { commonEffectTests, identityTranslationTests, initialApStateTest, returnsTest, type CallTest, type GuestTests } from "vmirom/guest";
import type { RomProgram } from "vmirom/image";
import { BACKENDS } from "vmirom/roms";
`;
  const PROGRAM = `const backend: RomProgram = { ...BACKENDS["native"]!, backend: "${TESTED}" };
export default backend;
`;
  // A test of its own whose checks use the DSL from "vmirom" on the guest's own label (t.scratch): plus() knows a
  // label by instanceof, so the tests, the guest and the DSL must be one copy (src/cli/guest-runner.ts).
  const VIA_BUFFER = `const viaBuffer: CallTest = {
  name: "cpuid-ebx-via-buffer",
  calls: ["CPUID"],
  emit(t) {
    const buf = t.scratch(16);
    t.a.xor(eax, eax);
    t.call("CPUID", { path: "leaf0", preserves: [esi, edi, ebp] });
    t.a.mov(dword(plus(buf, 4)), ebx);
    t.a.xor(eax, eax);
    t.a.cpuid();
    t.expectEq(ebx, dword(plus(buf, 4)), "CPUID 0: EBX as the bare cpuid");
  },
};
`;
  const UNTESTED: Record<string, string> = {
    Reboot: "resets the machine",
    Shutdown: "halts for good",
    UpdateKernelStack: "not this backend's concern",
    IODelay: "no effect to see",
    SetCallbacks: "no effect to see",
  };
  /** A file of the backend, in a folder of its own: the imports, the program, and `tests` (its guestTests). */
  const file = (folder: string, tests: string) => backendFile(folder, `${IMPORTS}${PROGRAM}${tests}`);
  const guestTests = (untested: Record<string, string>) => `${VIA_BUFFER}
export const guestTests: GuestTests = {
  tests: (layout) => [
    ...commonEffectTests(layout),
    viaBuffer,
    returnsTest("WBINVD", (a) => a.wbinvd()),
    ...identityTranslationTests("no machine addresses of its own"),
    initialApStateTest(),
  ],
  untested: ${JSON.stringify(untested)},
};
`;
  const runOwn = (backend: string, extra: string[] = []) => vmirom(["run", rom(), "--backend", backend, ...extra]);

  beforeAll(() => {
    const r = vmirom(["build", "--backend", file(TESTED, guestTests(UNTESTED)), "--api", "3", "--out", out()]);
    if (r.status !== 0) throw new Error(`building ${TESTED} failed: ${r.stderr}`);
  });

  it.skipIf(!haveQemu)("its own tests run with the helpers it composed: PASS lines, and every implemented call tested or excused", () => {
    const r = runOwn(join(tmp, `src-${TESTED}`, "backend.ts"));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed/m);
    for (const t of ["cpuid-ebx-via-buffer", "returns-WBINVD", "identity-MachineToPhysical", "identity-PhysicalToMachine", "zero-SetInitialAPState"]) {
      expect(r.stdout).toMatch(new RegExp(`^  PASS ${t}$`, "m"));
    }
    // The common effect tests are counted, not listed; with an untested list nothing is left "not exercised".
    expect(r.stdout).not.toMatch(/^ {2}PASS cpuid$/m);
    expect(r.stdout).not.toMatch(/not exercised/);
  });

  it.skipIf(!haveQemu)("an implemented call neither tested nor named in untested fails the run, as for vmirom's own backends", () => {
    const { SetCallbacks: _, ...fewer } = UNTESTED;
    const r = runOwn(file(`${TESTED}-strict`, guestTests(fewer)));
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed/m);
    expect(r.stdout).toMatch(/^problem: call SetCallbacks is implemented but no passing test exercised it$/m);
    expect(r.stdout).toMatch(/^result: FAILED/m);
  });

  it.skipIf(!haveQemu)("a test of its own that expects a wrong value fails: the FAIL line names it, exit 1", () => {
    const wrong = `export const guestTests: GuestTests = {
  tests: () => [
    {
      name: "wrong-on-purpose",
      calls: ["CPUID"],
      emit(t) {
        t.a.xor(eax, eax);
        t.call("CPUID", { preserves: [esi, edi, ebp] });
        t.expectEq(eax, 0x12345678, "CPUID 0: EAX is no real highest leaf");
      },
    },
  ],
};
`;
    const r = runOwn(file(`${TESTED}-wrong`, wrong));
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^tests: \d+ passed, 1 failed/m);
    expect(r.stdout).toMatch(/^ {2}FAIL wrong-on-purpose CPUID\/default: CPUID 0: EAX is no real highest leaf \(got 0x[0-9a-f]{8}, want 0x12345678\)$/m);
    expect(r.stdout).not.toMatch(/PASS wrong-on-purpose/);
    expect(r.stdout).toMatch(/^result: FAILED \(fail,/m);
  });

  it("a file without guestTests, with a wrong one, or of another backend than the ROM's: one error, exit 2, before qemu", () => {
    const cases: Array<[string, string, string, RegExp]> = [
      ["nogt", `${IMPORTS}${PROGRAM}`, "CLI_BACKEND_TESTS", /has no export named guestTests/],
      [
        "badgt",
        `${IMPORTS}${PROGRAM}${VIA_BUFFER}export const guestTests = { tests: [viaBuffer], untested: { Reboot: 1 } };\n`,
        "CLI_BACKEND_TESTS",
        /export guestTests is not a GuestTests: tests is not a function .*; untested\.Reboot is not a string/,
      ],
      [
        "othername",
        `${IMPORTS}export default { ...BACKENDS["native"]!, backend: "someone-else" };\n${guestTests(UNTESTED)}`,
        "CLI_BACKEND_MISMATCH",
        new RegExp(`the file's backend is "someone-else" but the ROM was built by "${TESTED}"`),
      ],
      ["noprogram", `${IMPORTS}${guestTests(UNTESTED)}`, "CLI_BACKEND_EXPORT", /no default export and no export named backend/],
    ];
    for (const [name, source, code, message] of cases) {
      // No qemu on PATH: the file is refused before qemu is looked for.
      const r = spawnSync(process.execPath, [BIN, "run", rom(), "--backend", backendFile(name, source)], {
        cwd: tmp,
        encoding: "utf8",
        env: { ...process.env, PATH: join(tmp, "no-such-dir") },
      });
      expect(r.status, `${name}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^vmirom: ${code}: `));
      expect(lines[0], name).toMatch(message);
      expect(r.stdout, name).toBe("");
    }
    // A built-in backend's name where the file goes: its own tests need no --backend.
    const builtIn = spawnSync(process.execPath, [BIN, "run", rom(), "--backend", "native"], { cwd: tmp, encoding: "utf8" });
    expect(builtIn.status).toBe(2);
    expect(builtIn.stderr).toMatch(/^vmirom: CLI_USAGE: --backend takes a backend file; native is a built-in backend/);
    const kernel = vmirom(["run", rom(), "--backend", join(tmp, `src-${TESTED}`, "backend.ts"), "--kernel", rom()]);
    expect(kernel.status).toBe(2);
    expect(kernel.stderr).toMatch(/CLI_USAGE: --manifest, --keep and --backend are for the test guest/);
  });

  it.skipIf(!haveQemu)("a test the guest cannot build from (not a CallTest, or its emit throws): GUEST_TEST_DEFINITION naming it, exit 2", () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        "notatest",
        `export const guestTests = { tests: () => [{ name: "two words", calls: "CPUID" }] };\n`,
        /guestTests\.tests\(api3\)\[0\] \(two words\): name is not a non-empty string without spaces .*; calls is not a list of call names; emit is not a function$/,
      ],
      ["notalist", `export const guestTests = { tests: () => 3 };\n`, /guestTests\.tests\(api3\) returned number, not a list of CallTests$/],
      [
        "throws",
        `export const guestTests: GuestTests = { tests: () => [{ name: "typo", calls: ["CPUID"], emit: (t) => void t.num("CPUIDD") }] };\n`,
        /layout api3 has no call named CPUIDD$/,
      ],
    ];
    for (const [name, tests, message] of cases) {
      const r = runOwn(file(`${TESTED}-${name}`, tests));
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(/^vmirom: GUEST_TEST_DEFINITION: /);
      expect(lines[0], name).toMatch(message);
    }
  });
});

describe("the guest's expectations for a backend it has no file for (or only a backend file's guestTests)", () => {
  it("registered backends keep their own; any other gets the common effect tests, with the model its manifest names", () => {
    for (const [name, e] of Object.entries(EXPECTATIONS)) expect(expectationsFor({ backend: name })).toBe(e);
    const plain = expectationsFor({ backend: MINE })!;
    expect(plain.hypervisor).toBeUndefined();
    expect(plain.untestedIsFailure).toBe(false);
    expect(plain.sharedAreaUntouched).toBe(true);
    const layout = layoutNamed("api3");
    expect(plain.tests(layout).map((t) => t.name)).toEqual(
      commonExpectations("x")
        .tests(layout)
        .map((t) => t.name),
    );
    expect(expectationsFor({ backend: MINE, hypervisor: "vmware" })!.hypervisor).toBe(EXPECTATIONS["vmware"]!.hypervisor);
    expect(expectationsFor({ backend: MINE, hypervisor: "xen" })!.hypervisor).toBe(EXPECTATIONS["xen"]!.hypervisor);
    expect(expectationsFor({ backend: MINE, hypervisor: "kvm" })).toBeUndefined();
  });

  it("a backend file's guestTests replace the common effect tests, under the model its manifest names; untested makes coverage count", () => {
    const layout = layoutNamed("api3");
    const own: CallTest = { name: "own", calls: ["CPUID"], emit: () => undefined };
    // Given, the file's tests win even over a registered backend's (run --backend refuses such a pairing before).
    const plain = expectationsFor({ backend: "native" }, { tests: () => [own] })!;
    expect(plain.tests(layout).map((t) => t.name)).toEqual(["own"]);
    expect(plain.untestedIsFailure).toBe(false);
    expect(plain.hypervisor).toBeUndefined();
    const strict = expectationsFor({ backend: MINE }, { tests: () => [own], untested: { Reboot: "resets" } })!;
    expect(strict.untestedIsFailure).toBe(true);
    expect(strict.untested).toEqual({ Reboot: "resets" });
    // Under vmware each test is wrapped so that the model's queue is applied before its cleanup.
    const vm = expectationsFor({ backend: MINE, hypervisor: "vmware" }, { tests: () => [own] })!;
    expect(vm.hypervisor).toBe(EXPECTATIONS["vmware"]!.hypervisor);
    expect(vm.tests(layout)[0]!.cleanup).toBeTypeOf("function");
    expect(vm.sharedAreaUntouched).toBe(false);
    expect(expectationsFor({ backend: MINE, hypervisor: "kvm" }, { tests: () => [own] })).toBeUndefined();
    expect(() => expectationsFor({ backend: MINE }, { tests: () => [{ ...own, logMarkers: "x" }] })!.tests(layout)).toThrow(
      /^guestTests\.tests\(api3\)\[0\] \(own\): logMarkers is not a list of strings$/,
    );
  });

  it("vmirom/guest's helpers are the guest's own effect tests", () => {
    const layout = layoutNamed("api13");
    expect(publicGuest.commonEffectTests(layout).map((t) => t.name)).toEqual(commonEffectTests(layout).map((t) => t.name));
    expect(publicGuest.returnsTest("Pause").name).toBe("returns-Pause");
    expect(guestTestsProblems({ tests: () => [] })).toEqual([]);
    expect(guestTestsProblems(null)).toEqual(["it is null, not an object"]);
    expect(guestTestsProblems({ tests: () => [], untested: ["Reboot"] })).toEqual(["untested is not an object of reasons by call name"]);
  });

  it("docs/backends.md shows the public types as src/image/program.ts declares them, field for field", () => {
    const doc = readFileSync(join(ROOT, "docs", "backends.md"), "utf8");
    const block = doc.split("## The RomProgram API")[1]?.match(/```ts\n([\s\S]*?)```/)?.[1] ?? "";
    const fields = (text: string, name: string): string[] => {
      const body = new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(text)?.[1] ?? "";
      return [...body.matchAll(/^\s*readonly (\w+\??):/gm)].map((m) => m[1]!);
    };
    const source = readFileSync(join(ROOT, "src", "image", "program.ts"), "utf8");
    for (const name of ["RomProgram", "BodyContext", "SharedRoutine"]) {
      expect(fields(source, name).length, name).toBeGreaterThan(1);
      expect(fields(block, name), name).toEqual(fields(source, name));
    }
    expect(block).toContain("export type Body = (a: Assembler, ctx: BodyContext) => void;");
    expect(source).toContain("export type Body = (a: Assembler, ctx: BodyContext) => void;");
  });

  it("docs/backends.md shows GuestTests and CallTest as guest/api.ts declares them, member for member", () => {
    const doc = readFileSync(join(ROOT, "docs", "backends.md"), "utf8");
    const block = doc.split("- **Tests of its own.**")[1]?.match(/```ts\n([\s\S]*?)```/)?.[1] ?? "";
    const members = (text: string, name: string): string[] => {
      const body = new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\s*\\}`).exec(text)?.[1] ?? "";
      return [...body.matchAll(/^\s*(\w+\??)(?:\(|:)/gm)].map((m) => m[1]!);
    };
    const source = readFileSync(join(ROOT, "guest", "api.ts"), "utf8");
    for (const name of ["GuestTests", "CallTest"]) {
      expect(members(source, name).length, name).toBeGreaterThan(1);
      expect(members(block, name), name).toEqual(members(source, name));
    }
  });

  it("run --hypervisor plays the contract the manifest names, before the backend's name", () => {
    const built = buildImage({ ...native, backend: MINE, hypervisor: "xen" as const }, layoutNamed("api3"));
    if (!built.ok) throw new Error("build");
    expect(built.value.manifest.hypervisor).toBe("xen");
    expect(romBackend(built.value.bytes, built.value.manifest)).toBe("xen");
    const plain = buildImage(native, layoutNamed("api3"));
    if (!plain.ok) throw new Error("build");
    expect("hypervisor" in plain.value.manifest).toBe(false);
    expect(romBackend(plain.value.bytes, plain.value.manifest)).toBe("native");
  });
});
