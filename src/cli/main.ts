// The vmirom command line (bundled into dist/vmirom.mjs): build, info, list, check, map, diff, run. Each
// command returns its exit code; bad usage gets one message and exit code 2. map, diff and run are loaded
// on demand (lazy), so their modules cost nothing to the other commands' start-up.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { runBuild } from "./commands/build.ts";
import { runCheck } from "./commands/check.ts";
import { runInfo, runList } from "./commands/inspect.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED } from "./report.ts";

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
      "build every selected backend × interface into <out>/<backend>-api<major>.{rom,lst,map,json,svg} and <out>/vmi-api<major>.h",
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
    .command(
      "map <rom>",
      "draw an image to scale as SVG: header, PCIR/$PnP, slots by bytes used and form, bodies, routines, tables, free space",
      (y) =>
        y
          .positional("rom", { type: "string", demandOption: true, describe: "ROM image file" })
          .options(romOptions)
          .option("manifest", { type: "string", describe: "the build manifest (default: <rom>.json beside the ROM, if any); used only when it describes these bytes", normalize: true })
          .option("out", { type: "string", describe: "write the SVG to this file (default: standard output)", normalize: true }),
      (a) => {
        lazy(async () => (await import("./commands/map.ts")).runMap({
          rom: a.rom,
          ...(a.api ? { api: a.api } : {}),
          ...(a.layout ? { layout: a.layout } : {}),
          ...(a.manifest ? { manifest: a.manifest } : {}),
          ...(a.out ? { out: a.out } : {}),
        }));
      },
    )
    .command(
      "diff <a> <b>",
      "compare two images call by call (slot form, body, relocation answer, code) and field by field; exit 1 when they differ",
      (y) =>
        y
          .positional("a", { type: "string", demandOption: true, describe: "first ROM image" })
          .positional("b", { type: "string", demandOption: true, describe: "second ROM image" })
          .options(romOptions),
      (a) => {
        lazy(async () => (await import("./commands/diff.ts")).runDiff({
          a: a.a,
          b: a.b,
          ...(a.api ? { api: a.api } : {}),
          ...(a.layout ? { layout: a.layout } : {}),
        }));
      },
    )
    .command(
      "run <rom>",
      "boot the ROM in qemu-system-i386 with SeaBIOS: the test guest (default) or your own kernel (--kernel); exit 0 when the guest reached its end",
      (y) =>
        y
          .positional("rom", { type: "string", demandOption: true, describe: "ROM image file" })
          .option("manifest", { type: "string", describe: "test guest: the ROM's build manifest (default: <rom>.json)", normalize: true })
          .option("keep", { type: "string", describe: "test guest: keep guest.bin, guest.lst and the debug log in this directory", normalize: true })
          .option("kernel", { type: "string", describe: "boot this kernel (bzImage, multiboot) instead of the test guest; its serial console is streamed here", normalize: true })
          .option("initrd", { type: "string", describe: "with --kernel: an initial ramdisk", normalize: true })
          .option("append", { type: "string", describe: "with --kernel: the kernel command line (default: console=ttyS0)" })
          .option("until", { type: "string", describe: "with --kernel: the guest has reached its end when its console prints this text" })
          .option("timeout", { type: "number", default: 60, describe: "seconds before qemu is stopped (the run then fails)" })
          .option("memory", { type: "number", default: 256, describe: "guest memory in MiB" }),
      (a) => {
        lazy(async () => (await import("./commands/run.ts")).runRun({
          rom: a.rom,
          timeout: a.timeout,
          memory: a.memory,
          ...(a.manifest !== undefined ? { manifest: a.manifest } : {}),
          ...(a.keep !== undefined ? { keep: a.keep } : {}),
          ...(a.kernel !== undefined ? { kernel: a.kernel } : {}),
          ...(a.initrd !== undefined ? { initrd: a.initrd } : {}),
          ...(a.append !== undefined ? { append: a.append } : {}),
          ...(a.until !== undefined ? { until: a.until } : {}),
        }));
      },
    )
    .demandCommand(1, "vmirom: name a command (build, info, list, check, map, diff, run); see --help")
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

/** Runs a command whose module is imported on demand; its exit code becomes the process's. */
function lazy(run: () => Promise<number> | number): void {
  Promise.resolve()
    .then(run)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        process.stderr.write(`vmirom: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = EXIT_FAILED;
      },
    );
}

main(hideBin(process.argv));
