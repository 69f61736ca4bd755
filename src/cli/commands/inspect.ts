// vmirom info / vmirom list: decode an image for a reader (header fields, structures, slot summary; or an
// objdump-style listing), with the layout picked from the image's version byte or --api.

import { basename } from "node:path";
import { describeImage } from "../../inspect/info.ts";
import { disassembleImage } from "../../inspect/disassemble.ts";
import type { Layout } from "../../layout/types.ts";
import { readBytes } from "../files.ts";
import { layoutForImage } from "../layouts.ts";
import { EXIT_BAD_INPUT, EXIT_OK, printErrors } from "../report.ts";
import { diag } from "../../diagnostics.ts";

export interface InspectArgs {
  rom: string;
  api?: string;
  layout?: string;
}

function load(args: InspectArgs): { bytes: Uint8Array; layout: Layout } | undefined {
  const bytes = readBytes(args.rom, "ROM image");
  if (!bytes.ok) {
    printErrors(bytes.errors);
    return undefined;
  }
  if (bytes.value.length < 2 || bytes.value[0] !== 0x55 || bytes.value[1] !== 0xaa) {
    printErrors([diag("CLI_NOT_A_ROM", "not an option ROM: the file does not start with 55 AA", { file: args.rom, offset: 0 })]);
    return undefined;
  }
  const layout = layoutForImage(bytes.value, args.rom, args.api, args.layout);
  if (!layout.ok) {
    printErrors(layout.errors);
    return undefined;
  }
  return { bytes: bytes.value, layout: layout.value };
}

export function runInfo(args: InspectArgs): number {
  const loaded = load(args);
  if (!loaded) return EXIT_BAD_INPUT;
  process.stdout.write(describeImage(loaded.bytes, loaded.layout, basename(args.rom)));
  return EXIT_OK;
}

export function runList(args: InspectArgs): number {
  const loaded = load(args);
  if (!loaded) return EXIT_BAD_INPUT;
  process.stdout.write(disassembleImage(loaded.bytes, loaded.layout, basename(args.rom)));
  return EXIT_OK;
}
