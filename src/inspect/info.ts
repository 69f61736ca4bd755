// `vmirom info`: an image's header fields, PCIR, $PnP, license, relocation table and slot summary, decoded
// from the bytes alone with the layout as the key. Every read is bounds-checked: any file gives a report.

import { countSlots } from "../check/index.ts";
import { RELOC_TYPES, relocTypeOf, type HeaderField, type Layout } from "../layout/types.ts";
import { byteSum } from "../check/image-bytes.ts";
import { PCIR_SIZE, PNP_SIZE, RELOC_HEADER_SIZE } from "../check/image-regions.ts";
import { ROM_BLOCK } from "../check/rom-format.ts";
import { cString, hexBytes, hexN, latin1, u8, uint } from "./bytes.ts";

export function describeImage(bytes: Uint8Array, layout: Layout, name = "image"): string {
  const lines: string[] = [];
  const size = bytes.length;
  const sum = byteSum(bytes);
  const blocks = size % ROM_BLOCK === 0 ? `${size / ROM_BLOCK} blocks of ${ROM_BLOCK}` : `not a multiple of ${ROM_BLOCK}`;
  lines.push(`${name}: ${size} bytes (${blocks}), checksum ${sum === 0 ? "ok" : `BAD (sum ${hexN(sum, 2)})`}, signature ${hexBytes(bytes, 0, 2) || "none"}`);
  lines.push(`layout ${layout.name} (API ${layout.version.major}.${layout.version.minor}): ${layout.description}`);
  lines.push("", "header:");
  for (const f of layout.header) lines.push(`  ${hexN(f.offset, 4)}  ${f.name.padEnd(30)}${String(f.size).padStart(2)}  ${fieldText(bytes, f)}`);
  for (const jp of layout.jumpPoints)
    lines.push(`  ${hexN(jp.offset, 4)}  ${`jump point ${jp.role}`.padEnd(30)}${String(jp.size).padStart(2)}  ${hexBytes(bytes, jp.offset, jp.size)}`);
  lines.push("", pcirText(bytes, layout), pnpText(bytes, layout));
  lines.push(licenseText(bytes, layout), relocText(bytes, layout));
  const c = countSlots(bytes, layout);
  const calls = layout.calls.length;
  lines.push(
    `slots: base ${hexN(layout.slots.base, 4)}, ${calls} calls: ${c.inline} inline, ${c.outOfLine} out of line, ${c.absent} absent` +
      (c.broken ? `, ${c.broken} malformed` : ""),
  );
  return lines.join("\n") + "\n";
}

function fieldText(bytes: Uint8Array, f: HeaderField): string {
  const src = f.source;
  if (src.kind === "ascii") return JSON.stringify(latin1(bytes, f.offset, f.size) ?? "");
  const v = uint(bytes, f.offset, f.size);
  const raw = hexN(v, f.size * 2);
  if (v === undefined || src.kind !== "computed") return raw;
  switch (src.what) {
    case "romLength":
      return `${raw} (${v} × 512 = ${v * ROM_BLOCK} bytes${v * ROM_BLOCK === bytes.length ? "" : `, but the file has ${bytes.length}`})`;
    case "romEntry":
      return `${hexBytes(bytes, f.offset, f.size)} (16-bit: ${entryText(bytes, f.offset)})`;
    case "licenseOffset":
      return `${raw} → ${JSON.stringify(cString(bytes, v) ?? "(no string)")}`;
    case "relocTableOffset":
      return `${raw} → ${JSON.stringify(latin1(bytes, v, 4) ?? "(outside the image)")}`;
    case "jumpSlots":
      return `${raw} (${v} slots)`;
    default:
      return raw;
  }
}

function entryText(bytes: Uint8Array, at: number): string {
  const op = u8(bytes, at);
  if (op === 0xeb) return `jmp ${hexN((at + 2 + (((u8(bytes, at + 1) ?? 0) << 24) >> 24)) & 0xffff, 4)}`;
  if (op === 0xe9) return `jmp ${hexN((at + 3 + (uint(bytes, at + 1, 2) ?? 0)) & 0xffff, 4)}`;
  if (op === 0xcb) return "retf";
  return "not a jmp or retf";
}

function pcirText(bytes: Uint8Array, layout: Layout): string {
  const at = layout.pci.offset;
  if (at + PCIR_SIZE > bytes.length) return `PCIR at ${hexN(at, 4)}: outside the image`;
  const r16 = (o: number): number => uint(bytes, at + o, 2)!;
  const code = r16(0x12);
  return (
    `PCIR at ${hexN(at, 4)}: ${JSON.stringify(latin1(bytes, at, 4))}, vendor ${hexN(r16(4), 4)}, device ${hexN(r16(6), 4)}, ` +
    `VPD ${hexN(r16(8), 4)}, length ${hexN(r16(0x0a), 2)}, revision ${u8(bytes, at + 0x0c)}, class ${hexBytes(bytes, at + 0x0d, 3)}, ` +
    `image length ${r16(0x10)} blocks, code revision ${hexN(code, 4)} (ROM version ${code >> 8}.${code & 0xff}), ` +
    `code type ${u8(bytes, at + 0x14)}, indicator ${hexN(u8(bytes, at + 0x15), 2)}`
  );
}

function pnpText(bytes: Uint8Array, layout: Layout): string {
  const at = layout.pnp.offset;
  if (at + PNP_SIZE > bytes.length) return `$PnP at ${hexN(at, 4)}: outside the image`;
  const r16 = (o: number): number => uint(bytes, at + o, 2)!;
  const str = (o: number): string => `${JSON.stringify(cString(bytes, r16(o)) ?? "(no string)")} at ${hexN(r16(o), 4)}`;
  return (
    `$PnP at ${hexN(at, 4)}: ${JSON.stringify(latin1(bytes, at, 4))}, revision ${u8(bytes, at + 4)}, length ${u8(bytes, at + 5)} × 16, ` +
    `next ${hexN(r16(6), 4)}, checksum ${byteSum(bytes, at, at + PNP_SIZE) === 0 ? "ok" : "BAD"}, device id ${hexN(uint(bytes, at + 0x0a, 4), 8)}, ` +
    `type ${hexBytes(bytes, at + 0x12, 3)}, indicators ${hexN(u8(bytes, at + 0x15), 2)}, manufacturer ${str(0x0e)}, product ${str(0x10)}`
  );
}

/** Through the header's license pointer when the layout has one; otherwise wherever the string is stored. */
function licenseText(bytes: Uint8Array, layout: Layout): string {
  const field = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "licenseOffset");
  if (field) {
    const at = uint(bytes, field.offset, field.size);
    return `license: ${JSON.stringify(at === undefined ? "(outside the image)" : (cString(bytes, at) ?? "(no string)"))} at ${hexN(at, 4)}`;
  }
  const wanted = [...layout.license, "\0"].map((c) => c.charCodeAt(0));
  for (let at = 0; at + wanted.length <= bytes.length; at++) {
    if (wanted.every((c, i) => bytes[at + i] === c) && (at === 0 || bytes[at - 1] === 0)) {
      return `license: ${JSON.stringify(layout.license)} at ${hexN(at, 4)} (no header field points to it in ${layout.name})`;
    }
  }
  return `license: not found (${layout.name} has no license pointer; expected ${JSON.stringify(layout.license)})`;
}

function relocText(bytes: Uint8Array, layout: Layout): string {
  const field = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "relocTableOffset");
  const at = field ? uint(bytes, field.offset, field.size) : undefined;
  if (at === undefined || at === 0) return "relocation table: none";
  const count = uint(bytes, at + 4, 2);
  const entrySize = uint(bytes, at + 6, 2);
  if (count === undefined || entrySize === undefined || entrySize === 0 || at + RELOC_HEADER_SIZE + count * entrySize > bytes.length) {
    return `relocation table at ${hexN(at, 4)}: does not fit in the image`;
  }
  const byType = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    const type = relocTypeOf(bytes[at + RELOC_HEADER_SIZE + n * entrySize + 2]!) ?? "unknown";
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  const order = [...RELOC_TYPES, "unknown"];
  const types = order
    .filter((t) => byType.has(t))
    .map((t) => `${byType.get(t)} ${t}`)
    .join(", ");
  return `relocation table at ${hexN(at, 4)}: magic ${JSON.stringify(latin1(bytes, at, 4))}, ${count} entries of ${entrySize} bytes (${types})`;
}
