// The test guest as `vmirom run` uses it: bundled by scripts/bundle.mjs into dist/vmirom-guest.mjs and loaded
// by the CLI on demand (src/cli/guest-runner.ts defines the interface this module implements).

import type { GuestRunnerModule, GuestRunReport, GuestRunRequest } from "../../src/cli/guest-runner.ts";
import type { Result } from "../../src/diagnostics.ts";
import { RELOC_TYPES, relocTypeOf } from "../../src/layout/types.ts";
import { formatCostTable } from "./cost.ts";
import type { Fields } from "./parse-log.ts";
import { runGuest, type GuestRunResult } from "./run-guest.ts";

export function runGuestReport(req: GuestRunRequest): Result<GuestRunReport> {
  const r = runGuest({
    rom: req.rom,
    writeCost: false,
    timeoutMs: req.timeoutMs,
    ...(req.manifest ? { manifest: req.manifest } : {}),
    ...(req.keepDir ? { keepDir: req.keepDir } : {}),
    ...(req.tests ? { ownTests: req.tests } : {}),
  });
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: {
      ok: v.ok,
      outcome: v.outcome,
      status: v.status,
      durationMs: v.durationMs,
      backend: v.backend,
      layout: v.layout,
      guest: v.guest,
      summary: summaryLines(v),
      problems: v.problems,
      costTable: v.cost ? formatCostTable(v.cost) : null,
    },
  };
}

/** What the guest saw, in the order it happened. */
export function summaryLines(v: GuestRunResult): string[] {
  const p = v.parsed;
  const out: string[] = [];
  const kv = (f: Fields | undefined, skip: string[] = []) =>
    f
      ? Object.entries(f)
          .filter(([k]) => !skip.includes(k))
          .map(([k, x]) => `${k}=${x}`)
          .join(" ")
      : "-";
  if (p.begin) out.push(`guest: ${kv(p.begin)}`);
  for (const probe of p.probes) out.push(`probe: ${kv(probe)}`);
  if (p.found) out.push(`found: ${kv(p.found)}`);
  if (p.init) out.push(`Init: ${kv(p.init)}`);
  if (p.relocs.length) {
    const byType = new Map<string, number>();
    for (const x of p.relocs) {
      const t = relocTypeOf(Number(x.type)) ?? `type ${x.type}`;
      byType.set(t, (byType.get(t) ?? 0) + 1);
    }
    const types = RELOC_TYPES.filter((t) => byType.has(t))
      .map((t) => `${byType.get(t)} ${t}`)
      .join(", ");
    out.push(`relocations: ${p.relocs.length} answered (${types}), ${p.relocBad.length} bad`);
  }
  for (const x of p.relocBad) out.push(`  bad relocation: ${kv(x)}`);
  if (p.pic) out.push(`GetRelocationInfo position-independent: ${kv(p.pic)}`);
  if (p.patch) out.push(`patched: ${kv(p.patch)}`);
  out.push(`tests: ${p.passed.length} passed, ${p.failed.length} failed, ${p.skipped.length} skipped`);
  // The backend's own tests by name (the common effect tests, the same for every backend, by their count).
  const passed = new Set(p.passed);
  for (const t of v.ownTests) if (passed.has(t)) out.push(`  PASS ${t}`);
  for (const f of p.failed) out.push(`  FAIL ${f.test} ${f.call}/${f.path}: ${f.what} (got ${f.got}, want ${f.want})`);
  for (const s of p.skipped) out.push(`  skip ${s.test} (${s.call}: ${s.reason})`);
  if (!v.untestedIsFailure && v.untested.length) {
    const why = v.ownTests.length
      ? `no passing test reached them; name the ones left untested on purpose in guestTests.untested to make any other a failure`
      : `${v.backend} has no expectations of its own, so the guest ran the common effect tests`;
    out.push(`not exercised (${why}): ${v.untested.join(", ")}`);
  }
  if (p.end) out.push(`end: ${kv(p.end)}`);
  return out;
}

// The interface the CLI loads; tsc checks this module against it.
export const runner: GuestRunnerModule = { runGuestReport };
