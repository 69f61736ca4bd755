// What the model tests (vmware-model, xen-model) share: boot the test guest with a modified copy of a built
// ROM (checksum fixed) and say which calls the run blamed, plus byte patches located by the manifest.

import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { runGuest, type GuestRunResult } from "../../guest/qemu/run-guest.ts";
import { expectationsFor } from "../../guest/expect/index.ts";
import { buildGuest } from "../../guest/guest.ts";
import { callOf, mutatedCopy, readManifestOf } from "./rom-files.ts";

export type Mutation = (b: Uint8Array, m: Manifest) => void;

/** Boots the guest built for `base`'s manifest with a copy of `base` changed by `mutate` (written to `dir`). */
export function runMutated(dir: string, base: string, name: string, mutate: Mutation): GuestRunResult {
  const m = readManifestOf(base);
  const layout = loadLayoutByName(m.layout);
  if (!layout.ok) throw new Error(layout.errors[0]!.message);
  const guest = buildGuest({ layout: layout.value, manifest: m, expectations: expectationsFor(m)! });
  if (!guest.ok) throw new Error(guest.errors.map((e) => e.message).join("\n"));
  const rom = mutatedCopy(base, dir, name, mutate);
  const r = runGuest({ rom, guest: guest.value, writeCost: false });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.value;
}

/** Replaces the first occurrence of `from` inside [offset, offset + size) with `to` (same length). */
export function patchAt(b: Uint8Array, offset: number, size: number, from: readonly number[], to: readonly number[], what: string): void {
  const region = b.subarray(offset, offset + size);
  for (let i = 0; i + from.length <= region.length; i++) {
    if (from.every((x, k) => region[i + k] === x)) {
      region.set(to, i);
      return;
    }
  }
  throw new Error(`${what}: pattern ${from.map((x) => x.toString(16)).join(" ")} not found`);
}

/** The same, inside the slot of `call`. */
export const patchSlot =
  (call: string, from: readonly number[], to: readonly number[]): Mutation =>
  (b, m) => {
    const c = callOf(m, call);
    patchAt(b, c.slot.offset, c.slot.size, from, to, `${call}'s slot`);
  };

/** The same, inside shared routine `name`. */
export const patchRoutine =
  (name: string, from: readonly number[], to: readonly number[]): Mutation =>
  (b, m) => {
    const r = m.shared.find((x) => x.name === name);
    if (!r) throw new Error(`no shared routine ${name} in the manifest`);
    patchAt(b, r.offset, r.size, from, to, name);
  };

/** The calls a run's FAIL and FATAL lines name. */
export const blamed = (v: GuestRunResult): Set<string> => {
  const lines = v.parsed.fatal ? [...v.parsed.failed, v.parsed.fatal] : v.parsed.failed;
  return new Set(lines.flatMap((f) => (f.call === undefined ? [] : [f.call])));
};
