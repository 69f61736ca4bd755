// The vmirom command line (bundled into dist/vmirom.mjs): build, info, list, check. Each command returns
// its exit code; bad usage gets one message and exit code 2.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { runBuild } from "./commands/build.ts";
import { runCheck } from "./commands/check.ts";
import { runInfo, runList } from "./commands/inspect.ts";
import { EXIT_BAD_INPUT } from "./report.ts";

function main(argv: string[]): void {
  const romOptions = {
    api: { type: "string", describe: "API major version of the image's layout, e.g. 3 or 13 (default: byte 0x0D)" },
    layout: { type: "string", describe: "a layout JSON file to use instead of layouts/", normalize: true },
  } as const;
  yargs(argv)
    .scriptName("vmirom")
    .usage("$0 <command> [options]\n\nBuilds and checks VMI-style paravirtualization option ROMs for i386 guests.")
    .command(
      "build",
      "build every selected backend × interface into <out>/<backend>-api<major>.{rom,lst,map,json} and <out>/vmi-api<major>.h",
      (y) =>
        y
          .option("backend", { type: "string", default: "all", describe: "backend to build (see roms/index.ts), or all" })
          .option("api", { type: "string", default: "all", describe: "interface to build for: an API major version of a layout in layouts/ (3, 13), or all" })
          .option("out", { type: "string", default: "build/roms", describe: "output directory", normalize: true })
          .option("all", { type: "boolean", default: false, describe: "every backend and every interface" })
          .option("layout", romOptions.layout),
      (a) => {
        process.exitCode = runBuild({ backend: a.backend, api: a.api, out: a.out, all: a.all, ...(a.layout ? { layout: a.layout } : {}) });
      },
    )
    .command(
      "info <rom>",
      "decode an image's header fields, PCIR, $PnP, license, relocation table and slots",
      (y) => y.positional("rom", { type: "string", demandOption: true, describe: "ROM image file" }).options(romOptions),
      (a) => {
        process.exitCode = runInfo({ rom: a.rom, ...(a.api ? { api: a.api } : {}), ...(a.layout ? { layout: a.layout } : {}) });
      },
    )
    .command(
      "list <rom>",
      "disassemble an image slot by slot and body by body (objdump style, from the bytes alone)",
      (y) => y.positional("rom", { type: "string", demandOption: true, describe: "ROM image file" }).options(romOptions),
      (a) => {
        process.exitCode = runList({ rom: a.rom, ...(a.api ? { api: a.api } : {}), ...(a.layout ? { layout: a.layout } : {}) });
      },
    )
    .command(
      "check <rom>",
      "run the image checker; exit 1 on violations",
      (y) =>
        y
          .positional("rom", { type: "string", demandOption: true, describe: "ROM image file" })
          .options(romOptions)
          .option("manifest", { type: "string", describe: "the build manifest (<rom>.json) the image must match", normalize: true })
          .option("json", { type: "boolean", default: false, describe: "print violations as JSON" }),
      (a) => {
        process.exitCode = runCheck({
          rom: a.rom,
          json: a.json,
          ...(a.api ? { api: a.api } : {}),
          ...(a.layout ? { layout: a.layout } : {}),
          ...(a.manifest ? { manifest: a.manifest } : {}),
        });
      },
    )
    .demandCommand(1, "vmirom: name a command (build, info, list, check); see --help")
    .strict()
    .help()
    .alias("help", "h")
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vmirom: ${msg}\nRun vmirom --help (or vmirom <command> --help) for usage.\n`);
      process.exit(EXIT_BAD_INPUT);
    })
    .parseSync();
}

main(hideBin(process.argv));
