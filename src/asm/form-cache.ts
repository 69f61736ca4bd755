// The form cache: per mnemonic, the form chosen for each operand-class signature, looked up before any row is
// matched, so that recording an instruction of a signature seen before matches nothing.

import { compileForm, FORMS, operandClass, unclassedForm, type Form } from "./forms.ts";
import { matchRows } from "./match.ts";
import type { AnyOperand } from "./operands.ts";
import type { Row } from "./rows.ts";

/**
 * Forms chosen so far for one mnemonic, by operand-class signature: a flat table for up to two operands
 * (64 classes each), a map for three.
 */
export class FormCache {
  readonly small = new Int32Array(1 + 64 + 64 * 64).fill(-1); // -1 unknown, 0 no row, k+1 = FORMS[k]
  readonly large = new Map<number, Form | null>();
}

/** The form the encoder uses for n operands passed one by one (of the first row that accepts them), or undefined. */
export function findForm(
  rows: readonly Row[],
  n: number,
  x: AnyOperand | undefined,
  y: AnyOperand | undefined,
  z: AnyOperand | undefined,
  cache: FormCache,
): Form | undefined {
  // Rows depend only on the operands' classes: look the combination up before matching.
  let sig = 0,
    cx = 0,
    cy = 0;
  if (n > 0) {
    cx = operandClass(x!);
    if (cx < 0) return unclassed(rows, n, x, y, z);
    sig = 1 + cx;
  }
  if (n > 1) {
    cy = operandClass(y!);
    if (cy < 0) return unclassed(rows, n, x, y, z);
    sig = 65 + (sig - 1) * 64 + cy;
  }
  if (n > 2) {
    const cz = operandClass(z!);
    if (cz < 0) return unclassed(rows, n, x, y, z);
    const key = sig * 64 + cz;
    const hit = cache.large.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const row = matchRows(rows, opsArray(n, x, y, z));
    const form = row ? compileForm(row, n, [cx, cy, cz]) : undefined;
    cache.large.set(key, form ?? null);
    return form;
  }
  const k = cache.small[sig]!;
  if (k >= 0) return k === 0 ? undefined : FORMS[k - 1];
  const row = matchRows(rows, opsArray(n, x, y, z));
  const form = row ? compileForm(row, n, n === 0 ? [] : n === 1 ? [cx] : [cx, cy]) : undefined;
  cache.small[sig] = form ? form.id + 1 : 0;
  return form;
}

function unclassed(rows: readonly Row[], n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): Form | undefined {
  const row = matchRows(rows, opsArray(n, x, y, z));
  return row ? unclassedForm(row) : undefined;
}

function opsArray(n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): AnyOperand[] {
  return (n === 0 ? [] : n === 1 ? [x] : n === 2 ? [x, y] : [x, y, z]) as AnyOperand[];
}
