// The package as a user gets it: `npm pack` (which runs `prepare`: the CLI bundle and the library build), the
// tarball installed with npm alone into an empty project, then the README's example ("As a library") compiled
// by that project's own tsc against the installed .d.ts files and run with node, the other entries (image,
// check, layout, roms) used together, a backend's own guest tests type-checked against "vmirom/guest", and the
// installed `vmirom` command run (its test guest too, where qemu is). Needs typescript from the npm registry or
// npm's cache (--prefer-offline); never skipped.
//
// Everything long runs through an asynchronous spawn: a synchronous one would block the worker and vitest
// would fail with "Timeout calling onTaskUpdate".

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, inCI } from "../support/tools.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string; exports: Record<string, unknown> };
const haveQemu = hasTool("qemu-system-i386") || inCI;
const tsVersion = (JSON.parse(readFileSync(join(REPO, "node_modules", "typescript", "package.json"), "utf8")) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The npm_* variables of the `npm test` around us (prefix, lifecycle, config) must not steer the scratch npm.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "",
      stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

async function ok(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```ts block of the README's "As a library" section: the test runs exactly what users read. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.split(/^## As a library$/m)[1];
  const block = section?.match(/```ts\n([\s\S]*?)```/);
  if (!block?.[1]) throw new Error('README.md has no ```ts block under "## As a library"');
  return block[1];
}

// The other entries together: the library builds native-api3 the way the CLI does, and the checker passes it.
const TOUR = `import { buildImage, type BuiltImage } from "vmirom/image";
import { checkImage, formatViolations } from "vmirom/check";
import { loadLayoutByName, type Layout } from "vmirom/layout";
import { BACKENDS } from "vmirom/roms";
import { createHash } from "node:crypto";

const layout = loadLayoutByName("api3");
if (!layout.ok) throw new Error(layout.errors.map((e) => e.message).join("\\n"));
const api3: Layout = layout.value;
const native = BACKENDS["native"];
if (!native) throw new Error("no native backend");
const built = buildImage(native, api3);
if (!built.ok) throw new Error(built.errors.map((e) => e.message).join("\\n"));
const image: BuiltImage = built.value;
const violations = checkImage(image.bytes, api3, { manifest: image.manifest });
if (violations.length) throw new Error(formatViolations(violations, false));
console.log(JSON.stringify({ size: image.bytes.length, sha256: createHash("sha256").update(image.bytes).digest("hex") }));
`;

// A backend's own test-guest tests against the installed "vmirom/guest" types: a GuestTests composing the common
// effect tests with a test of its own (TestCtx's calls and checks, CallOptions, the DSL's registers and labels).
const GUEST_TESTS = `import { dword, eax, ebp, ebx, edi, esi, plus, type Label } from "vmirom";
import { commonEffectTests, returnsTest, type CallTest, type GuestTests, type TestCtx } from "vmirom/guest";
import type { Layout } from "vmirom/layout";

const viaBuffer: CallTest = {
  name: "cpuid-ebx-via-buffer",
  calls: ["CPUID"],
  emit(t: TestCtx) {
    const buf: Label = t.scratch(16);
    t.a.xor(eax, eax);
    t.call("CPUID", { path: "leaf0", native: (a) => a.cpuid(), preserves: [esi, edi, ebp] });
    t.a.mov(dword(plus(buf, 4)), ebx);
    t.a.xor(eax, eax);
    t.a.cpuid();
    t.expectEq(ebx, dword(plus(buf, 4)), "CPUID 0: EBX as the bare cpuid");
  },
};

export const guestTests: GuestTests = {
  tests: (layout: Layout) => [...commonEffectTests(layout), viaBuffer, returnsTest("WBINVD", (a) => a.wbinvd())],
  untested: { Reboot: "resets the machine" },
};
`;

describe("npm pack → npm install → use", () => {
  const tmp = mkdtempSync(join(tmpdir(), "vmirom-pack-"));
  const app = join(tmp, "app");
  let tarball = "";
  let files: string[] = [];

  beforeAll(async () => {
    // Runs `prepare`: the tarball holds what this checkout builds now.
    await ok("npm", ["pack", "--pack-destination", tmp, "--loglevel", "error"], REPO);
    const tgz = readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
    expect(tgz).toEqual([`vmirom-${pkg.version}.tgz`]);
    tarball = join(tmp, tgz[0]!);
    files = (await ok("tar", ["tzf", tarball], tmp)).split("\n").filter(Boolean);

    mkdirSync(app);
    await ok("npm", ["init", "-y"], app);
    await ok("npm", ["pkg", "set", "type=module"], app);
    await ok("npm", ["install", tarball, `typescript@${tsVersion}`, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "error"], app);
    writeFileSync(join(app, "example.ts"), readmeExample());
    writeFileSync(join(app, "tour.ts"), TOUR);
    writeFileSync(join(app, "guest-tests.ts"), GUEST_TESTS);
    // A strict consumer that also checks vmirom's .d.ts files (no skipLibCheck); no @types/node, so the
    // README's example must not need it (tour.ts declares the one node import it uses).
    writeFileSync(
      join(app, "node.d.ts"),
      'declare module "node:crypto" { export function createHash(a: string): { update(b: Uint8Array): { digest(e: "hex"): string } }; }\n',
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          types: [],
          outDir: "out",
          noEmitOnError: true,
        },
        files: ["example.ts", "tour.ts", "guest-tests.ts", "node.d.ts"],
      }),
    );
  }, 240_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("the tarball holds the CLI, the library with declarations, the layouts and the hypervisor's sources, and no sources or maps", () => {
    const has = (f: string) => files.includes(`package/${f}`);
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/vmirom.mjs",
      "dist/vmirom.lines.json",
      "dist/vmirom-guest.mjs",
      // The guest `vmirom run --backend FILE` runs a backend's own tests with (one copy of the DSL with them).
      "dist/lib/guest/qemu/guest-entry.js",
      "layouts/api3.json",
      "layouts/api13.json",
      "hypervisor/boot.S",
      "hypervisor/link.ld",
      "hypervisor/monitor.h",
      "hypervisor/main.c",
    ]) {
      expect(has(f), f).toBe(true);
    }
    for (const entry of ["index", "image", "check", "layout", "roms", "guest"]) {
      expect(has(`dist/lib/src/lib/${entry}.js`), entry).toBe(true);
      expect(has(`dist/lib/src/lib/${entry}.d.ts`), entry).toBe(true);
    }
    expect(files.filter((f) => f.endsWith(".map") || f.endsWith(".tmp") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual([]);
    // Every path in the exports map is in the tarball.
    const targets = JSON.stringify(Object.values(pkg.exports)).match(/\.\/[^"]+/g) ?? [];
    expect(targets.filter((t) => !has(t.slice(2)))).toEqual([]);
  });

  it("the README's example, the other entries and a backend's guest tests (vmirom/guest) type-check with the installed tsc (strict, lib check on)", async () => {
    await ok(join(app, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], app);
  });

  it("the README's example prints b8 01 00 00 00 c3; the library builds native-api3 as the installed CLI does, and it checks clean", async () => {
    // Emit only: the test above type-checked the same files.
    await ok(join(app, "node_modules", ".bin", "tsc"), ["-p", ".", "--noCheck"], app);
    expect((await ok("node", ["out/example.js"], app)).trim()).toBe("b8 01 00 00 00 c3");

    const lib = JSON.parse(await ok("node", ["out/tour.js"], app)) as { size: number; sha256: string };
    const bin = join(app, "node_modules", ".bin", "vmirom");
    expect((await ok(bin, ["--version"], app)).trim()).toBe(`vmirom ${pkg.version}`);
    await ok(bin, ["build", "--backend", "native", "--api", "3", "--out", "roms"], app);
    const rom = readFileSync(join(app, "roms", "native-api3.rom"));
    expect({ size: rom.length, sha256: createHash("sha256").update(rom).digest("hex") }).toEqual(lib);
    expect(existsSync(join(app, "roms", "native-api3.json"))).toBe(true);
    await ok(bin, ["check", "roms/native-api3.rom", "--manifest", "roms/native-api3.json"], app);
  });

  it("the installed CLI writes a backend of one's own, builds it (esbuild, a dependency, compiles it against the installed library) and runs its own test", async () => {
    const bin = join(app, "node_modules", ".bin", "vmirom");
    await ok(bin, ["init-backend", "mine"], app);
    await ok(bin, ["build", "--backend", "mine/backend.ts", "--api", "3", "--out", "roms"], app);
    expect((JSON.parse(readFileSync(join(app, "roms", "mine-api3.json"), "utf8")) as { backend: string }).backend).toBe("mine");
    await ok(bin, ["check", "roms/mine-api3.rom", "--manifest", "roms/mine-api3.json"], app);
    // The starting point, its guestTests included, type-checks against the installed declarations (strict).
    writeFileSync(
      join(app, "tsconfig.mine.json"),
      JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noUncheckedIndexedAccess: true, noEmit: true }, files: ["mine/backend.ts"] }),
    );
    await ok(join(app, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.mine.json"], app);
    // And its own test passes in the installed package's test guest (dist/lib's), where qemu is.
    if (haveQemu) {
      const run = await ok(bin, ["run", "roms/mine-api3.rom", "--backend", "mine/backend.ts"], app);
      expect(run).toMatch(/^ {2}PASS mine-cpuid-extended-leaf$/m);
    }
  });
});
