// When the tools fail rather than the input: qemu that cannot start, gcc that cannot build the reference
// hypervisor, a CLI whose test guest was not bundled. Each is one error naming the tool and its own message,
// exit status 3, and no run. The failures are real ones: a qemu on PATH whose interpreter does not exist, a gcc
// that fails, a copy of the CLI bundle without vmirom-guest.mjs.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureRoms } from "../guest/rom-files.ts";
import { ROOT, runCli } from "../support/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "vmirom-tool-failures-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rom = (name: string) => ensureRoms().find((r) => r.endsWith(`/${name}.rom`))!;

/**
 * A folder put first on PATH holding `name`, a script that runs `body`; with no body, one that cannot start,
 * and then PATH is that folder alone (a failed exec goes on searching PATH, as execvp does).
 */
function fakeTool(folder: string, name: string, body?: string): Record<string, string> {
  const bin = join(dir, folder);
  mkdirSync(bin, { recursive: true });
  const file = join(bin, name);
  writeFileSync(file, body === undefined ? "#!/nonexistent/interpreter\n" : `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return { PATH: body === undefined ? bin : `${bin}${delimiter}${process.env.PATH ?? ""}` };
}

/** Enough of a Linux bzImage for vmirom's checks ("HdrS" at 0x202); qemu or the hypervisor build fails first. */
const bzImage = join(dir, "bzImage");
const header = Buffer.alloc(0x400);
header.write("HdrS", 0x202, "latin1");
header.writeUInt16LE(0x020a, 0x206);
writeFileSync(bzImage, header);

describe("tool failures: exit 3 with the tool's own message", () => {
  it("CLI_QEMU_FAILED: a qemu-system-i386 that cannot be started", () => {
    const r = runCli(["run", rom("native-api3"), "--kernel", bzImage, "--timeout", "20"], { env: fakeTool("noqemu", "qemu-system-i386") });
    expect(r.stderr).toMatch(/CLI_QEMU_FAILED: cannot start qemu-system-i386: spawn qemu-system-i386 E[A-Z]+/);
    expect(r.status).toBe(3);
  });

  it("CLI_HV_BUILD: gcc failing on the reference hypervisor's sources", () => {
    // A TMPDIR of its own: the hypervisor image is cached there by the hash of its sources.
    const tmp = join(dir, "hv-tmp");
    mkdirSync(tmp, { recursive: true });
    const env = { ...fakeTool("badgcc", "gcc", 'echo "gcc: fatal error: this gcc is broken on purpose" >&2; exit 1'), TMPDIR: tmp };
    const r = runCli(["run", rom("vmware-api3"), "--kernel", bzImage, "--hypervisor", "--timeout", "20"], { env });
    expect(r.stderr).toContain("CLI_HV_BUILD: gcc failed building the hypervisor:");
    expect(r.stderr).toContain("gcc: fatal error: this gcc is broken on purpose");
    expect(r.status).toBe(3);
  });

  it("CLI_NO_GUEST: a CLI bundle without its test guest", () => {
    // The bundle's files but the guest, copied beside each other (chunks are loaded relative to vmirom.mjs).
    const copy = join(dir, "dist");
    mkdirSync(copy);
    for (const f of readdirSync(join(ROOT, "dist"))) if (f.endsWith(".mjs") && f !== "vmirom-guest.mjs") copyFileSync(join(ROOT, "dist", f), join(copy, f));
    copyFileSync(join(ROOT, "dist", "vmirom.lines.json"), join(copy, "vmirom.lines.json"));
    // run loads the guest before it looks for qemu; one on PATH (never started) keeps the host's out of it all the same.
    const env = { ...process.env, ...fakeTool("anyqemu", "qemu-system-i386", "exit 1") };
    const r = spawnSync(process.execPath, [join(copy, "vmirom.mjs"), "run", rom("native-api3")], { encoding: "utf8", env });
    expect(r.stderr).toContain("CLI_NO_GUEST: the test guest is not bundled");
    expect(r.stderr).toContain("vmirom-guest.mjs is missing); run npm run bundle");
    expect(r.status).toBe(3);
  });
});
