// Backends from outside the tree (issue 20): `vmirom init-backend` writes a starting point, `vmirom build
// --backend FILE` builds it with the same checks and outputs as a built-in one, `vmirom run` boots the test
// guest's common effect tests on it with no expectations file. Spawned through the bundled CLI, as a user
// runs it, against the library in dist/lib (which the backend file's imports resolve to).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commonExpectations, EXPECTATIONS, expectationsFor } from "../../guest/expect/index.ts";
import { BACKENDS } from "../../roms/index.ts";
import { native } from "../../roms/native/index.ts";
import { programProblems } from "../../src/cli/backend-file.ts";
import { romBackend } from "../../src/cli/hypervisor-run.ts";
import { buildImage } from "../../src/image/index.ts";
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

  it("docs/backends.md's worked example builds, checks and passes the test guest as written", () => {
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
      const run = vmirom(["run", join(out, `${ORDERED}-api3.rom`)]);
      expect(run.status, run.stdout).toBe(0);
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

describe("the guest's expectations for a backend it has no file for", () => {
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
