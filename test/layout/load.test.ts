// The edge: reading files, JSON syntax, the zod shape, hex strings, and finding layouts by name.

import fc from "fast-check";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLayoutsDir, listLayoutNames, loadLayout, loadLayoutByName } from "../../src/cli/load-layout.ts";
import { parseLayout, syntaxErrorOffset } from "../../src/layout/parse.ts";
import { LAYOUTS_DIR, rawLayout, tempDir, writeTemp, type RawLayout } from "./helpers.ts";

const api3Text = readFileSync(join(LAYOUTS_DIR, "api3.json"), "utf8");

describe("loadLayout", () => {
  it("reports an unreadable file as one diagnostic naming it", () => {
    const file = join(tempDir(), "does-not-exist.json");
    const r = loadLayout(file);
    expect(r).toEqual({ ok: false, errors: [{ code: "LAYOUT_READ_FAILED", message: expect.stringContaining("ENOENT"), location: { file } }] });
  });

  it("reports a JSON syntax error once, with its line, column and offset", () => {
    const text = api3Text.replace('"calls": [', '"calls": [,');
    const file = writeTemp(text);
    const r = loadLayout(file);
    const offset = text.indexOf('"calls": [,') + '"calls": ['.length;
    const line = text.slice(0, offset).split("\n").length;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe("LAYOUT_JSON_SYNTAX");
    expect(r.errors[0]!.location).toEqual({ file, offset });
    expect(r.errors[0]!.message).toContain(`line ${line}, column 13`);
    expect(r.errors[0]!.message).not.toContain("\n");
  });

  it("reports truncated and empty files", () => {
    // Cut at a line end, so the document stops between tokens.
    for (const text of [api3Text.slice(0, api3Text.indexOf("\n", 700)), "", "   "]) {
      const r = loadLayout(writeTemp(text));
      expect(r.ok ? [] : r.errors.map((e) => [e.code, e.location.offset])).toEqual([["LAYOUT_JSON_SYNTAX", text.length]]);
    }
  });

  it("reports a document that is not an object at the top level", () => {
    for (const text of ["[1]", "null", "42", '"api3"']) {
      const r = parseLayout(text, "x.json");
      expect(r.ok ? [] : r.errors.map((e) => [e.code, e.location])).toEqual([["LAYOUT_SCHEMA", { file: "x.json", path: "(top level)" }]]);
    }
  });

  it("accepts a byte-order mark", () => {
    const r = loadLayout(writeTemp("\uFEFF" + api3Text));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it("reads hex strings and JSON numbers alike", () => {
    const hexCount = (api3Text.match(/"-?0x[0-9A-Fa-f]+"/g) ?? []).length;
    expect(hexCount).toBeGreaterThan(30);
    const decimal = api3Text.replace(/"(-?0x[0-9A-Fa-f]+)"/g, (_m, h: string) => String(parseInt(h, 16)));
    const a = parseLayout(api3Text, "hex.json");
    const b = parseLayout(decimal, "dec.json");
    expect(a.ok && b.ok).toBe(true);
    expect(a.ok && a.value).toEqual(b.ok && b.value);
    expect(a.ok && a.value.virtualTop).toBe(0xfc000000);
  });

  it("rejects hex-looking strings that are not hex integers", () => {
    for (const bad of ["0x", "0xZZ", "12", "0x1.5", " 0x10"]) {
      const raw = rawLayout("api3");
      raw.slots.base = bad;
      const r = parseLayout(JSON.stringify(raw), "x.json");
      expect(r.ok ? [] : r.errors.map((e) => [e.code, e.location.path]), bad).toEqual([["LAYOUT_SCHEMA", "slots.base"]]);
    }
  });

  it("collects every shape error of a file, not only the first", () => {
    const raw = rawLayout("api13");
    raw.calls[0].relocs = ["JMP"];
    raw.calls[1].bogus = true;
    delete raw.pnp.product;
    const r = parseLayout(JSON.stringify(raw), "x.json");
    expect(r.ok ? [] : r.errors.map((e) => [e.code, e.location.path]).sort()).toEqual([
      ["LAYOUT_MISSING_KEY", "pnp.product"],
      ["LAYOUT_UNKNOWN_KEY", "calls[1].bogus"],
      ["LAYOUT_UNKNOWN_RELOC_TYPE", "calls[0].relocs[0]"],
    ]);
  });

  it("never throws, whatever one value in the file is replaced with", () => {
    const base = rawLayout("api3");
    const paths = leafPaths(base);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const raw = structuredClone(base);
        setAt(raw, path, value);
        const r = parseLayout(JSON.stringify(raw), "fuzz.json");
        if (r.ok) return;
        expect(r.errors.length).toBeGreaterThan(0);
        for (const e of r.errors) {
          expect(e.code).toMatch(/^LAYOUT_[A-Z_]+$/);
          expect(e.location.file).toBe("fuzz.json");
          expect(typeof e.location.path).toBe("string");
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("syntaxErrorOffset", () => {
  it("agrees with JSON.parse on valid documents and on damaged ones", () => {
    const damaged = fc.tuple(fc.json(), fc.nat(), fc.constantFrom("", ",", "}", "]", '"', ":", "x", "0", "-", " ")).map(([text, at, insert]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + (at % 2));
    });
    fc.assert(
      fc.property(fc.oneof(fc.json(), damaged), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const offset = syntaxErrorOffset(text);
        expect(offset === undefined).toBe(valid);
        if (offset !== undefined) {
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("finding layouts", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.VMIROM_LAYOUTS;
    delete process.env.VMIROM_LAYOUTS;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.VMIROM_LAYOUTS;
    else process.env.VMIROM_LAYOUTS = saved;
  });

  it("finds the repository's layouts/ from the source tree and from a nested directory", () => {
    expect(findLayoutsDir()).toEqual({ ok: true, value: LAYOUTS_DIR });
    expect(findLayoutsDir(join(LAYOUTS_DIR, "..", "src", "cli"))).toEqual({ ok: true, value: LAYOUTS_DIR });
    expect(listLayoutNames(LAYOUTS_DIR)).toEqual(expect.arrayContaining(["api13", "api3"]));
  });

  it("reports where it looked when there is no layouts/ directory", () => {
    const empty = join(tempDir(), "nowhere", "deeper");
    mkdirSync(empty, { recursive: true });
    const r = findLayoutsDir(empty);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.code)).toEqual(["LAYOUT_DIR_NOT_FOUND"]);
    expect(r.errors[0]!.message).toContain(join(empty, "layouts"));
  });

  it("honours VMIROM_LAYOUTS, and says so when it is wrong", () => {
    const dir = join(tempDir(), "alt-layouts");
    mkdirSync(dir, { recursive: true });
    writeTempIn(dir, "api3.json", rawLayout("api3"));
    process.env.VMIROM_LAYOUTS = dir;
    expect(findLayoutsDir()).toEqual({ ok: true, value: dir });
    process.env.VMIROM_LAYOUTS = join(tempDir(), "missing");
    const r = findLayoutsDir();
    expect(r.ok ? [] : r.errors.map((e) => e.code)).toEqual(["LAYOUT_DIR_NOT_FOUND"]);
  });

  it("refuses unknown names and names that would leave layouts/", () => {
    for (const name of ["api4", "../layouts/api3", "/etc/passwd", ".hidden", ""]) {
      const r = loadLayoutByName(name);
      expect(r.ok ? [] : r.errors.map((e) => e.code), name).toEqual(["LAYOUT_UNKNOWN_NAME"]);
      if (!r.ok) expect(r.errors[0]!.message).toContain("available: ");
    }
  });

  it("refuses a file whose layout name differs from its file name", () => {
    const dir = join(tempDir(), "renamed");
    mkdirSync(dir, { recursive: true });
    writeTempIn(dir, "other.json", rawLayout("api3"));
    const r = loadLayoutByName("other", dir);
    expect(r.ok ? [] : r.errors.map((e) => [e.code, e.location.path])).toEqual([["LAYOUT_NAME_MISMATCH", "name"]]);
  });
});

function writeTempIn(dir: string, name: string, json: unknown): void {
  writeFileSync(join(dir, name), JSON.stringify(json, null, 2));
}

type Path = Array<string | number>;
function leafPaths(v: RawLayout, at: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...at, i])).concat([at]);
  if (v !== null && typeof v === "object")
    return Object.keys(v)
      .flatMap((k) => leafPaths(v[k], [...at, k]))
      .concat(at.length ? [at] : []);
  return [at];
}
function setAt(root: RawLayout, path: Path, value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = value;
}
