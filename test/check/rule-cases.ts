// A mutable copy of a fixture image with named places in it, for targeted corruptions.

import { createHash } from "node:crypto";
import type { Layout } from "../../src/layout/types.ts";
import type { Manifest, ManifestCall, Region } from "../../src/manifest/types.ts";
import { buildFixture, type FixtureOptions } from "./fixture.ts";
import { layoutNamed } from "./layouts.ts";

export class Target {
  bytes: Uint8Array;
  constructor(
    readonly layout: Layout,
    readonly manifest: Manifest,
    bytes: Uint8Array,
  ) {
    this.bytes = new Uint8Array(bytes);
  }
  call(name: string): ManifestCall {
    const c = this.manifest.calls.find((x) => x.name === name);
    if (!c) throw new Error(`no call ${name}`);
    return c;
  }
  slot(name: string): number {
    return this.call(name).slot.offset;
  }
  body(name: string): Region {
    const b = this.call(name).body ?? this.manifest.jumpPoints.map((j) => ({ offset: j.target, size: 0, role: j.role })).find((j) => j.role === name);
    if (!b) throw new Error(`no body ${name}`);
    return b;
  }
  shared(name: string): Region {
    const s = this.manifest.shared.find((x) => x.name === name);
    if (!s) throw new Error(`no shared routine ${name}`);
    return s;
  }
  get reloc(): number {
    return this.manifest.relocTable.offset;
  }
  relocEntry(n: number): number {
    return this.reloc + 8 + 4 * n;
  }
  set(at: number, ...values: number[]): void {
    values.forEach((v, i) => (this.bytes[at + i] = v & 0xff));
  }
  u16(at: number, v: number): void {
    this.set(at, v, v >> 8);
  }
  rel32(at: number, target: number): void {
    const d = target - (at + 4);
    this.set(at, d, d >> 8, d >> 16, d >>> 24);
  }
  /** First offset after the fixture's last string: free padding up to the checksum byte. */
  get free(): number {
    const last = this.manifest.strings.reduce((m, s) => Math.max(m, s.offset + s.size), 0);
    return last;
  }
  /** Adds zero blocks at the end, keeping length byte, PCIR length and manifest size right. */
  grow(blocks: number): void {
    const bigger = new Uint8Array(this.bytes.length + blocks * 512);
    bigger.set(this.bytes);
    this.bytes = bigger;
    this.bytes[2] = bigger.length / 512;
    this.u16(this.layout.pci.offset + 0x10, bigger.length / 512);
    this.manifest.size = bigger.length;
    this.manifest.header["rom_length"] = bigger.length / 512;
  }
  /** Recomputes a call's sha256 in the manifest from the current image and manifest regions. */
  rehash(name: string): void {
    const c = this.call(name);
    const h = createHash("sha256");
    h.update(this.bytes.subarray(c.slot.offset, c.slot.offset + c.slot.size));
    if (c.body) h.update(this.bytes.subarray(c.body.offset, c.body.offset + c.body.size));
    c.sha256 = h.digest("hex");
  }
}

export function target(name: "api3" | "api13", options: FixtureOptions = {}, adjust?: (l: Layout) => void): Target {
  const layout = structuredClone(layoutNamed(name));
  adjust?.(layout);
  const f = buildFixture(layout, options);
  return new Target(layout, structuredClone(f.manifest), f.bytes);
}
