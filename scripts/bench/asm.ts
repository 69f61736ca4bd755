// npm run bench:asm — the same stream of mixed instructions encoded by the DSL in-process and, in the same
// run, written as GAS text and assembled by `as --32`. Each side runs RUNS (10) times; the table shows the first
// run (for the DSL: JIT-cold) and the median run (each DSL run starts from a collected heap, as each `as` run
// is a fresh process), instructions/s, the ratios and peak memory.
// Targets: the DSL at >= 5x GNU as at the median, >= 3x on its first run. Usage (bundled by scripts/bench/run.mjs):
// node --expose-gc asm.mjs [count] [runs] [--json]  (--json: the figures as one JSON object, for `npm run bench`)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Assembler, GPR32, al, byte, dword, eax, ebx, ecx, edx, esi, esp, formatInstruction, type Expr, type Label, type Reg32 } from "../../src/asm/index.ts";

const JSON_OUT = process.argv.includes("--json");
const ARGS = process.argv.slice(2).filter((x) => x !== "--json");
const COUNT = Number(ARGS[0] ?? 1_000_000);
const RUNS = Math.max(1, Number(ARGS[1] ?? 10));

/** Records the benchmark stream: 8-instruction groups ending in a jcc or call to a label (or ret). */
// biome-ignore-start lint/style/noNonNullAssertion: the timed loop stays as measured; registers by i & 7 and the label pushed at i = 0 are there
function record(a: Assembler, n: number): void {
  const labels: Label[] = [];
  const regs = GPR32;
  for (let i = 0; i < n; ) {
    const r: Reg32 = regs[i & 7]!,
      s: Reg32 = regs[(i >> 3) & 7]!;
    if ((i & 63) === 0) labels.push(a.label(`L${i}`));
    a.mov(r, s);
    a.mov(dword(esp, (i & 0x3f) * 4), r);
    a.add(r, i & 0x7f);
    a.xor(s, 0x12345);
    a.xchg(dword(eax), esi);
    a.movzx(ecx, byte(esp, 0xc));
    a.cmovne(edx, dword(ebx, 8));
    i += 7;
    const target = labels[labels.length - 1]!;
    if ((i & 15) === 7) a.jne(target);
    else if ((i & 255) === 255) a.ret();
    else a.call(target);
    i += 1;
  }
  a.test(al, 1);
}
// biome-ignore-end lint/style/noNonNullAssertion: the timed loop ends here

/** The first and the median of at least one run's figures. */
function runFigures(xs: number[]): { first: number; median: number } {
  const [first] = xs;
  const median = [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  if (first === undefined || median === undefined) throw new Error("no runs to report");
  return { first, median };
}
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

// --- the DSL, in-process (everything a listing needs is kept, as always).
function timeDsl(): { seconds: number[]; result: ReturnType<Assembler["assemble"]> } {
  const seconds: number[] = [];
  let result: ReturnType<Assembler["assemble"]> | undefined;
  for (let k = 0; k < RUNS; k++) {
    // Each `as` run is a fresh process; give each DSL run a clean heap too (outside the timed region), so no
    // run pays for collecting the previous one's garbage. The runner starts node with --expose-gc.
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.hrtime.bigint();
    const a = new Assembler({ captureSource: false });
    record(a, COUNT);
    result = a.assemble();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  if (!result) throw new Error("no runs to report");
  return { seconds, result };
}
const dsl = timeDsl();
const dslPeak = peakRssMiB();
const r = dsl.result;
if (!r.ok) throw new Error("assembly failed");
const instructions = r.placed.filter((p) => p.ins).length;

// --- GNU as on the same stream (text from the DSL's own listing formatter, labels by name)
const names = new Map<number, string>();
for (const s of r.symbols) names.set(s.offset, s.name);
const value = (e: Expr): number => (typeof e === "number" ? e : (r.labels.get(e as Label) ?? 0));
const lines: string[] = [".code32", ".text"];
for (const p of r.placed) {
  if (p.node.k === "label") lines.push(`${p.node.label.name}:`);
  else if (p.ins) {
    const bytes = r.bytes.subarray(p.offset, p.offset + p.size);
    let text = formatInstruction(p.ins, bytes, value);
    if (p.ins.row.relative) text = text.replace(/0x[0-9a-f]+$/, (h) => names.get(parseInt(h, 16)) ?? h);
    lines.push(text);
  }
}
const dir = mkdtempSync(join(tmpdir(), "vmirom-bench-"));
try {
  const src = join(dir, "bench.s"),
    obj = join(dir, "bench.o");
  writeFileSync(src, lines.join("\n") + "\n");
  const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const gasSeconds: number[] = [];
  let gasPeak = NaN;
  for (let k = 0; k < RUNS; k++) {
    const g0 = process.hrtime.bigint();
    const run = timeBin
      ? spawnSync(timeBin, ["-f", "%M", "as", "--32", "-o", obj, src], { encoding: "utf8", maxBuffer: 1 << 28 })
      : spawnSync("as", ["--32", "-o", obj, src], { encoding: "utf8", maxBuffer: 1 << 28 });
    gasSeconds.push(Number(process.hrtime.bigint() - g0) / 1e9);
    if (run.status !== 0) throw new Error(`as failed: ${run.stderr.slice(0, 2000)}`);
    if (timeBin) gasPeak = Number(run.stderr.trim().split("\n").pop()) / 1024;
  }
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", obj, join(dir, "bench.bin")]);
  const same = Buffer.compare(Buffer.from(r.bytes), readFileSync(join(dir, "bench.bin"))) === 0;

  const dslRuns = runFigures(dsl.seconds),
    gasRuns = runFigures(gasSeconds);
  const result = {
    instructions,
    bytes: r.bytes.length,
    identical: same,
    runs: RUNS,
    dsl: { firstSeconds: dslRuns.first, medianSeconds: dslRuns.median, peakMiB: dslPeak },
    gas: { firstSeconds: gasRuns.first, medianSeconds: gasRuns.median, peakMiB: gasPeak },
    ratioMedian: gasRuns.median / dslRuns.median,
    ratioFirst: gasRuns.median / dslRuns.first,
  };
  if (JSON_OUT) console.log(JSON.stringify(result));
  else {
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    const rate = (s: number) => instructions / s;
    const row = (name: string, first: number, med: number, peak: number) =>
      `${name.padEnd(26)}${first.toFixed(3).padStart(9)}${fmt(rate(first)).padStart(13)}${med.toFixed(3).padStart(10)}${fmt(rate(med)).padStart(13)}${peak.toFixed(0).padStart(10)}`;
    console.log(
      `instructions: ${fmt(instructions)} (${r.bytes.length.toLocaleString("en-US")} bytes, identical output: ${same ? "yes" : "NO"}), ${RUNS} runs each`,
    );
    console.log(
      `${"".padEnd(26)}${"first s".padStart(9)}${"instr/s".padStart(13)}${"median s".padStart(10)}${"instr/s".padStart(13)}${"peak MiB".padStart(10)}`,
    );
    console.log(row("vmirom DSL", result.dsl.firstSeconds, result.dsl.medianSeconds, dslPeak));
    console.log(row("GNU as --32", result.gas.firstSeconds, result.gas.medianSeconds, gasPeak));
    console.log(`ratio DSL / as (median runs): ${result.ratioMedian.toFixed(2)}x  (target >= 5x)`);
    console.log(`ratio DSL / as (DSL first run, JIT cold): ${result.ratioFirst.toFixed(2)}x  (target >= 3x)`);
  }
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
