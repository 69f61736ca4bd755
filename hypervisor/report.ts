// What the monitor says on qemu's debug console, read back: the final HV-REPORT line (one JSON object), the
// violations it printed as they happened, and whether the guest was ever taken over. Pure: text in, plain
// objects out; the CLI prints them as a table or as JSON.

import type { Manifest } from "../src/manifest/types.ts";

/** The monitor's final report, as report.c prints it. */
export interface MonitorReport {
  outcome: string;
  hypervisor: "vmware" | "xen";
  launched: boolean;
  kernelCpl: number;
  romBase: string;
  violationCount: number;
  violations: string[];
  hypercalls: Record<string, number>;
  traps: Record<string, number>;
  emulated: Record<string, number>;
  emulatedSites: Array<{ kind: string; eip: string; count: number }>;
  flushes: number;
  flushedEntries: number;
  meanBatch: number;
  /** clearedAtTeardown: entries Linux cleared natively while tearing an address space down, accepted at release. */
  pageTables: { tracked: number; mostTracked: number; foundByWalk: number; clearedAtTeardown: number };
}

export interface MonitorLog {
  /** The final report, when the run got that far (a run stopped by --until or a timeout has none). */
  report?: MonitorReport;
  /** Every `HV: VIOLATION` line, in order (the report keeps the first 32). */
  violations: string[];
  /** `HV: FAILURE` (the guest could not go on: double fault, unmapped exception frame, ...). */
  failure?: string;
  /** The monitor took the guest over at Init (late launch). */
  launched: boolean;
  /** The monitor started at all (its banner). */
  started: boolean;
}

export function parseMonitorLog(log: string): MonitorLog {
  const lines = log.split("\n").map((l) => l.replace(/\r$/, ""));
  const violations = lines.filter((l) => l.startsWith("HV: VIOLATION ")).map((l) => l.slice("HV: VIOLATION ".length));
  const failure = lines.find((l) => l.startsWith("HV: FAILURE "))?.slice("HV: FAILURE ".length);
  const reportLine = lines.find((l) => l.startsWith("HV-REPORT "));
  let report: MonitorReport | undefined;
  if (reportLine) {
    try {
      report = JSON.parse(reportLine.slice("HV-REPORT ".length)) as MonitorReport;
    } catch {
      report = undefined;
    }
  }
  return {
    ...(report ? { report } : {}),
    violations,
    ...(failure !== undefined ? { failure } : {}),
    launched: lines.some((l) => l.startsWith("HV: late launch from ")),
    started: lines.some((l) => l.startsWith("HV: vmirom reference hypervisor")),
  };
}

/** Names ROM addresses: `0xc00c0c39` → `0xc00c0c39 <FlushQueue-stub+0x9>` from the manifest's regions. */
export function symbolizer(manifest: Manifest | undefined, romBase: number | undefined): (text: string) => string {
  if (!manifest || romBase === undefined) return (t) => t;
  const regions: Array<{ start: number; end: number; name: string }> = [];
  for (const c of manifest.calls) {
    if (c.slot) regions.push({ start: c.slot.offset, end: c.slot.offset + c.slot.size, name: `stub_${c.name}` });
    if (c.body) regions.push({ start: c.body.offset, end: c.body.offset + c.body.size, name: `body_${c.name}` });
    for (const [i, p] of (c.cold ?? []).entries()) regions.push({ start: p.offset, end: p.offset + p.size, name: `cold_${c.name}${i ? i : ""}` });
  }
  for (const s of manifest.shared) regions.push({ start: s.offset, end: s.offset + s.size, name: s.name });
  for (const j of manifest.jumpPoints) regions.push({ start: j.offset, end: j.offset + j.size, name: j.role });
  return (text) =>
    text.replace(/0x([0-9a-f]{6,8})\b/g, (all, hex: string) => {
      const off = parseInt(hex, 16) - romBase;
      const r = regions.find((x) => off >= x.start && off < x.end);
      return r ? `${all} <${r.name}+0x${(off - r.start).toString(16)}>` : all;
    });
}

export interface HypervisorVerdict {
  ok: boolean;
  why: string;
}

/** Exit 0 only when the kernel reached its end under the monitor and the monitor saw no violation. */
export function hypervisorVerdict(log: MonitorLog, o: { untilSeen: boolean; timedOut: boolean; timeoutS: number; qemuError?: string }): HypervisorVerdict {
  const count = log.report?.violationCount ?? log.violations.length;
  if (o.qemuError) return { ok: false, why: o.qemuError };
  if (!log.started) return { ok: false, why: "the hypervisor did not start (qemu did not run it)" };
  if (log.failure) return { ok: false, why: `the hypervisor stopped the guest: ${log.failure}` };
  if (!log.launched) {
    return {
      ok: false,
      why: "the guest stayed native: the kernel never called the ROM's Init (or Init did not find the hypervisor), so no paravirtual call ran",
    };
  }
  if (count) return { ok: false, why: `the hypervisor saw ${count} contract violation${count === 1 ? "" : "s"}` };
  if (o.untilSeen) return { ok: true, why: "the console printed the --until text, with no violation so far (no final report: qemu was stopped)" };
  if (o.timedOut) return { ok: false, why: `the guest did not reach its end within ${o.timeoutS} s (qemu stopped)` };
  if (!log.report) return { ok: false, why: "the run ended without the hypervisor's report" };
  if (/^(rebooted|powered off)$/.test(log.report.outcome))
    return { ok: true, why: `the kernel ${log.report.outcome} at CPL ${log.report.kernelCpl} with no violation` };
  return { ok: false, why: `the run ended: ${log.report.outcome}` };
}

/** The report as text tables. */
export function formatReport(r: MonitorReport, symbolize: (t: string) => string = (t) => t): string {
  const out: string[] = [];
  const table = (title: string, rows: Array<[string, number | string]>) => {
    out.push(title);
    if (!rows.length) out.push("  (none)");
    const w = Math.max(0, ...rows.map(([k]) => k.length));
    for (const [k, v] of rows) out.push(`  ${k.padEnd(w)}  ${v}`);
  };
  const sorted = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  out.push(`hypervisor: ${r.hypervisor}; outcome: ${r.outcome}; kernel ran at CPL ${r.kernelCpl}${r.launched ? "" : " (never taken over)"}`);
  table("hypercalls:", sorted(r.hypercalls));
  table("traps:", sorted(r.traps));
  table("emulated instructions:", sorted(r.emulated));
  // The busiest sites only: a boot emulates port I/O at dozens of places in the kernel's drivers.
  const SITES = 20;
  const sites = [...r.emulatedSites].sort((a, b) => b.count - a.count);
  if (sites.length)
    table(
      "  by site:",
      sites.slice(0, SITES).map((s) => [`${s.kind} at ${symbolize(s.eip)}`, s.count]),
    );
  if (sites.length > SITES) out.push(`    (${sites.length - SITES} more sites; --json lists them all)`);
  out.push(`queue flushes: ${r.flushes} (${r.flushedEntries} entries, ${r.meanBatch} per flush)`);
  out.push(
    `page-table pages: ${r.pageTables.tracked} tracked at the end, ${r.pageTables.mostTracked} at most, ${r.pageTables.foundByWalk} found by walking; ${r.pageTables.clearedAtTeardown} entries cleared by Linux's address-space teardown, accepted when their page was released`,
  );
  out.push(`violations: ${r.violationCount}`);
  for (const v of r.violations) out.push(`  ${symbolize(v)}`);
  if (r.violationCount > r.violations.length) out.push(`  (${r.violationCount - r.violations.length} more)`);
  return out.join("\n");
}
