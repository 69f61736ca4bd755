// Whatever the bytes, checkImage returns well-formed violations: no exception (which it would turn
// into "check.internal"), no hang. Random data, truncated and oversized images, and header or stub
// pointers aimed anywhere, 2,000 runs in all; then 100 random damages of every ROM in build/roms. No
// single check may take 1 s.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkImage, type Violation } from "../../src/check/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { buildFixture, fixChecksum } from "./fixture.ts";
import { layoutNamed } from "./layouts.ts";
import { builtRomFiles, loadBuiltRom } from "./mutation.ts";

const layouts = { api3: layoutNamed("api3"), api13: layoutNamed("api13") };
const fixtures = { api3: buildFixture(layouts.api3), api13: buildFixture(layouts.api13) };
const apiArb = fc.constantFrom<"api3" | "api13">("api3", "api13");
/** No single check may take longer than this (a hang shows up as a timeout long before). */
const MAX_MS_PER_CHECK = 1_000;

const RULE_ID = /^[a-z0-9-]+\.[a-zA-Z0-9-]+$/;

/** What is wrong with a violation's shape ("" when nothing): checked in plain code, expect() per field is too slow here. */
function malformed(x: Violation): string {
  if (typeof x.rule !== "string" || !RULE_ID.test(x.rule)) return `bad rule id ${String(x.rule)}`;
  if (x.rule === "check.internal") return `checker exception: ${x.found}`;
  if (!Number.isFinite(x.offset)) return `${x.rule}: offset ${x.offset}`;
  for (const s of [x.region, x.expected, x.found, x.message]) if (typeof s !== "string") return `${x.rule}: non-string field`;
  return "";
}

function checkSafely(bytes: Uint8Array, layout: Layout, manifest?: Manifest): Violation[] {
  const start = performance.now();
  const v = checkImage(bytes, layout, manifest ? { manifest } : {});
  const elapsed = performance.now() - start;
  const problems = Array.isArray(v) ? v.map(malformed).filter(Boolean) : ["not an array"];
  if (elapsed > MAX_MS_PER_CHECK) problems.push(`took ${elapsed.toFixed(0)} ms`);
  if (problems.length) expect(problems).toEqual([]);
  return v;
}

describe("checkImage never throws and never hangs", () => {
  it("random byte strings (300 runs)", () => {
    fc.assert(
      fc.property(apiArb, fc.uint8Array({ maxLength: 4096 }), (api, bytes) => {
        checkSafely(bytes, layouts[api]);
      }),
      { numRuns: 300 },
    );
  });

  it("random ROM-shaped images: signature, length byte and checksum right, the rest random (300 runs)", () => {
    fc.assert(
      fc.property(apiArb, fc.integer({ min: 1, max: 8 }), fc.uint8Array({ minLength: 4096, maxLength: 4096 }), (api, blocks, noise) => {
        const bytes = noise.slice(0, blocks * 512);
        bytes.set([0x55, 0xaa, blocks], 0);
        fixChecksum(bytes);
        expect(checkSafely(bytes, layouts[api]).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("truncated fixtures (300 runs)", () => {
    fc.assert(
      fc.property(apiArb, fc.double({ min: 0, max: 1, noNaN: true }), (api, frac) => {
        const f = fixtures[api];
        const cut = Math.floor(frac * (f.bytes.length - 1));
        expect(checkSafely(f.bytes.slice(0, cut), f.layout, f.manifest).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("oversized images, up to past the interface's limit (100 runs)", () => {
    fc.assert(
      fc.property(apiArb, fc.integer({ min: 1, max: 140 }), fc.uint8Array({ maxLength: 64 }), (api, blocks, tail) => {
        const f = fixtures[api];
        const bytes = new Uint8Array(f.bytes.length + blocks * 512);
        bytes.set(f.bytes);
        bytes.set(tail, bytes.length - tail.length);
        const rules = checkSafely(bytes, f.layout).map((v) => v.rule);
        if (bytes.length > f.layout.maxImageSize) expect(rules).toContain("image.too-large");
      }),
      { numRuns: 100 },
    );
  });

  it("header, $PnP and stub pointers aimed anywhere (500 runs)", () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        apiArb,
        fc.record({ at: fc.constantFrom(0x14, 0x16, 0x18, 0x1a, 0x4e, 0x50), value: u16 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: -0x20000, max: 0x20000 }),
        (api, pointer, entry, rel) => {
          const f = fixtures[api];
          const bytes = new Uint8Array(f.bytes);
          bytes[pointer.at] = pointer.value & 0xff;
          bytes[pointer.at + 1] = pointer.value >> 8;
          bytes.set(entry, 3); // the 16-bit entry: any code, any jump
          const ool = f.manifest.calls.find((c) => c.placement === "outOfLine")!;
          new DataView(bytes.buffer).setInt32(ool.slot.offset + 1, rel, true); // its jmp rel32
          fixChecksum(bytes);
          checkSafely(bytes, f.layout, f.manifest);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("fixtures with random bytes overwritten, checked twice with the same result (500 runs)", () => {
    fc.assert(
      fc.property(
        apiArb,
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 64 }),
        fc.boolean(),
        (api, writes, fixSum) => {
          const f = fixtures[api];
          const bytes = new Uint8Array(f.bytes);
          for (const w of writes) bytes[w.at % bytes.length] = w.value;
          if (fixSum) fixChecksum(bytes);
          const first = checkSafely(bytes, f.layout, f.manifest);
          expect(checkImage(bytes, f.layout, { manifest: f.manifest })).toEqual(first);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("the built ROMs in build/roms, damaged at random", () => {
  it.each(builtRomFiles())("%s: random overwrites, checksum fixed or not (100 runs)", (file) => {
    const { bytes: bytes0, manifest, layout } = loadBuiltRom(file);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 32 }),
        fc.boolean(),
        fc.boolean(),
        (writes, fixSum, withManifest) => {
          const bytes = new Uint8Array(bytes0);
          for (const w of writes) bytes[w.at % bytes.length] = w.value;
          if (fixSum) fixChecksum(bytes);
          checkSafely(bytes, layout, withManifest ? manifest : undefined);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the last-resort net", () => {
  it("turns an exception inside a rule into one check.internal violation instead of throwing", () => {
    // A layout that breaks the checker's assumptions (no header list) makes a rule module throw.
    const broken = { ...layouts.api3, header: undefined } as unknown as Layout;
    const v = checkImage(fixtures.api3.bytes, broken);
    expect(v.filter((x) => x.rule === "check.internal")).toHaveLength(1);
  });
});
