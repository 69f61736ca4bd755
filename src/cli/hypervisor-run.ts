// vmirom run ROM --kernel bzImage --hypervisor: boots the kernel under the reference hypervisor (hypervisor/),
// which takes it over at the ROM's Init and checks every hypercall, trap and page-table change. The console
// streams to the terminal (to stderr with --json); the monitor's report comes back on qemu's debug console.

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { buildHypervisor, hypervisorSourceDir } from "../../hypervisor/build.ts";
import { formatReport, hypervisorVerdict, parseMonitorLog, symbolizer } from "../../hypervisor/report.ts";
import { diag, type Diagnostic } from "../diagnostics.ts";
import type { Manifest } from "../manifest/types.ts";
import { hypervisorHeader } from "./hypervisor-header.ts";
import { streamQemu } from "./qemu-stream.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_IO, EXIT_OK, printErrors } from "./report.ts";

export interface HypervisorRunArgs {
  rom: string;
  kernel: string;
  initrd?: string;
  append?: string;
  manifest?: string;
  timeout: number;
  until?: string;
  memory: number;
  json: boolean;
}

/** The monitor needs this much guest memory: it lives below 252 MiB (hypervisor/layout.h). */
export const HYPERVISOR_MEMORY_MIB = 256;
const PARAVIRTUAL = ["vmware", "xen"] as const;

/**
 * Which contract a ROM speaks: the hypervisor its manifest names (an out-of-tree paravirtual backend), else
 * its manifest's backend, else the name string vmirom writes into every ROM.
 */
export function romBackend(rom: Uint8Array, manifest: Manifest | undefined): string | undefined {
  if (manifest) return manifest.hypervisor ?? manifest.backend;
  const m = /vmirom VMI (\S+) ROM/.exec(Buffer.from(rom).toString("latin1"));
  return m?.[1];
}

export function hypervisorInputProblems(args: HypervisorRunArgs, rom: Uint8Array, manifest: Manifest | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const backend = romBackend(rom, manifest);
  if (backend === undefined)
    out.push(
      diag("CLI_HV_BACKEND", "cannot tell which hypervisor contract the ROM speaks: no manifest beside it and no vmirom name string in it", { file: args.rom }),
    );
  else if (!(PARAVIRTUAL as readonly string[]).includes(backend)) {
    out.push(
      diag(
        "CLI_HV_BACKEND",
        `the ${backend} backend has no hypervisor: ${backend === "native" ? "it runs on bare hardware (vmirom run without --hypervisor)" : "the reference hypervisor plays vmware and xen"}`,
        { file: args.rom },
      ),
    );
  }
  if (rom[0x0d] !== 3)
    out.push(
      diag("CLI_HV_API", `the reference hypervisor hosts API 3 guests (Linux); this ROM has API ${rom[0x0d]} (api13 under the hypervisor is not done yet)`, {
        file: args.rom,
        offset: 0x0d,
      }),
    );
  const kernel = readFileSync(args.kernel);
  if (kernel.length < 0x210 || kernel.toString("latin1", 0x202, 0x206) !== "HdrS") {
    out.push(diag("CLI_NOT_A_BZIMAGE", 'not a Linux bzImage: no "HdrS" boot-protocol signature at 0x202', { file: args.kernel, offset: 0x202 }));
  }
  if (args.memory !== HYPERVISOR_MEMORY_MIB)
    out.push(
      diag(
        "CLI_USAGE",
        `--hypervisor runs the guest with ${HYPERVISOR_MEMORY_MIB} MiB (the monitor's memory sits at its top); --memory ${args.memory} cannot be honoured`,
      ),
    );
  return out;
}

/** The monitor's image, built once per set of sources and header (a cache in the temporary directory). */
function hypervisorImage(): string {
  const header = hypervisorHeader();
  const src = hypervisorSourceDir();
  const hash = createHash("sha256").update(header);
  for (const f of readdirSync(src).sort()) if (/\.(c|h|S|ld)$/.test(f)) hash.update(f).update(readFileSync(join(src, f)));
  const dir = join(tmpdir(), `vmirom-hv-${hash.digest("hex").slice(0, 16)}`);
  const image = join(dir, "vmirom-hv.bin");
  if (!existsSync(image)) buildHypervisor(dir, header);
  return image;
}

export async function runUnderHypervisor(args: HypervisorRunArgs): Promise<number> {
  const rom = readFileSync(args.rom);
  const manifestFile = args.manifest ?? args.rom.replace(/\.rom$/i, "") + ".json";
  const manifest = manifestFile !== args.rom && existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest) : undefined;
  const problems = hypervisorInputProblems(args, rom, manifest);
  const backend = romBackend(rom, manifest); // undefined is one of the problems
  if (problems.length || backend === undefined) {
    printErrors(problems);
    return EXIT_BAD_INPUT;
  }
  let image: string;
  try {
    image = hypervisorImage();
  } catch (e) {
    printErrors([diag("CLI_HV_BUILD", (e as Error).message)]);
    return EXIT_IO;
  }
  const work = mkdtempSync(join(tmpdir(), "vmirom-hv-run-"));
  // qemu takes the modules as "file args,file": copies with plain names keep spaces and commas in the user's
  // paths out of that list; commas in the command line are doubled, as qemu reads them.
  const kernel = join(work, "bzImage");
  copyFileSync(args.kernel, kernel);
  const modules = [`${kernel} ${(args.append ?? "console=ttyS0").replace(/,/g, ",,")}`];
  if (args.initrd !== undefined) {
    const initrd = join(work, "initrd");
    copyFileSync(args.initrd, initrd);
    modules.push(initrd);
  }
  const debugLog = join(work, "debug.log");
  const qemuArgs = [
    "-machine",
    "pc",
    "-m",
    String(HYPERVISOR_MEMORY_MIB),
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-serial",
    "stdio",
    "-option-rom",
    args.rom,
    "-kernel",
    image,
    "-append",
    `hv=${backend}`,
    "-initrd",
    modules.join(","),
    "-debugcon",
    `file:${debugLog}`,
    "-global",
    "isa-debugcon.iobase=0x402",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
  ];
  const say = (s: string) => (args.json ? process.stderr : process.stdout).write(s);
  say(`vmirom run: ${basename(args.rom)} (${backend}) with kernel ${basename(args.kernel)} under the reference hypervisor (timeout ${args.timeout} s)\n`);
  say("---- serial console ----\n");
  const result = await streamQemu("qemu-system-i386", qemuArgs, {
    timeoutS: args.timeout,
    ...(args.until !== undefined ? { until: args.until } : {}),
    console: say,
  });
  const { console: consoleText, stderr, untilSeen, timedOut } = result;
  const log = parseMonitorLog(existsSync(debugLog) ? readFileSync(debugLog, "latin1") : "");
  rmSync(work, { recursive: true, force: true });
  if (!consoleText.endsWith("\n") && consoleText.length) say("\n");
  say("---- end of serial console ----\n");
  const qemuError = result.error
    ? `cannot start qemu-system-i386: ${result.error.message}`
    : !log.started && stderr.trim()
      ? `qemu failed: ${stderr.trim().split("\n")[0]}`
      : undefined;
  const verdict = hypervisorVerdict(log, { untilSeen, timedOut, timeoutS: args.timeout, ...(qemuError ? { qemuError } : {}) });
  const romBase = log.report ? parseInt(log.report.romBase, 16) : undefined;
  const symbolize = symbolizer(manifest, romBase);
  if (args.json) {
    const r = log.report;
    const json = {
      outcome: verdict.ok ? "ok" : "failed",
      why: verdict.why,
      guest: r?.outcome ?? (untilSeen ? "until text seen" : timedOut ? "timed out" : "no report"),
      launched: log.launched,
      hypervisor: backend,
      kernelCpl: r?.kernelCpl ?? null,
      violations: (r?.violations ?? log.violations).map(symbolize),
      violationCount: r?.violationCount ?? log.violations.length,
      hypercalls: r?.hypercalls ?? {},
      traps: r?.traps ?? {},
      emulated: r?.emulated ?? {},
      emulatedSites: (r?.emulatedSites ?? []).map((s) => ({ ...s, where: symbolize(s.eip) })),
      flushes: r?.flushes ?? 0,
      flushedEntries: r?.flushedEntries ?? 0,
      meanBatch: r?.meanBatch ?? 0,
      pageTables: r?.pageTables ?? null,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    if (log.report) process.stdout.write(`${formatReport(log.report, symbolize)}\n`);
    else for (const v of log.violations) process.stdout.write(`violation: ${symbolize(v)}\n`);
    process.stdout.write(`result: ${verdict.ok ? "ok" : "FAILED"} — ${verdict.why}\n`);
  }
  // qemu failing by itself is exit 3, as for run --kernel (report.ts), not the guest's failure.
  return verdict.ok ? EXIT_OK : qemuError ? EXIT_IO : EXIT_FAILED;
}
