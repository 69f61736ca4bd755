// A build writes all of its files or none (issue 20: a full disk left native-api13.rom without its .json and
// .lst). A full disk cannot be made in a test without root, so the file layer is injected: the Nth write
// (or rename) fails, and nothing of the build may be left — no temporary file, no file renamed before.

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runBuild } from "../../src/cli/commands/build.ts";
import { nodeWriteLayer, writeFilesAtomic, type WriteLayer } from "../../src/cli/files.ts";

let tmp = "";
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "vmirom-atomic-"));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The real file layer, except that write number `failWrite` (or rename number `failRename`, 1-based) fails as a full disk does. */
function failing(opts: { failWrite?: number; failRename?: number }): WriteLayer {
  let writes = 0,
    renames = 0;
  const enospc = (): Error => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  return {
    writeFile: (file, data) => {
      if (++writes === opts.failWrite) {
        writeFileSync(file, typeof data === "string" ? data.slice(0, 10) : data.subarray(0, 10)); // a partial temporary
        throw enospc();
      }
      nodeWriteLayer.writeFile(file, data);
    },
    rename: (from, to) => {
      if (++renames === opts.failRename) throw enospc();
      renameSync(from, to);
    },
    remove: nodeWriteLayer.remove,
  };
}

describe("writeFilesAtomic", () => {
  const outputs = (dir: string) => ["a.rom", "a.lst", "a.json", "b.rom"].map((f, i) => ({ file: join(dir, f), data: `file ${i}\n` }));

  it("writes every file when nothing fails", () => {
    const dir = mkdtempSync(join(tmp, "ok-"));
    const r = writeFilesAtomic(outputs(dir));
    expect(r.ok).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["a.json", "a.lst", "a.rom", "b.rom"]);
  });

  for (let n = 1; n <= 4; n++) {
    it(`leaves nothing when write ${n} fails, and when rename ${n} fails`, () => {
      for (const opts of [{ failWrite: n }, { failRename: n }]) {
        const dir = mkdtempSync(join(tmp, "fail-"));
        const r = writeFilesAtomic(outputs(dir), failing(opts));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors[0]!.code).toBe("CLI_WRITE_FAILED");
        expect(readdirSync(dir), JSON.stringify(opts)).toEqual([]);
      }
    });
  }
});

describe("vmirom build with a disk that fills up", () => {
  it("exit 3, one error, no 'ok:' line, and not one of its files (nor the directory it made) left, wherever the write fails", () => {
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    // native × api3: 8 files (7 beside the ROM and the C header); the first, a middle and the last write fail.
    for (const n of [1, 4, 8]) {
      stdout.mockClear();
      stderr.mockClear();
      const dir = join(tmp, `full-${n}`, "roms");
      const status = runBuild({ backend: "native", api: "3", out: dir, all: false }, failing({ failWrite: n }));
      expect(status, `write ${n}`).toBe(3);
      expect(stdout.mock.calls.map((c) => String(c[0])).join(""), `write ${n}`).not.toMatch(/^ok:/m);
      expect(stderr.mock.calls.map((c) => String(c[0])).join(""), `write ${n}`).toContain("CLI_WRITE_FAILED");
      expect(existsSync(dir), `write ${n}`).toBe(false);
    }
  });
});
