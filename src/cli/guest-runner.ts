// `vmirom run` boots the test guest (guest/: a multiboot kernel that uses a ROM as Linux or Sanos does,
// with each backend's test vectors). src/ never imports guest/: scripts/bundle.mjs bundles it on its own
// (guest/qemu/guest-entry.ts → dist/vmirom-guest.mjs), and the CLI loads that file only when `vmirom run`
// needs it, through the interface below, which the entry implements (checked by tsc) — so the other commands
// never parse the guest builder.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { diag, type Result } from "../diagnostics.ts";

export const GUEST_BUNDLE = "vmirom-guest.mjs";

export interface GuestRunRequest {
  rom: string;
  /** Default: the ROM's sibling <name>.json. */
  manifest?: string;
  timeoutMs: number;
  /** Keep guest.bin, guest.lst and the debug log here. */
  keepDir?: string;
}

export interface GuestRunReport {
  /** The guest passed everything and the harness found no problem. */
  ok: boolean;
  /** pass, fail, no-rom, fatal, timeout, triple-fault, other. */
  outcome: string;
  status: number;
  durationMs: number;
  backend: string;
  layout: string;
  /** linux (api3) or sanos (api13). */
  guest: string;
  /** Probe, Init, relocation, patching and test results, one line each, for the terminal. */
  summary: string[];
  problems: string[];
  /** The instruction-count table, formatted, when the guest counted. */
  costTable: string | null;
}

export interface GuestRunnerModule {
  runGuestReport(req: GuestRunRequest): Result<GuestRunReport>;
}

/** The bundled guest runner next to the CLI bundle (dist/). */
export async function loadGuestRunner(): Promise<Result<GuestRunnerModule>> {
  const file = join(dirname(fileURLToPath(import.meta.url)), GUEST_BUNDLE);
  if (!existsSync(file)) {
    return { ok: false, errors: [diag("CLI_NO_GUEST", `the test guest is not bundled (${file} is missing); run npm run bundle`)] };
  }
  const mod = (await import(pathToFileURL(file).href)) as Partial<GuestRunnerModule>;
  if (typeof mod.runGuestReport !== "function") {
    return { ok: false, errors: [diag("CLI_NO_GUEST", `${file} does not export runGuestReport; run npm run bundle`)] };
  }
  return { ok: true, value: mod as GuestRunnerModule };
}
