// vmirom build: every selected backend × interface → <out>/<backend>-api<major>.{rom,lst,map,json,svg,S,elf} and
// <out>/vmi-api<major>.h. Everything is built and checked in memory first; files are written only when
// every image built and passed the checker, so a failed build leaves nothing behind.

import { join } from "node:path";
import { BACKENDS, HYPERVISOR_CONTRACTS } from "../../../roms/index.ts";
import { checkImage, formatViolations, summarize } from "../../check/index.ts";
import { diag } from "../../diagnostics.ts";
import { buildImage, renderElf, renderGas, stableJson } from "../../image/index.ts";
import { readImageModel } from "../../inspect/model.ts";
import { renderSvg } from "../../inspect/svg.ts";
import { cHeaderFileName, renderCHeader } from "../../layout/c-header.ts";
import type { Layout } from "../../layout/types.ts";
import { ensureDir, writeFileAtomic } from "../files.ts";
import { selectLayouts } from "../layouts.ts";
import { useBundleLineTable } from "../stack-positions.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, printErrors } from "../report.ts";

export interface BuildArgs {
  backend: string;
  api: string;
  out: string;
  all: boolean;
  layout?: string;
}

interface Output {
  file: string;
  data: string | Uint8Array;
}

export function runBuild(args: BuildArgs): number {
  const backendName = args.all ? "all" : args.backend;
  const names = backendName === "all" ? Object.keys(BACKENDS).sort() : [backendName];
  const unknown = names.filter((n) => !Object.hasOwn(BACKENDS, n));
  if (unknown.length) {
    printErrors([diag("CLI_UNKNOWN_BACKEND", `unknown backend ${JSON.stringify(unknown[0])}; available: ${Object.keys(BACKENDS).sort().join(", ")}, all`)]);
    return EXIT_BAD_INPUT;
  }
  const layouts = selectLayouts(args.all ? "all" : args.api, args.layout);
  if (!layouts.ok) {
    printErrors(layouts.errors);
    return EXIT_BAD_INPUT;
  }

  useBundleLineTable();
  const outputs: Output[] = [];
  const summaries: string[] = [];
  let failed = false;
  const headers = new Map<string, Layout>();
  for (const name of names) {
    const program = BACKENDS[name]!;
    for (const layout of layouts.value) {
      const stem = `${program.backend}-api${layout.version.major}`;
      const built = buildImage(program, layout);
      if (!built.ok) {
        printErrors(built.errors, `${stem}: `);
        failed = true;
        continue;
      }
      const { bytes, manifest, listing, map } = built.value;
      const violations = checkImage(bytes, layout, { manifest });
      summaries.push(summarize(bytes, layout, violations, `${stem}.rom`));
      if (violations.length) {
        process.stderr.write(formatViolations(violations, false).split("\n").map((l) => `vmirom: ${stem}: ${l}\n`).join(""));
        failed = true;
        continue;
      }
      const base = join(args.out, stem);
      outputs.push(
        { file: `${base}.rom`, data: bytes },
        { file: `${base}.lst`, data: listing },
        { file: `${base}.map`, data: map },
        { file: `${base}.json`, data: stableJson(manifest) },
        { file: `${base}.svg`, data: renderSvg(readImageModel(bytes, layout, { name: `${stem}.rom`, manifest })) },
        { file: `${base}.S`, data: renderGas(built.value.laidOut, stem) },
        { file: `${base}.elf`, data: renderElf(built.value.laidOut, stem) },
      );
      headers.set(cHeaderFileName(layout), layout);
    }
  }
  for (const s of summaries) process.stdout.write(`${s}\n`);
  if (failed) {
    process.stderr.write("vmirom: build failed; no files were written\n");
    return EXIT_FAILED;
  }
  for (const [file, layout] of headers) outputs.push({ file: join(args.out, file), data: renderCHeader(layout, HYPERVISOR_CONTRACTS) });

  const dir = ensureDir(args.out);
  if (!dir.ok) {
    printErrors(dir.errors);
    return EXIT_BAD_INPUT;
  }
  for (const o of outputs) {
    const w = writeFileAtomic(o.file, o.data);
    if (!w.ok) {
      printErrors(w.errors);
      return EXIT_FAILED;
    }
  }
  process.stdout.write(`wrote ${outputs.length} files to ${args.out}\n`);
  return EXIT_OK;
}
