// `vmirom diff`: two images compared part by part from their bytes (each with its own layout): header
// fields, the structures and tables, then call by call — slot form and bytes used, out-of-line body size and
// placement, GetRelocationInfo's answer, the bytes — with a listing diff (decoded from the bytes) for a call
// whose code changed. Branch targets are written relative to the call's slot or body, so a body that only
// moved does not show as changed code. Two images are equal when their bytes are.

import type { Region } from "../manifest/types.ts";
import type { DecodedLine } from "./disassemble.ts";
import type { ImageModel, ModelCall, ModelRegion } from "./model.ts";

export interface DiffSide {
  model: ImageModel;
  bytes: Uint8Array;
}

export interface ImageDiff {
  equal: boolean;
  /** Calls (by name) that differ in any way. */
  changedCalls: string[];
  text: string;
}

const MAX_LISTING_LINES = 40;
const LISTING_CONTEXT = 3;
const MAX_BYTE_RANGES = 24;

export function diffImages(a: DiffSide, b: DiffSide): ImageDiff {
  const A = a.model,
    B = b.model;
  const out: string[] = [];
  out.push(`--- ${describe(A)}`, `+++ ${describe(B)}`);
  const equal = a.bytes.length === b.bytes.length && a.bytes.every((x, i) => x === b.bytes[i]);
  if (equal) {
    out.push("", "the images are identical");
    return { equal, changedCalls: [], text: out.join("\n") + "\n" };
  }

  // Branches to shared routines are compared by the routine's name (the manifest's, or sub_<offset>).
  const routinesA = A.regions.filter((r) => r.kind === "routine"),
    routinesB = B.regions.filter((r) => r.kind === "routine");

  // Image-level facts.
  const top: string[] = [];
  if (A.layout.name !== B.layout.name) top.push(`layout: ${A.layout.name} → ${B.layout.name}`);
  if (A.size !== B.size) top.push(`size: ${A.size} → ${B.size} bytes`);
  if (A.checksumOk !== B.checksumOk) top.push(`checksum: ${A.checksumOk ? "ok" : "BAD"} → ${B.checksumOk ? "ok" : "BAD"}`);
  if (top.length) out.push("", "image:", ...top.map((l) => `  ${l}`));

  // Header fields, by name.
  const fields: string[] = [];
  const names = union(
    A.header.map((f) => f.name),
    B.header.map((f) => f.name),
  );
  for (const n of names) {
    const fa = A.header.find((f) => f.name === n),
      fb = B.header.find((f) => f.name === n);
    const only = fa ?? fb;
    if (!fa || !fb) {
      if (only) fields.push(`${n}: ${fieldText(only.value, only.size)} (only in ${fa ? "a" : "b"})`);
    } else if (fa.value !== fb.value || fa.offset !== fb.offset) {
      fields.push(
        `${n}: ${fieldText(fa.value, fa.size)} → ${fieldText(fb.value, fb.size)}${fa.offset !== fb.offset ? ` (offset ${hex(fa.offset)} → ${hex(fb.offset)})` : ""}`,
      );
    }
  }
  if (fields.length) out.push("", "header fields:", ...fields.map((l) => `  ${l}`));

  // Structures, tables, routines: by kind and name, placement and size, then content.
  const parts: string[] = [];
  for (const kind of ["pcir", "pnp", "init16", "relocTable", "string", "routine", "cold"] as const) {
    const ra = A.regions.filter((r) => r.kind === kind),
      rb = B.regions.filter((r) => r.kind === kind);
    const keys = union(
      ra.map((r) => r.name),
      rb.map((r) => r.name),
    );
    for (const k of keys) {
      const x = ra.find((r) => r.name === k),
        y = rb.find((r) => r.name === k);
      const label = kindLabel(kind, k);
      const only = x ?? y;
      if (!x || !y) {
        if (only) parts.push(`${label}: ${place(only)} (only in ${x ? "a" : "b"})`);
        continue;
      }
      const moved = x.offset !== y.offset || x.size !== y.size;
      const same = x.size === y.size && sameBytes(a.bytes, x.offset, b.bytes, y.offset, x.size);
      if (moved || !same) parts.push(`${label}: ${moved ? `${place(x)} → ${place(y)}` : place(x)}${same ? "" : ", bytes differ"}`);
    }
  }
  const freeA = total(A.regions.filter((r) => r.kind === "free")),
    freeB = total(B.regions.filter((r) => r.kind === "free"));
  if (freeA !== freeB) parts.push(`free space: ${freeA} → ${freeB} bytes`);
  for (const role of union(
    A.jumpPoints.map((j) => j.role),
    B.jumpPoints.map((j) => j.role),
  )) {
    const x = A.jumpPoints.find((j) => j.role === role),
      y = B.jumpPoints.find((j) => j.role === role);
    if (!x || !y) {
      parts.push(`jump point ${role}: only in ${x ? "a" : "b"}`);
      continue;
    }
    const d = areaChanges({ form: x.form, used: x.used, size: x.size, body: x.body }, { form: y.form, used: y.used, size: y.size, body: y.body });
    const codeChanged = normalized(x.lines, x, x.body, [], routinesA).join("\n") !== normalized(y.lines, y, y.body, [], routinesB).join("\n");
    if (d.length || codeChanged) parts.push(`jump point ${role}: ${[...d, ...(codeChanged ? ["code differs"] : [])].join("; ")}`);
  }
  if (parts.length) out.push("", "structures:", ...parts.map((l) => `  ${l}`));

  // Calls, by name.
  const callNames = union(
    A.calls.map((c) => c.name),
    B.calls.map((c) => c.name),
  );
  const changed: string[] = [];
  const callLines: string[] = [];
  let sameCount = 0;
  for (const name of callNames) {
    const x = A.calls.find((c) => c.name === name),
      y = B.calls.find((c) => c.name === name);
    const only = x ?? y;
    if (!x || !y) {
      changed.push(name);
      if (only) callLines.push(`  ${name}: only in ${x ? "a" : "b"} (${only.placement})`);
      continue;
    }
    const d: string[] = [];
    if (x.number !== y.number || x.slot.offset !== y.slot.offset) d.push(`slot ${x.number} at ${hex(x.slot.offset)} → ${y.number} at ${hex(y.slot.offset)}`);
    if (x.placement !== y.placement) d.push(`form ${x.placement} → ${y.placement}`);
    if (x.used !== y.used) d.push(`slot bytes used ${x.used}/${x.slot.size} → ${y.used}/${y.slot.size}`);
    if (x.body || y.body) {
      if (!x.body || !y.body) d.push(`body ${x.body ? place(x.body) : "none"} → ${y.body ? place(y.body) : "none"}`);
      else {
        if (x.body.size !== y.body.size) d.push(`body size ${x.body.size} → ${y.body.size} bytes`);
        if (x.body.offset !== y.body.offset) d.push(`body at ${hex(x.body.offset)} → ${hex(y.body.offset)}`);
      }
    }
    const ca = x.cold ?? [],
      cb = y.cold ?? [];
    if (ca.length !== cb.length) d.push(`cold parts ${ca.map(place).join(" ") || "none"} → ${cb.map(place).join(" ") || "none"}`);
    else {
      const sizes = ca.some((r, k) => r.size !== cb[k]?.size),
        moved = ca.some((r, k) => r.offset !== cb[k]?.offset);
      if (sizes) d.push(`cold part size ${ca.map((r) => r.size).join("+")} → ${cb.map((r) => r.size).join("+")} bytes`);
      if (moved) d.push(`cold part at ${ca.map((r) => hex(r.offset)).join(" ")} → ${cb.map((r) => hex(r.offset)).join(" ")}`);
    }
    const ra = x.reloc,
      rb = y.reloc;
    if (ra?.type !== rb?.type || ra?.target !== rb?.target) {
      // NONE and NOP answers carry a target nobody reads: "NONE → NONE" would say nothing.
      const unused = ra && rb && ra.type === rb.type && ra.type !== "CALL_REL" && ra.type !== "JUMP_REL";
      d.push(
        unused ? `relocation ${ra.type}: its unused target field ${hex(ra.target)} → ${hex(rb.target)}` : `relocation ${relocText(ra)} → ${relocText(rb)}`,
      );
    }
    const bytesSame = callBytesEqual(a.bytes, x, b.bytes, y);
    const la = normalized(x.lines, x.slot, x.body, x.cold, routinesA),
      lb = normalized(y.lines, y.slot, y.body, y.cold, routinesB);
    const codeChanged = la.join("\n") !== lb.join("\n");
    if (!bytesSame && !codeChanged && d.length === 0) d.push("bytes differ");
    if (codeChanged) d.push("code differs");
    if (d.length === 0) {
      sameCount++;
      continue;
    }
    changed.push(name);
    callLines.push(`  ${name}: ${d.join("; ")}`);
    if (codeChanged) callLines.push(...listingDiff(x.lines, la, y.lines, lb).map((l) => `      ${l}`));
  }
  out.push("", `calls: ${callNames.length} compared, ${changed.length} differ, ${sameCount} the same`);
  out.push(...callLines);

  // Whatever the parts above do not explain: the differing byte ranges and what holds them in a.
  const ranges = differingRanges(a.bytes, b.bytes);
  if (ranges.length) {
    out.push(
      "",
      `bytes: ${ranges.reduce((n, r) => n + r.size, 0)} differ in ${ranges.length} range${ranges.length === 1 ? "" : "s"}${a.bytes.length !== b.bytes.length ? ` (over the first ${Math.min(a.bytes.length, b.bytes.length)} bytes)` : ""}`,
    );
    for (const r of ranges.slice(0, MAX_BYTE_RANGES)) out.push(`  ${hex(r.offset)}–${hex(r.offset + r.size - 1)} (${r.size}): ${owner(A, r.offset)}`);
    if (ranges.length > MAX_BYTE_RANGES) out.push(`  … ${ranges.length - MAX_BYTE_RANGES} more`);
  }
  return { equal, changedCalls: changed, text: out.join("\n") + "\n" };
}

function describe(m: ImageModel): string {
  return `${m.name}: ${m.backend ? `backend ${m.backend}, ` : ""}layout ${m.layout.name}, ${m.size} bytes, sha256 ${m.sha256.slice(0, 16)}…`;
}

function kindLabel(kind: ModelRegion["kind"], name: string): string {
  switch (kind) {
    case "pcir":
      return "PCIR";
    case "pnp":
      return "$PnP";
    case "init16":
      return "16-bit init routine";
    case "relocTable":
      return "relocation table";
    case "string":
      return `string ${name}`;
    case "cold":
      return `cold part ${name}`;
    default:
      return `routine ${name}`;
  }
}

function areaChanges(x: { form: string; used: number; size: number; body?: Region }, y: { form: string; used: number; size: number; body?: Region }): string[] {
  const d: string[] = [];
  if (x.form !== y.form) d.push(`form ${x.form} → ${y.form}`);
  if (x.used !== y.used) d.push(`bytes used ${x.used}/${x.size} → ${y.used}/${y.size}`);
  if (x.body?.offset !== y.body?.offset || x.body?.size !== y.body?.size)
    d.push(`body ${x.body ? place(x.body) : "none"} → ${y.body ? place(y.body) : "none"}`);
  return d;
}

function callBytesEqual(a: Uint8Array, x: ModelCall, b: Uint8Array, y: ModelCall): boolean {
  if (!sameBytes(a, x.slot.offset, b, y.slot.offset, x.slot.size) || x.slot.size !== y.slot.size) return false;
  if (!x.body || !y.body) return !x.body && !y.body;
  return x.body.size === y.body.size && sameBytes(a, x.body.offset, b, y.body.offset, x.body.size);
}

function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  if (ao + n > a.length || bo + n > b.length) return false;
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

const BRANCH = /^((?:call|jmp|j[a-z]+|loop[a-z]*|jecxz)\s+)0x([0-9a-f]+)$/;

/** Instruction texts with branch targets relative to the call's slot, body or cold parts, so moved code compares equal. */
function normalized(lines: DecodedLine[], slot: Region, body?: Region, cold: readonly Region[] = [], routines: readonly ModelRegion[] = []): string[] {
  return lines.map((l) => {
    const m = BRANCH.exec(l.text);
    if (!m) return l.text.startsWith("(") ? `${l.text.slice(0, -1)}, ${l.length} bytes)` : l.text;
    const t = parseInt(m[2]!, 16);
    const rel = (r: Region | undefined, name: string) => (r && t >= r.offset && t < r.offset + r.size ? `<${name}+${hex(t - r.offset, 0)}>` : undefined);
    const routine = routines.find((r) => t >= r.offset && t < r.offset + r.size);
    return (
      m[1] +
      (rel(slot, "slot") ??
        rel(body, "body") ??
        cold.map((r, k) => rel(r, k ? `cold${k + 1}` : "cold")).find((x) => x) ??
        (routine ? `<${routine.name}${t === routine.offset ? "" : `+${hex(t - routine.offset, 0)}`}>` : `0x${m[2]}`))
    );
  });
}

/** A unified-style diff of two listings (longest common subsequence of the normalized texts), 3 lines of context. */
function listingDiff(la: DecodedLine[], ta: string[], lb: DecodedLine[], tb: string[]): string[] {
  const n = ta.length,
    m = tb.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = ta[i] === tb[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ sign: " " | "-" | "+"; line: DecodedLine; text: string }> = [];
  let i = 0,
    j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ta[i] === tb[j]) {
      ops.push({ sign: " ", line: lb[j]!, text: tb[j]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ sign: "-", line: la[i]!, text: ta[i]! });
      i++;
    } else {
      ops.push({ sign: "+", line: lb[j]!, text: tb[j]! });
      j++;
    }
  }
  const near = new Uint8Array(ops.length);
  ops.forEach((o, k) => {
    if (o.sign !== " ") near.fill(1, Math.max(0, k - LISTING_CONTEXT), Math.min(ops.length, k + LISTING_CONTEXT + 1));
  });
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (near[k]) out.push(`${o.sign} ${o.line.offset.toString(16).padStart(5)}:  ${o.text}`);
    else if (k > 0 && near[k - 1]) out.push("  ⋮");
  });
  if (out.length > MAX_LISTING_LINES) return [...out.slice(0, MAX_LISTING_LINES), `… ${out.length - MAX_LISTING_LINES} more lines`];
  return out;
}

function differingRanges(a: Uint8Array, b: Uint8Array): Region[] {
  const n = Math.min(a.length, b.length);
  const out: Region[] = [];
  for (let i = 0; i < n; ) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && a[j] !== b[j]) j++;
    out.push({ offset: i, size: j - i });
    i = j;
  }
  return out;
}

/** What holds `offset` in a model: a header field, a slot, a body, a region. */
function owner(m: ImageModel, offset: number): string {
  const inside = (r: Region) => offset >= r.offset && offset < r.offset + r.size;
  const f = m.header.find(inside);
  if (f) return `header field ${f.name}`;
  const jp = m.jumpPoints.find((j) => inside(j));
  if (jp) return `jump point ${jp.role}`;
  const c = m.calls.find((x) => inside(x.slot));
  if (c) return `slot of ${c.name}`;
  const body = m.calls.find((x) => x.body && inside(x.body));
  if (body) return `body of ${body.name}`;
  const cold = m.calls.find((x) => x.cold?.some(inside));
  if (cold) return `cold part of ${cold.name}`;
  const r = m.regions.find((x) => x.kind !== "header" && inside(x)) ?? m.regions.find(inside);
  return r ? (r.kind === "string" ? `string ${r.name}` : r.name) : "outside every known region";
}

function relocText(r: ModelCall["reloc"]): string {
  if (!r) return "none (no table entry)";
  return r.type === "CALL_REL" || r.type === "JUMP_REL" ? `${r.type} ${hex(r.target)}` : r.type;
}

function fieldText(v: number | string | undefined, size: number): string {
  if (v === undefined) return "(outside the image)";
  return typeof v === "string" ? JSON.stringify(v) : hex(v, size * 2);
}

function place(r: Region): string {
  return `${hex(r.offset)}+${r.size}`;
}

function total(rs: Region[]): number {
  return rs.reduce((n, r) => n + r.size, 0);
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function hex(n: number, digits = 4): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}
