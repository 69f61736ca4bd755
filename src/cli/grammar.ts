// The command line's grammar, written with yargs: which commands, positionals and options a user can type,
// the help for them, and one usage message for what is wrong. `parseCommandLine` only parses: it answers
// which command to run with which arguments (or the help text, or the usage error), and main.ts imports the
// command's code afterwards. This file and yargs are all that `vmirom --help` and a usage error load, so it
// imports nothing else at run time (the commands' argument types are erased).

import yargs, { type Argv } from "yargs";
import pkg from "../../package.json" with { type: "json" };
import type { BuildArgs } from "./commands/build.ts";
import type { CheckArgs } from "./commands/check.ts";
import type { DiffArgs } from "./commands/diff.ts";
import type { InspectArgs } from "./commands/inspect.ts";
import type { MapArgs } from "./commands/map.ts";
import type { InitBackendArgs } from "./commands/init-backend.ts";
import type { RunArgs } from "./commands/run.ts";
import { BACKEND_NAMES } from "./backend-names.ts";

/** A command and the arguments it runs with. */
export type Invocation =
  | { command: "build"; args: BuildArgs }
  | { command: "info" | "list"; args: InspectArgs }
  | { command: "check"; args: CheckArgs }
  | { command: "map"; args: MapArgs }
  | { command: "diff"; args: DiffArgs }
  | { command: "run"; args: RunArgs }
  | { command: "init-backend"; args: InitBackendArgs };

export type ParsedCommandLine = { kind: "run"; invocation: Invocation } | { kind: "help"; text: string } | { kind: "error"; message: string };

export const COMMANDS = ["build", "info", "list", "check", "map", "diff", "run", "init-backend"] as const;

// The backends `build` can build, for its help (the registry itself would load every ROM program for --help).
export { BACKEND_NAMES };

/** Each command's exit statuses (report.ts), for the end of its --help. */
const EXIT_HELP = {
  ok: "0 success",
  usage: "2 bad usage or bad input (an unreadable or foreign file, conflicting options); nothing was done",
  io: "3 a file could not be written (nothing is left half-written)",
};
const exits = (...lines: string[]): string => `Exit status:\n  ${lines.join("\n  ")}`;

// requiresArg on every string option: `--out` with no value (or followed by another option) is a usage
// error, not an empty string that would name the current directory.
const romOptions = {
  api: { type: "string", requiresArg: true, describe: "API major version of the image's layout, e.g. 3 or 13 (default: byte 0x0D)" },
  layout: { type: "string", requiresArg: true, describe: "a layout JSON file to use instead of layouts/", normalize: true },
} as const;
const romPositional = { type: "string", demandOption: true, describe: "ROM image file (-: standard input)" } as const;

/** yargs's getOptions(), which @types/yargs does not declare: the keys of each type of option in effect. */
interface OptionLists {
  getOptions(): { string: string[]; boolean: string[] };
}

/** The given optional string options, as the optional properties the commands take (not undefined ones). */
function given<K extends string>(a: Partial<Record<K, unknown>>, ...keys: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) if (typeof a[k] === "string") out[k] = a[k];
  return out;
}

/**
 * Parses argv (without node and the script). Options may come before, between or after the command and its
 * positionals; `--help`/`-h` anywhere asks for the help of the command named, if any. `width`: the help's
 * line width.
 */
export function parseCommandLine(argv: readonly string[], width = 110): ParsedCommandLine {
  let invocation: Invocation | undefined;
  let failure: string | undefined;
  // yargs hands a positional "-" (standard input) over as ""; an empty name typed as "" stays "".
  const dash = argv.includes("-") && !argv.includes("");
  const file = (v: string): string => (v === "" && dash ? "-" : v);
  const parser: Argv = yargs()
    .scriptName("vmirom")
    .usage("$0 <command> [options]\n\nBuilds and checks VMI-style paravirtualization option ROMs for i386 guests.")
    .command(
      "build",
      "build every selected backend × interface into <out>/<backend>-api<major>.{rom,lst,map,json,svg,S,elf} and <out>/vmi-api<major>.h",
      (y) =>
        y
          .option("backend", {
            type: "string",
            requiresArg: true,
            default: "all",
            describe: `backend to build: ${BACKEND_NAMES.join(", ")}, all, or a backend file outside this tree (./mine.ts, .js, .mjs; docs/backends.md)`,
          })
          .option("api", {
            type: "string",
            requiresArg: true,
            default: "all",
            describe: "interface to build for: an API major version of a layout in layouts/ (3, 13), or all",
          })
          .option("out", { type: "string", requiresArg: true, default: "build/roms", describe: "output directory", normalize: true })
          .option("all", { type: "boolean", default: false, describe: "every backend and every interface (not with --backend, --api or --layout)" })
          .option("layout", romOptions.layout)
          .epilogue(exits(EXIT_HELP.ok, "1 an image failed to build or check (nothing was written)", EXIT_HELP.usage, EXIT_HELP.io)),
      (a) => {
        invocation = { command: "build", args: { backend: a.backend, api: a.api, out: a.out, all: a.all, ...given(a, "layout") } };
      },
    )
    .command(
      "info <rom>",
      "decode an image's header fields, PCIR, $PnP, license, relocation table and slots",
      (y) => y.positional("rom", romPositional).options(romOptions).epilogue(exits(EXIT_HELP.ok, EXIT_HELP.usage)),
      (a) => {
        invocation = { command: "info", args: { rom: file(a.rom), ...given(a, "api", "layout") } };
      },
    )
    .command(
      "list <rom>",
      "disassemble an image slot by slot and body by body (objdump style, from the bytes alone)",
      (y) =>
        y
          .positional("rom", romPositional)
          .options(romOptions)
          .option("manifest", {
            type: "string",
            requiresArg: true,
            describe:
              "the build manifest, for the names of shared routines (default: <rom>.json beside the ROM, if any); used only when it describes these bytes",
            normalize: true,
          })
          .option("disassembler-options", {
            alias: "M",
            type: "string",
            requiresArg: true,
            describe: "as objdump's -M: intel (Intel syntax) or att (the default, as the build's .lst)",
          })
          .epilogue(exits(EXIT_HELP.ok, EXIT_HELP.usage)),
      (a) => {
        const m = a["disassembler-options"];
        invocation = {
          command: "list",
          args: { rom: file(a.rom), ...given(a, "api", "layout", "manifest"), ...(typeof m === "string" ? { disassemblerOptions: m } : {}) },
        };
      },
    )
    .command(
      "check <rom>",
      "run the image checker; exit 1 on violations",
      (y) =>
        y
          .positional("rom", romPositional)
          .options(romOptions)
          .option("manifest", { type: "string", requiresArg: true, describe: "the build manifest (<rom>.json) the image must match", normalize: true })
          .option("json", { type: "boolean", default: false, describe: "print violations as JSON" })
          .epilogue(exits("0 no violations", "1 violations (or a manifest of another image)", EXIT_HELP.usage)),
      (a) => {
        invocation = { command: "check", args: { rom: file(a.rom), json: a.json, ...given(a, "api", "layout", "manifest") } };
      },
    )
    .command(
      "map <rom>",
      "draw an image to scale as SVG: header, PCIR/$PnP, slots by bytes used and form, bodies, routines, tables, free space",
      (y) =>
        y
          .positional("rom", romPositional)
          .options(romOptions)
          .option("manifest", {
            type: "string",
            requiresArg: true,
            describe: "the build manifest (default: <rom>.json beside the ROM, if any); used only when it describes these bytes",
            normalize: true,
          })
          .option("out", { type: "string", requiresArg: true, describe: "write the SVG to this file (default, or -: standard output)", normalize: true })
          .epilogue(exits(EXIT_HELP.ok, EXIT_HELP.usage, EXIT_HELP.io)),
      (a) => {
        invocation = { command: "map", args: { rom: file(a.rom), ...given(a, "api", "layout", "manifest", "out") } };
      },
    )
    .command(
      "diff <a> <b>",
      "compare two images call by call (slot form, body, relocation answer, code) and field by field; exit 1 when they differ",
      (y) =>
        y
          .positional("a", { type: "string", demandOption: true, describe: "first ROM image" })
          .positional("b", { type: "string", demandOption: true, describe: "second ROM image" })
          .options(romOptions)
          .epilogue(exits("0 the images are identical", "1 they differ", EXIT_HELP.usage)),
      (a) => {
        invocation = { command: "diff", args: { a: file(a.a), b: file(a.b), ...given(a, "api", "layout") } };
      },
    )
    .command(
      "run <rom>",
      "boot the ROM in qemu-system-i386 with SeaBIOS: the test guest (default) or your own kernel (--kernel); exit 0 when the guest reached its end",
      (y) =>
        y
          .positional("rom", romPositional)
          .option("manifest", { type: "string", requiresArg: true, describe: "test guest: the ROM's build manifest (default: <rom>.json)", normalize: true })
          .option("keep", {
            type: "string",
            requiresArg: true,
            describe: "test guest: keep guest.bin, guest.lst and the debug log in this directory",
            normalize: true,
          })
          .option("backend", {
            type: "string",
            requiresArg: true,
            describe:
              "test guest: the backend file the ROM was built from (build --backend FILE); the guest runs the tests it exports as guestTests (vmirom/guest) instead of the common effect tests",
            normalize: true,
          })
          .option("kernel", {
            type: "string",
            requiresArg: true,
            describe: "boot this kernel (bzImage, multiboot) instead of the test guest; its serial console is streamed here",
            normalize: true,
          })
          .option("initrd", { type: "string", requiresArg: true, describe: "with --kernel: an initial ramdisk", normalize: true })
          .option("append", { type: "string", requiresArg: true, describe: "with --kernel: the kernel command line (default: console=ttyS0)" })
          .option("until", { type: "string", requiresArg: true, describe: "with --kernel: the guest has reached its end when its console prints this text" })
          .option("timeout", { type: "number", requiresArg: true, default: 60, describe: "seconds before qemu is stopped (the run then fails)" })
          .option("memory", { type: "number", requiresArg: true, default: 256, describe: "guest memory in MiB" })
          .option("hypervisor", {
            type: "boolean",
            describe:
              "with --kernel: boot under vmirom's reference hypervisor, which takes the kernel over at the ROM's Init, runs it at CPL 1 and checks every hypercall, trap and page-table change (vmware and xen ROMs, API 3); exit 0 only when the kernel reached its end with no violation",
          })
          .option("json", { type: "boolean", describe: "with --hypervisor: print the hypervisor's report as one JSON object (the console goes to stderr)" })
          .epilogue(
            exits(
              "0 the guest reached its end (test guest passed; kernel powered off, rebooted, wrote 0 to isa-debug-exit or printed --until; under --hypervisor with no violation)",
              "1 it did not (failed, other isa-debug-exit value, panic, triple fault, timeout, a hypervisor violation)",
              `${EXIT_HELP.usage.replace("; nothing was done", "")}, a kernel that is no bzImage, multiboot or ELF file, a --backend file without usable guestTests (or whose tests the guest cannot build), no qemu`,
              "3 qemu failed by itself or could not start (its message is shown), the reference hypervisor could not be built (gcc's message), or the test guest is not bundled",
            ),
          ),
      (a) => {
        invocation = {
          command: "run",
          args: {
            rom: file(a.rom),
            timeout: a.timeout,
            memory: a.memory,
            ...given(a, "manifest", "keep", "backend", "kernel", "initrd", "append", "until"),
            ...(a.hypervisor ? { hypervisor: true } : {}),
            ...(a.json ? { json: true } : {}),
          },
        };
      },
    )
    .command(
      "init-backend <name>",
      "write a starting point for a backend of your own outside the vmirom tree: <name>/backend.ts (a built-in backend's calls with one written out) and a README; it builds with build --backend <name>/backend.ts and passes run as it is",
      (y) =>
        y
          .positional("name", {
            type: "string",
            demandOption: true,
            describe: "the new folder; its last part is the backend's name (lower-case letter first, then letters, digits, - or _)",
          })
          .option("from", { type: "string", requiresArg: true, default: "native", describe: `the built-in backend to start from: ${BACKEND_NAMES.join(", ")}` })
          .epilogue(exits(EXIT_HELP.ok, EXIT_HELP.usage, EXIT_HELP.io)),
      (a) => {
        invocation = { command: "init-backend", args: { name: a.name, from: a.from } };
      },
    )
    .demandCommand(1, `name a command (${COMMANDS.join(", ")}); see --help`)
    .strict()
    // yargs reads `--no-<name>` as false for every option; only a boolean may be negated (a string option
    // set to false would reach a command as a non-string).
    .check((a) => {
      const options = (parser as unknown as OptionLists).getOptions();
      const negated = options.string.find((k) => a[k] === false);
      if (negated !== undefined) return `Unknown argument: no-${negated}`;
      // yargs reads `--all=yes` as false; a boolean's value, when given, is true or false.
      for (const arg of argv) {
        if (arg === "--") break;
        const eq = arg.indexOf("=");
        if (!arg.startsWith("--") || eq < 3) continue;
        const name = arg.slice(2, eq),
          value = arg.slice(eq + 1);
        if (options.boolean.includes(name) && value !== "true" && value !== "false") return `--${name} is true or false, not ${JSON.stringify(value)}`;
      }
      return true;
    })
    .help()
    .alias("help", "h")
    .version("version", "Show version number", `vmirom ${pkg.version}`)
    .wrap(width)
    // A usage error (msg) or a parse error (err, a YError: "Not enough arguments following: out").
    .fail((msg, err) => {
      failure = msg || (err instanceof Error ? err.message : String(err));
    });
  // With a callback, yargs neither prints nor exits: the help text comes back as `output`.
  let output = "";
  parser.parse([...argv], {}, (_err, _argv, text) => {
    output = text;
  });
  if (failure !== undefined) return { kind: "error", message: failure };
  if (invocation !== undefined) return { kind: "run", invocation };
  return { kind: "help", text: output.endsWith("\n") ? output : `${output}\n` };
}
