// The instruction-count table: one row per call and path the guest counted, joined with the slot
// bytes the manifest records. Written next to the ROM as <rom>.cost.json and appended to its .map as a
// section of its own (replaced, not duplicated, when the guest runs again).

import type { Manifest } from "../../src/manifest/types.ts";
import type { CountRow } from "./parse-log.ts";

export interface CostRow {
  call: string;
  path: string;
  instructions: number;
  hypercalls: number;
  /** False: the call cleared TF itself (iret, sysexit), so counting stopped where control left it. */
  tfKept: boolean;
  slotUsed: number | null;
  /** Bytes of the slot (32), or of the header jump point (8) the guest calls for Init/GetRelocationInfo on api3. */
  slotSize: number | null;
  placement: string | null;
  bodySize: number | null;
}

export interface CostTable {
  rom: string;
  backend: string;
  layout: string;
  method: string;
  rows: CostRow[];
}

/** api3 reaches these through header jump points instead of slots. */
const JUMP_ROLES: Readonly<Record<string, string>> = { Init: "init", GetRelocationInfo: "getRelocationInfo" };

export const MAP_SECTION_START = "Instruction counts (test guest under qemu, single-step #DB):";
const MAP_SECTION_END = "(end of instruction counts)";

/** Rows in the guest's order; a call and path counted twice keep the first count. */
export function costTable(rom: string, manifest: Manifest, counts: readonly CountRow[]): CostTable {
  const seen = new Set<string>();
  const rows: CostRow[] = [];
  for (const c of counts) {
    const key = `${c.call}\u0000${c.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const m = manifest.calls.find((x) => x.name === c.call);
    const jump = m ? undefined : manifest.jumpPoints.find((j) => j.role === JUMP_ROLES[c.call]);
    rows.push({
      call: c.call,
      path: c.path,
      instructions: c.instructions,
      hypercalls: c.hypercalls,
      tfKept: c.tfKept,
      slotUsed: m ? m.slot.used : (jump?.used ?? null),
      slotSize: m ? m.slot.size : (jump?.size ?? null),
      placement: m ? m.placement : jump ? "jump point" : null,
      bodySize: m?.body ? m.body.size : null,
    });
  }
  return {
    rom,
    backend: manifest.backend,
    layout: manifest.layout,
    method: "instructions executed at ROM addresses, from the guest's call to the return (single-step traps)",
    rows,
  };
}

export function formatCostTable(t: CostTable): string {
  const head = ["call", "path", "instructions", "hypercalls", "slot bytes", "placement"];
  const body = t.rows.map((r) => [
    r.call,
    r.path,
    `${r.instructions}${r.tfKept ? "" : "*"}`,
    String(r.hypercalls),
    r.slotUsed === null ? (r.slotSize === null ? "-" : `?/${r.slotSize}`) : `${r.slotUsed}/${r.slotSize}${r.bodySize !== null ? ` +${r.bodySize}` : ""}`,
    r.placement ?? "-",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    "  " +
    cells
      .map((c, i) => (i >= 2 && i <= 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const notes = t.rows.some((r) => !r.tfKept) ? ["  * the call cleared TF itself (iret/sysexit): counted up to that instruction"] : [];
  return [line(head), ...body.map(line), ...notes].join("\n");
}

/** The .map text with the count section replaced or appended. */
export function mergeIntoMap(map: string, t: CostTable): string {
  const section = `${MAP_SECTION_START}\n${formatCostTable(t)}\n${MAP_SECTION_END}\n`;
  const start = map.indexOf(MAP_SECTION_START);
  if (start >= 0) {
    const endAt = map.indexOf(MAP_SECTION_END, start);
    const after = endAt >= 0 ? map.slice(endAt + MAP_SECTION_END.length).replace(/^\n/, "") : "";
    return map.slice(0, start) + section + after;
  }
  return `${map.replace(/\n*$/, "\n")}\n${section}`;
}
