// vmirom build: every selected backend × interface → <out>/<backend>-api<major>.{rom,lst,map,json,svg,S,elf} and
// <out>/vmi-api<major>.h. Everything is built and checked in memory first; files are written only when
// every image built and passed the checker, and then all of them or none (writeFilesAtomic), so a failed
// build leaves nothing behind. The "ok:" lines come only once the files are there.
// --backend may name a backend file outside this tree (./mine.ts; src/cli/backend-file.ts): it is built and
// checked like a built-in one, with the same outputs.

import { join } from "node:path";
import { BACKENDS, HYPERVISOR_CONTRACTS } from "../../../roms/index.ts";
import { checkImage, formatViolations, summarize } from "../../check/index.ts";
import { diag } from "../../diagnostics.ts";
import { buildImage, renderElf, renderGas, stableJson } from "../../image/index.ts";
import type { RomProgram } from "../../image/program.ts";
import { readImageModel } from "../../inspect/model.ts";
import { renderSvg } from "../../inspect/svg.ts";
import { cHeaderFileName, renderCHeader } from "../../layout/c-header.ts";
import type { Layout } from "../../layout/types.ts";
import { isBackendFile, loadBackendFile, type ImageModule, type LoadedBackend } from "../backend-file.ts";
import { ensureDir, nodeWriteLayer, removeDirs, writeFilesAtomic, type OutputFile, type WriteLayer } from "../files.ts";
import { selectLayouts } from "../layouts.ts";
import { useBundleLineTable } from "../stack-positions.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_IO, EXIT_OK, printErrors } from "../report.ts";

export interface BuildArgs {
  backend: string;
  api: string;
  out: string;
  all: boolean;
  layout?: string;
}

/** Options that select the same thing twice, with different answers: a usage error naming both. */
function conflicts(args: BuildArgs): string | undefined {
  if (args.all && args.backend !== "all") return `--all builds every backend, but --backend ${args.backend} names one; give one of them`;
  if (args.all && args.api !== "all") return `--all builds every interface, but --api ${args.api} names one; give one of them`;
  if (args.all && args.layout !== undefined) return "--all builds every interface in layouts/, but --layout names one file; give one of them";
  if (args.api !== "all" && args.layout !== undefined) return `--api ${args.api} and --layout both choose the interface; give one of them`;
  return undefined;
}

/**
 * The command: a backend file is loaded first (compiling it is asynchronous), then built as runBuild builds a
 * built-in backend.
 */
export async function runBuildCommand(args: BuildArgs): Promise<number> {
  if (args.all || !isBackendFile(args.backend) || conflicts(args)) return runBuild(args);
  const loaded = await loadBackendFile(args.backend, Object.keys(BACKENDS).sort());
  if (!loaded.ok) {
    printErrors(loaded.errors);
    return EXIT_BAD_INPUT;
  }
  return runBuild(args, nodeWriteLayer, loaded.value);
}

/**
 * `layer`: the file operations the outputs are written with (tests give one that fails). `file`: a backend
 * loaded from a file (runBuildCommand), built with the library's image machinery, instead of --backend's name.
 */
export function runBuild(args: BuildArgs, layer: WriteLayer = nodeWriteLayer, file?: LoadedBackend): number {
  const conflict = conflicts(args);
  if (conflict) {
    printErrors([diag("CLI_USAGE", conflict)]);
    return EXIT_BAD_INPUT;
  }
  const backendName = args.all ? "all" : args.backend;
  let programs: RomProgram[];
  let image: ImageModule = { buildImage, renderElf, renderGas, stableJson };
  if (file) {
    programs = [file.program];
    image = file.image;
  } else {
    const names = backendName === "all" ? Object.keys(BACKENDS).sort() : [backendName];
    const unknown: string[] = [];
    programs = [];
    for (const n of names) {
      const program = Object.hasOwn(BACKENDS, n) ? BACKENDS[n] : undefined;
      if (program) programs.push(program);
      else unknown.push(n);
    }
    if (unknown.length) {
      printErrors([
        diag(
          "CLI_UNKNOWN_BACKEND",
          `unknown backend ${JSON.stringify(unknown[0])}; available: ${Object.keys(BACKENDS).sort().join(", ")}, all, or a backend file (./mine.ts)`,
        ),
      ]);
      return EXIT_BAD_INPUT;
    }
  }
  const layouts = selectLayouts(args.all ? "all" : args.api, args.layout);
  if (!layouts.ok) {
    printErrors(layouts.errors);
    return EXIT_BAD_INPUT;
  }
  // Before any work: an --out that cannot hold the files is one error at once. The directories made here
  // are removed again if the build or the write fails (they held nothing before).
  const dir = ensureDir(args.out);
  if (!dir.ok) {
    printErrors(dir.errors);
    return EXIT_BAD_INPUT;
  }

  useBundleLineTable();
  const outputs: OutputFile[] = [];
  const summaries: string[] = [];
  let failed = false;
  const headers = new Map<string, Layout>();
  for (const program of programs) {
    for (const layout of layouts.value) {
      const stem = `${program.backend}-api${layout.version.major}`;
      const built = image.buildImage(program, layout);
      if (!built.ok) {
        printErrors(built.errors, `${stem}: `);
        failed = true;
        continue;
      }
      const { bytes, manifest, listing, map } = built.value;
      const violations = checkImage(bytes, layout, { manifest });
      summaries.push(summarize(bytes, layout, violations, `${stem}.rom`));
      if (violations.length) {
        process.stderr.write(
          formatViolations(violations, false)
            .split("\n")
            .map((l) => `vmirom: ${stem}: ${l}\n`)
            .join(""),
        );
        failed = true;
        continue;
      }
      const base = join(args.out, stem);
      outputs.push(
        { file: `${base}.rom`, data: bytes },
        { file: `${base}.lst`, data: listing },
        { file: `${base}.map`, data: map },
        { file: `${base}.json`, data: image.stableJson(manifest) },
        { file: `${base}.svg`, data: renderSvg(readImageModel(bytes, layout, { name: `${stem}.rom`, manifest })) },
        { file: `${base}.S`, data: image.renderGas(built.value.laidOut, stem) },
        { file: `${base}.elf`, data: image.renderElf(built.value.laidOut, stem) },
      );
      headers.set(cHeaderFileName(layout), layout);
    }
  }
  if (failed) {
    // The images that failed, not an "ok:" for those that did not: nothing is written.
    for (const s of summaries) if (!s.startsWith("ok:")) process.stdout.write(`${s}\n`);
    removeDirs(dir.value);
    process.stderr.write("vmirom: build failed; no files were written\n");
    return EXIT_FAILED;
  }
  for (const [file, layout] of headers) outputs.push({ file: join(args.out, file), data: renderCHeader(layout, HYPERVISOR_CONTRACTS) });

  const w = writeFilesAtomic(outputs, layer);
  if (!w.ok) {
    printErrors(w.errors);
    removeDirs(dir.value);
    process.stderr.write("vmirom: no files were written\n");
    return EXIT_IO;
  }
  for (const s of summaries) process.stdout.write(`${s}\n`);
  process.stdout.write(`wrote ${outputs.length} files to ${args.out}\n`);
  return EXIT_OK;
}
