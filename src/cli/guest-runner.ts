// `vmirom run` boots the test guest (guest/: a multiboot kernel that uses a ROM as Linux or Sanos does,
// with each backend's test vectors). src/ never imports guest/: scripts/bundle.mjs bundles it on its own
// (guest/qemu/guest-entry.ts → dist/vmirom-guest.mjs), and the CLI loads that file only when `vmirom run`
// needs it, through the interface below, which the entry implements (checked by tsc) — so the other commands
// never parse the guest builder.
//
// With `run --backend FILE` the guest runs the tests a backend file exports, which import "vmirom" and
// "vmirom/guest" from the library (dist/lib). The bundle's guest carries its own copy of the DSL's classes,
// whose Assembler would meet the tests' labels and registers as strangers; so then the guest is the library's
// (the library build compiles guest/qemu/guest-entry.ts too, into dist/lib/guest/qemu/guest-entry.js), and
// the tests, TestCtx.a and the guest builder are one copy. Without --backend the bundle's guest runs, as fast
// to load as before.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { diag, type Result } from "../diagnostics.ts";
import type { Layout } from "../layout/types.ts";

export const GUEST_BUNDLE = "vmirom-guest.mjs";

export interface GuestRunRequest {
  rom: string;
  /** Default: the ROM's sibling <name>.json. */
  manifest?: string;
  timeoutMs: number;
  /** Keep guest.bin, guest.lst and the debug log here. */
  keepDir?: string;
  /** A backend file's `guestTests` (run --backend), run in place of the common effect tests. */
  tests?: GuestTestsExport;
}

/**
 * A backend file's `guestTests` export as the CLI checks it (backend-file.ts): its shape only; the tests
 * `tests(layout)` returns are checked by the guest, which reports a bad one as GUEST_TEST_DEFINITION.
 * The public type is GuestTests ("vmirom/guest", guest/api.ts).
 */
export interface GuestTestsExport {
  tests(layout: Layout): unknown;
  untested?: Readonly<Record<string, string>>;
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

/** The guest compiled into the library (dist/lib/guest/qemu/guest-entry.js), for a backend file's own tests. */
export async function loadLibraryGuestRunner(libDir: string): Promise<Result<GuestRunnerModule>> {
  const file = join(libDir, "guest", "qemu", "guest-entry.js");
  if (!existsSync(file)) {
    return { ok: false, errors: [diag("CLI_NO_GUEST", `the library's test guest is not built (${file} is missing); run npm run build-lib`)] };
  }
  const mod = (await import(pathToFileURL(file).href)) as Partial<GuestRunnerModule>;
  if (typeof mod.runGuestReport !== "function") {
    return { ok: false, errors: [diag("CLI_NO_GUEST", `${file} does not export runGuestReport; run npm run build-lib`)] };
  }
  return { ok: true, value: mod as GuestRunnerModule };
}
