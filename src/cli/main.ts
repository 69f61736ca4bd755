// The vmirom command line (bundled into dist/vmirom.mjs): build, info, list, check. This file holds only
// the grammar and the dispatch; each command's code is imported when that command runs (a chunk of its
// own in the bundle), so `--help` and usage errors load nothing else, and only `build` and `check` load the
// assembler, the checker or iced-x86. Each command returns its exit code; bad usage gets one message and
// exit code 2.

import { helpText, parseArgs, type CliSpec } from "./args.ts";

const EXIT_BAD_INPUT = 2;

const romOptions = {
  api: { type: "string", describe: "API major version of the image's layout, e.g. 3 or 13 (default: byte 0x0D)" },
  layout: { type: "string", describe: "a layout JSON file to use instead of layouts/", path: true },
} as const;
const rom = [{ name: "rom", describe: "ROM image file" }];

export const CLI: CliSpec = {
  bin: "vmirom",
  usage: "vmirom <command> [options]\n\nBuilds and checks VMI-style paravirtualization option ROMs for i386 guests.",
  commands: [
    {
      name: "build",
      positionals: [],
      describe: "build every selected backend × interface into <out>/<backend>-api<major>.{rom,lst,map,json} and <out>/vmi-api<major>.h",
      options: {
        backend: { type: "string", default: "all", describe: "backend to build (see roms/index.ts), or all" },
        api: { type: "string", default: "all", describe: "interface to build for: an API major version of a layout in layouts/ (3, 13), or all" },
        out: { type: "string", default: "build/roms", describe: "output directory", path: true },
        all: { type: "boolean", default: false, describe: "every backend and every interface" },
        layout: romOptions.layout,
      },
    },
    { name: "info", positionals: rom, describe: "decode an image's header fields, PCIR, $PnP, license, relocation table and slots", options: romOptions },
    { name: "list", positionals: rom, describe: "disassemble an image slot by slot and body by body (objdump style, from the bytes alone)", options: romOptions },
    {
      name: "check",
      positionals: rom,
      describe: "run the image checker; exit 1 on violations",
      options: {
        ...romOptions,
        manifest: { type: "string", describe: "the build manifest (<rom>.json) the image must match", path: true },
        json: { type: "boolean", default: false, describe: "print violations as JSON" },
      },
    },
  ],
};

type Values = Record<string, string | boolean | undefined>;
const str = (v: Values, k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);
/** `k: v[k]` when the option was given (the commands take optional properties, not undefined ones). */
const opt = (v: Values, k: string): Record<string, string> => (str(v, k) !== undefined ? { [k]: str(v, k)! } : {});

async function run(command: string, v: Values): Promise<number> {
  switch (command) {
    case "build": {
      const { runBuild } = await import("./commands/build.ts");
      return runBuild({ backend: str(v, "backend")!, api: str(v, "api")!, out: str(v, "out")!, all: v["all"] === true, ...opt(v, "layout") });
    }
    case "info":
    case "list": {
      const { runInfo, runList } = await import("./commands/inspect.ts");
      return (command === "info" ? runInfo : runList)({ rom: str(v, "rom")!, ...opt(v, "api"), ...opt(v, "layout") });
    }
    case "check": {
      const { runCheck } = await import("./commands/check.ts");
      return runCheck({ rom: str(v, "rom")!, json: v["json"] === true, ...opt(v, "api"), ...opt(v, "layout"), ...opt(v, "manifest") });
    }
  }
  throw new Error(`no handler for command ${command}`);
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseArgs(CLI, argv);
  if (parsed.kind === "help") {
    process.stdout.write(helpText(CLI, parsed.command, Math.min(110, process.stdout.columns || 110)));
    return;
  }
  if (parsed.kind === "error") {
    process.stderr.write(`vmirom: ${parsed.message}\nRun vmirom --help (or vmirom <command> --help) for usage.\n`);
    process.exitCode = EXIT_BAD_INPUT;
    return;
  }
  process.exitCode = await run(parsed.command.name, parsed.values);
}

await main(process.argv.slice(2));
