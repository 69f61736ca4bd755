// gdb on a running ROM: the test guest boots under SeaBIOS in qemu with qemu's gdb stub (127.0.0.1 only,
// halted at the first instruction); gdb, in batch mode, loads <rom>.elf with add-symbol-file at the address
// the guest runs the ROM at, breaks on stub_CPUID, continues, and names the TypeScript line of the
// instruction it stopped at — the line the .lst shows. The README's recipe, run for every built ROM.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { qemuArgs, QEMU } from "../../guest/qemu/qemu.ts";
import { runGuest } from "../../guest/qemu/run-guest.ts";
import { requireTools } from "../support/tools.ts";
import { ensureRoms, readManifestOf, romName } from "./rom-files.ts";

const haveTools = requireTools(QEMU, "gdb");
const roms = haveTools ? ensureRoms() : [];

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The .lst's source comment for the line at `address`. */
function lstSource(lst: string, address: number): string | undefined {
  const re = new RegExp(`^\\s*${address.toString(16)}:\\t[^\\n]*\\t# (\\S+)$`, "m");
  return re.exec(lst)?.[1];
}

describe.skipIf(!haveTools)("gdb with the ROM's ELF, attached to qemu running the test guest", () => {
  for (const rom of roms) {
    it(`${romName(rom)}: break stub_CPUID stops there and info line names the TypeScript line`, async () => {
      const work = mkdtempSync(join(tmpdir(), "vmirom-gdb-"));
      try {
        // A first run says where the guest calls the ROM (the same machine, so the same place next time).
        const first = runGuest({ rom, writeCost: false, keepDir: work });
        if (!first.ok) throw new Error(first.errors.map((e) => e.message).join("\n"));
        const manifest = readManifestOf(rom);
        const call = manifest.calls.find((c) => c.name === "CPUID")!;
        expect(["CALL_REL", "JUMP_REL"]).toContain(call.reloc);
        const reloc = first.value.parsed.relocs.find((r) => r.name === "CPUID")!;
        const base = parseInt(reloc.eip!, 16) - parseInt(reloc.rom_offset!, 16);
        expect(first.value.parsed.counts.some((c) => c.call === "CPUID")).toBe(true);

        const port = await freePort();
        const args = [
          ...qemuArgs({ kernel: join(work, "guest.bin"), optionRom: rom, workDir: work }, join(work, "gdb-debug.log")),
          "-S",
          "-gdb",
          `tcp:127.0.0.1:${port}`,
        ];
        const qemu = spawn(QEMU, args, { stdio: ["ignore", "ignore", "pipe"] });
        const exited = new Promise<void>((resolve) => qemu.once("exit", () => resolve()));
        const guard = setTimeout(() => qemu.kill("SIGKILL"), 60_000);
        let out: string;
        try {
          const elf = rom.replace(/\.rom$/, ".elf");
          const gdb = spawnSync(
            "gdb",
            [
              "-batch",
              "-nx",
              "-ex",
              "set confirm off",
              "-ex",
              "set pagination off",
              "-ex",
              "set tcp connect-timeout 20",
              "-ex",
              `target remote 127.0.0.1:${port}`,
              "-ex",
              `add-symbol-file ${elf} 0x${base.toString(16)}`,
              "-ex",
              "break stub_CPUID",
              "-ex",
              "continue",
              "-ex",
              "info line *$pc",
              "-ex",
              "p/x $pc",
              "-ex",
              "x/2i $pc",
              "-ex",
              "kill",
            ],
            { encoding: "utf8", timeout: 45_000, killSignal: "SIGKILL" },
          );
          out = `${gdb.stdout}${gdb.stderr}`;
          expect(gdb.status, out).toBe(0);
        } finally {
          if (qemu.exitCode === null) qemu.kill("SIGKILL");
          await exited;
          clearTimeout(guard);
        }

        const pc = base + call.slot.offset;
        const src = lstSource(readFileSync(rom.replace(/\.rom$/, ".lst"), "utf8"), call.slot.offset);
        expect(src, "the .lst names a source line for the slot").toMatch(/^roms\/.+\.ts:\d+$/);
        const [file, line] = [src!.slice(0, src!.lastIndexOf(":")), src!.slice(src!.lastIndexOf(":") + 1)];
        expect(out).toContain(`Breakpoint 1 at 0x${pc.toString(16)}: file ${file}, line ${line}.`);
        expect(out).toMatch(new RegExp(`Breakpoint 1, (0x[0-9a-f]+ in )?stub_CPUID \\(\\) at ${file.replace(/[.]/g, "\\.")}:${line}`));
        expect(out).toContain(`Line ${line} of "${file}" starts at address 0x${pc.toString(16)} <stub_CPUID>`);
        expect(out).toContain(`$1 = 0x${pc.toString(16)}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
