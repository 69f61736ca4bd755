// The build manifest (<rom>.json): the builder's account of what it laid out, which the checker's
// --manifest rule holds the image to. Rendered as JSON with sorted keys so that equal builds give
// equal files.

import { createHash } from "node:crypto";
import type { Manifest, ManifestCall } from "../manifest/types.ts";
import { readField } from "./finish.ts";
import { isCallEntry, isJumpPointEntry, type LaidOutImage } from "./laid-out.ts";

export function sha256Hex(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

export function buildManifest(image: LaidOutImage): Manifest {
  const { layout, bytes } = image;
  const header: Record<string, number | string> = {};
  for (const f of layout.header) header[f.name] = readField(bytes, f.offset, f.size, f.source.kind === "ascii");
  const calls: ManifestCall[] = image.entries.filter(isCallEntry).map((e) => {
    const slot = bytes.subarray(e.offset, e.offset + e.size);
    const body = e.body ? bytes.subarray(e.body.offset, e.body.offset + e.body.size) : new Uint8Array(0);
    const cold = (e.cold ?? []).map((c) => bytes.subarray(c.offset, c.offset + c.size));
    return {
      number: e.call.number,
      name: e.name,
      slot: { offset: e.offset, size: e.size, used: e.used },
      placement: e.placement,
      ...(e.body ? { body: e.body } : {}),
      ...(e.cold ? { cold: e.cold } : {}),
      ...(e.source.kind === "absent" && e.source.reason ? { absentReason: e.source.reason } : {}),
      reloc: e.reloc,
      sha256: sha256Hex(slot, body, ...cold),
    };
  });
  const region = (r: { offset: number; size: number }): { offset: number; size: number } => ({ offset: r.offset, size: r.size });
  return {
    tool: "vmirom",
    backend: image.backend,
    ...(image.hypervisor ? { hypervisor: image.hypervisor } : {}),
    layout: layout.name,
    api: { major: layout.version.major, minor: layout.version.minor },
    size: bytes.length,
    sha256: sha256Hex(bytes),
    header,
    pci: image.pci,
    pnp: image.pnp,
    license: image.license,
    relocTable: image.relocTable,
    strings: [region(image.license), region(image.manufacturer), region(image.product)],
    init16: hashed(bytes, image.init16),
    jumpPoints: jumpPoints(image),
    calls,
    shared: image.shared.map((s) => hashed(bytes, s)),
  };
}

/** A region with the sha256 of its bytes, so the checker can tell which part of an image changed. */
function hashed<R extends { offset: number; size: number }>(bytes: Uint8Array, r: R): R & { sha256: string } {
  return { ...r, sha256: sha256Hex(bytes.subarray(r.offset, r.offset + r.size)) };
}

/**
 * Jump points, with the bytes their code uses and the hash of their bytes (then their out-of-line body's)
 * like the calls have, so that the checker also holds inline jump point code to what was built.
 */
function jumpPoints(image: LaidOutImage): Manifest["jumpPoints"] {
  const { bytes } = image;
  return image.entries.filter(isJumpPointEntry).map((e) => {
    const body = e.body ? bytes.subarray(e.body.offset, e.body.offset + e.body.size) : new Uint8Array(0);
    const entry = {
      role: e.jumpPoint.role,
      offset: e.offset,
      size: e.size,
      used: e.used,
      target: e.codeOffset ?? e.offset,
      ...(e.body ? { body: e.body } : {}),
      sha256: sha256Hex(bytes.subarray(e.offset, e.offset + e.size), body),
    };
    return entry;
  });
}

/** JSON with object keys sorted at every level (arrays keep their order), two-space indent, final newline. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
