// vmirom init-backend NAME [--from native]: a starting point for a backend of one's own, outside the vmirom
// tree. It writes NAME/backend.ts — the built-in backend's program from "vmirom/roms" with its own name and one
// call written out as an example, and its guest tests: the common effect tests and one of its own — and
// NAME/README.md. As written it builds (`vmirom build --backend NAME/backend.ts`) and passes the test guest
// (`vmirom run ROM --backend NAME/backend.ts`); docs/backends.md explains the rest.
// Inside the vmirom tree a backend belongs in roms/ (and registered), so the command refuses to write there;
// it never writes over a file.

import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, relative, resolve, sep } from "node:path";
import { BACKENDS } from "../../../roms/index.ts";
import { diag } from "../../diagnostics.ts";
import { BACKEND_NAME, packageRoot } from "../backend-file.ts";
import { ensureDir, removeDirs, writeFilesAtomic } from "../files.ts";
import { EXIT_BAD_INPUT, EXIT_IO, EXIT_OK, printErrors } from "../report.ts";

export interface InitBackendArgs {
  /** The folder to write; its last part is the backend's name. */
  name: string;
  /** The built-in backend to start from. */
  from: string;
}

export function runInitBackend(args: InitBackendArgs): number {
  const dir = resolve(args.name);
  const name = basename(dir);
  const builtIn = Object.keys(BACKENDS).sort();
  const bad = (message: string) => {
    printErrors([diag("CLI_INIT_TARGET", message, { file: args.name })]);
    return EXIT_BAD_INPUT;
  };
  if (!Object.hasOwn(BACKENDS, args.from)) {
    printErrors([diag("CLI_UNKNOWN_BACKEND", `--from ${JSON.stringify(args.from)}: no built-in backend of that name; available: ${builtIn.join(", ")}`)]);
    return EXIT_BAD_INPUT;
  }
  if (!BACKEND_NAME.test(name)) return bad(`${JSON.stringify(name)} cannot name a backend: lower-case letter first, then letters, digits, - or _ (at most 32)`);
  if (builtIn.includes(name)) return bad(`${JSON.stringify(name)} is a built-in backend's name (${builtIn.join(", ")}): give yours a name of its own`);
  const root = packageRoot();
  const inside = relative(root, dir);
  if (inside === "" || !(inside === ".." || inside.startsWith(`..${sep}`))) {
    return bad(`${dir} is inside the vmirom tree (${root}): a backend written here belongs in roms/ and roms/index.ts; write it elsewhere`);
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    return bad(`${dir} exists and is not an empty folder: init-backend writes over nothing`);
  }

  const files: Array<[string, string]> = [
    ["backend.ts", backendSource(name, args.from)],
    ["README.md", readme(name, args.from, args.name)],
  ];
  // Both files or neither, and a folder made for them is removed again if they cannot be written.
  const made = ensureDir(dir);
  if (!made.ok) {
    printErrors(made.errors);
    return EXIT_BAD_INPUT;
  }
  const written = writeFilesAtomic(files.map(([file, data]) => ({ file: resolve(dir, file), data })));
  if (!written.ok) {
    printErrors(written.errors);
    removeDirs(made.value);
    return EXIT_IO;
  }
  const backendFile = `${args.name.replace(/[\\/]+$/, "")}/backend.ts`;
  process.stdout.write(
    `wrote ${files.map(([f]) => `${args.name.replace(/[\\/]+$/, "")}/${f}`).join(" and ")} (the ${args.from} backend's calls, named ${name})\n` +
      `build it: vmirom build --backend ${backendFile} --out build\n` +
      `test it:  vmirom run build/${name}-api3.rom --backend ${backendFile}\n`,
  );
  return EXIT_OK;
}

const HYPERVISOR: Readonly<Record<string, string>> = { vmware: "vmware", xen: "xen" };

/**
 * The example call: CPUID, which every built-in backend runs as the bare instruction and the guest tests; and one
 * test of the backend's own, beside the common effect tests, so the pattern is there to copy.
 */
export function backendSource(name: string, from: string): string {
  const hv = HYPERVISOR[from];
  return `// The ${name} backend: vmirom's ${from} backend with one call written out here, a starting point.
//   vmirom build --backend ./backend.ts --out build                  # build/${name}-api3.rom, ${name}-api13.rom, .lst, .json, …
//   vmirom run build/${name}-api3.rom --backend ./backend.ts         # the test guest: the tests below
// How to write a backend (the RomProgram API, slots and cold parts, shared routines, absent calls, testing):
// docs/backends.md in vmirom. Imports of "vmirom" and "vmirom/*" are resolved to the vmirom that builds it.

import { eax, ebp, edi, esi } from "vmirom";
import { commonEffectTests, type GuestTests } from "vmirom/guest";
import type { Body, RomProgram } from "vmirom/image";
import { BACKENDS } from "vmirom/roms";

const base: RomProgram = BACKENDS["${from}"]!;

/**
 * CPUID as the bare instruction: EAX and ECX in, EAX, EBX, ECX and EDX out. Three bytes: it stays inline in
 * its 32-byte slot. The test guest's cpuid test checks it against the instruction.
 */
const CPUID: Body = (a) => {
  a.cpuid();
  a.ret();
};

const backend: RomProgram = {
  ...base,
  backend: "${name}",
  description: "${name}: the ${from} backend with CPUID written out",${hv ? `\n  // The hypervisor contract it speaks: the test guest plays that model, vmirom run --hypervisor the reference one.\n  hypervisor: "${hv}",` : ""}
  calls: { ...base.calls, CPUID },
};

export default backend;

/**
 * What the test guest runs on the ROM (vmirom run ... --backend ./backend.ts): the common effect tests every
 * backend passes, and tests of your own. A test's emit writes guest code: set up the registers, t.call() the
 * VMI call through a call site patched as Linux patches it, check the effect with t.expectEq and the like.
 */
export const guestTests: GuestTests = {
  tests: (layout) => [
    ...commonEffectTests(layout),
    {
      name: "${name}-cpuid-extended-leaf",
      calls: ["CPUID"],
      emit(t) {
        // The oracle: the bare instruction's answer for the highest extended leaf, kept in a guest variable.
        t.a.mov(eax, 0x80000000);
        t.a.cpuid();
        t.a.mov(t.v("bare_max_extended"), eax);
        t.a.mov(eax, 0x80000000);
        // CPUID writes EBX: only ESI, EDI and EBP must survive the call.
        t.call("CPUID", { path: "leaf80000000", native: (a) => a.cpuid(), preserves: [esi, edi, ebp] });
        t.expectEq(eax, t.v("bare_max_extended"), "CPUID 0x80000000: EAX as the bare cpuid");
      },
    },
  ],
};
`;
}

function readme(name: string, from: string, folder: string): string {
  return `# ${name}

A VMI option-ROM backend for vmirom, started from the built-in \`${from}\` backend (\`vmirom init-backend ${folder} --from ${from}\`).

\`\`\`sh
vmirom build --backend ${name}/backend.ts --out build   # ${name}-api3.rom and ${name}-api13.rom, checked, with .lst .map .json .svg .S .elf
vmirom check build/${name}-api3.rom --manifest build/${name}-api3.json
vmirom run build/${name}-api3.rom --backend ${name}/backend.ts   # boots the test guest in qemu: the tests backend.ts exports
\`\`\`

\`vmirom build\` compiles \`backend.ts\` itself (it does not type-check it: for that, install vmirom in this folder and
run \`tsc --noEmit\`). Writing a backend: \`docs/backends.md\` in vmirom.
`;
}
