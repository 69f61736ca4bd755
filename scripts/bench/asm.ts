// npm run bench:asm — the same stream of mixed instructions encoded by the DSL in-process and, in the same
// run, written as GAS text and assembled by `as --32`. Prints instructions/s of each, the ratio and peak
// memory. Target: the DSL at >= 3x GNU as. Usage: tsx scripts/bench/asm.ts [count]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Assembler, GPR32, al, byte, dword, eax, ebx, ecx, edx, esi, esp, formatInstruction, type Expr, type Label, type Reg32,
} from "../../src/asm/index.ts";

const COUNT = Number(process.argv[2] ?? 1_000_000);

/** Records the benchmark stream: 8-instruction groups ending in a jcc or call to a label. */
function record(a: Assembler, n: number): void {
  const labels: Label[] = [];
  const regs = GPR32;
  for (let i = 0; i < n; ) {
    const r: Reg32 = regs[i & 7]!, s: Reg32 = regs[(i >> 3) & 7]!;
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

function peakRssKiB(): number {
  return Math.round(process.resourceUsage().maxRSS);
}

// --- the DSL, in-process: compact (no listing data kept, like `as` without -a), then with listing data.
function timeDsl(keepOperands: boolean): { seconds: number; result: ReturnType<Assembler["assemble"]> } {
  const t0 = process.hrtime.bigint();
  const a = new Assembler({ captureSource: false, keepOperands });
  record(a, COUNT);
  const result = a.assemble();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, result };
}
const compact = timeDsl(false);
const compactPeak = peakRssKiB();
const full = timeDsl(true);
const r = full.result;
if (!r.ok || !compact.result.ok) throw new Error("assembly failed");
const dslSeconds = compact.seconds;
const dslPeak = compactPeak;
const sameModes = Buffer.compare(Buffer.from(r.bytes), Buffer.from(compact.result.bytes)) === 0;
const instructions = r.placed.filter((p) => p.ins).length;

// --- GNU as on the same stream (text from the DSL's own listing formatter, labels by name)
const names = new Map<number, string>();
for (const s of r.symbols) names.set(s.offset, s.name);
const value = (e: Expr): number => (typeof e === "number" ? e : r.labels.get(e as Label) ?? 0);
const lines: string[] = [".code32", ".text"];
for (const p of r.placed) {
  if (p.node.k === "label") lines.push(`${p.node.label.name}:`);
  else if (p.ins) {
    const bytes = r.bytes.subarray(p.offset, p.offset + p.size);
    let text = formatInstruction(p.ins, bytes, p.offset, value);
    if (p.ins.row.relative) text = text.replace(/0x[0-9a-f]+$/, (h) => names.get(parseInt(h, 16)) ?? h);
    lines.push(text);
  }
}
const dir = mkdtempSync(join(tmpdir(), "vmirom-bench-"));
try {
  const src = join(dir, "bench.s"), obj = join(dir, "bench.o");
  writeFileSync(src, lines.join("\n") + "\n");
  const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const g0 = process.hrtime.bigint();
  const run = timeBin
    ? spawnSync(timeBin, ["-f", "%M", "as", "--32", "-o", obj, src], { encoding: "utf8", maxBuffer: 1 << 28 })
    : spawnSync("as", ["--32", "-o", obj, src], { encoding: "utf8", maxBuffer: 1 << 28 });
  const g1 = process.hrtime.bigint();
  if (run.status !== 0) throw new Error(`as failed: ${run.stderr.slice(0, 2000)}`);
  const gasSeconds = Number(g1 - g0) / 1e9;
  const gasPeak = timeBin ? Number(run.stderr.trim().split("\n").pop()) : NaN;
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", obj, join(dir, "bench.bin")]);
  const same = Buffer.compare(Buffer.from(r.bytes), execFileSync("cat", [join(dir, "bench.bin")], { maxBuffer: 1 << 28 })) === 0;

  const dslRate = instructions / dslSeconds, gasRate = instructions / gasSeconds;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const fullRate = instructions / full.seconds;
  const peakAll = peakRssKiB();
  console.log(`instructions: ${fmt(instructions)} (${r.bytes.length.toLocaleString("en-US")} bytes, identical output: ${same && sameModes ? "yes" : "NO"})`);
  console.log(`${"".padEnd(26)}${"seconds".padStart(10)}${"instr/s".padStart(14)}${"peak RSS MiB".padStart(15)}`);
  console.log(`${"vmirom DSL (compact)".padEnd(26)}${dslSeconds.toFixed(3).padStart(10)}${fmt(dslRate).padStart(14)}${(dslPeak / 1024).toFixed(0).padStart(15)}`);
  console.log(`${"vmirom DSL (listing data)".padEnd(26)}${full.seconds.toFixed(3).padStart(10)}${fmt(fullRate).padStart(14)}${(peakAll / 1024).toFixed(0).padStart(15)}`);
  console.log(`${"GNU as --32".padEnd(26)}${gasSeconds.toFixed(3).padStart(10)}${fmt(gasRate).padStart(14)}${(gasPeak / 1024).toFixed(0).padStart(15)}`);
  console.log(`ratio (DSL compact / as): ${(dslRate / gasRate).toFixed(2)}x, with listing data: ${(fullRate / gasRate).toFixed(2)}x  (target >= 3x)`);
  if (!same || !sameModes) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
