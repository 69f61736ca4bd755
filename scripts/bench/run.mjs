#!/usr/bin/env node
// npm run bench: every figure measured in this one run, printed as one table and written to build/bench.json.
//   asm   the assembler DSL against `as --32` on the same 1,000,000-instruction stream (scripts/bench/asm.ts)
//   cli   wall time and peak memory of the bundled CLI as a user runs it (--help, check, build --all), in
//         rounds, side by side with `node -e 0` and, when build/roms holds the GNU as export (*.S), `as`+`ld`
//   cost  per ROM in build/roms, the test guest's executed-instruction counts (guest/qemu/run-guest.ts --json
//         --no-cost: the same run, without rewriting the ROM's .map or .cost.json) and how many calls fit their slot
// Usage: node scripts/bench/run.mjs [all|asm|cli|cost ...] [--rounds N]
// TypeScript parts are bundled by esbuild first (no on-the-fly transform in the timed code); the CLI is
// bundled with scripts/bundle.mjs and build/roms rebuilt before anything is timed.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const PARTS = ["asm", "cli", "cost"];
const argv = process.argv.slice(2);
const roundsAt = argv.indexOf("--rounds");
const ROUNDS = roundsAt >= 0 ? Math.max(1, Number(argv[roundsAt + 1])) : 10;
const named = argv.filter((a, i) => !a.startsWith("--") && !(roundsAt >= 0 && i === roundsAt + 1));
const parts = named.length === 0 || named.includes("all") ? PARTS : named;
for (const p of parts) if (!PARTS.includes(p)) throw new Error(`unknown benchmark '${p}' (known: ${PARTS.join(", ")}, all)`);

const ROMS = join(root, "build", "roms");
const BIN = join(root, "dist", "vmirom.mjs");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const tmp = mkdtempSync(join(tmpdir(), "vmirom-bench-"));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

function must(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Bundles a TypeScript script into the temporary directory; returns the bundle's path. */
async function bundle(file, name) {
  const out = join(tmp, `${name}.mjs`);
  await build({ entryPoints: [file], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "warning", external: ["iced-x86"] });
  return out;
}

async function asmPart() {
  const text = must(process.execPath, ["--expose-gc", await bundle(join(here, "asm.ts"), "asm"), "--json"], "the assembler benchmark");
  return JSON.parse(text.trim().split("\n").pop());
}

/** The calls the cost rows show. */
const INTERRUPT_CALLS = ["DisableInterrupts", "EnableInterrupts", "GetInterruptMask", "SetInterruptMask"];

async function costPart() {
  const guest = await bundle(join(root, "guest", "qemu", "run-guest.ts"), "run-guest");
  const roms = readdirSync(ROMS)
    .filter((f) => f.endsWith(".rom") && existsSync(join(ROMS, f.replace(/\.rom$/, ".json"))))
    .sort();
  return roms.map((f) => {
    const r = spawnSync(process.execPath, [guest, join(ROMS, f), "--json", "--no-cost"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`the test guest could not run ${f} (${r.status}): ${r.stderr}`);
    const run = JSON.parse(r.stdout);
    const counts = {};
    for (const c of run.cost?.rows ?? []) {
      if (c.call === "SwapPxE" || c.call === "SetPxE" || INTERRUPT_CALLS.includes(c.call)) (counts[c.call] ??= {})[c.path] ??= c.instructions;
    }
    const manifest = JSON.parse(readFileSync(join(ROMS, f.replace(/\.rom$/, ".json")), "utf8"));
    const implemented = manifest.calls.filter((c) => c.placement === "inline" || c.placement === "outOfLine");
    return {
      rom: f.replace(/\.rom$/, ""),
      ok: run.ok,
      problems: run.problems,
      counts,
      implemented: implemented.length,
      inline: implemented.filter((c) => c.placement === "inline").length,
      hasSwap: manifest.calls.some((c) => c.name === "SwapPxE"),
      guestMs: run.durationMs,
    };
  });
}

/**
 * One timed process: wall ms (spawn to exit), and from /usr/bin/time when present its CPU ms (user + system,
 * children included: what the work cost, whatever else the machine is doing) and peak RSS in MiB.
 */
function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ["-f", "%M %U %S", cmd, ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const [peak, user, sys] = TIME ? r.stderr.trim().split("\n").pop().split(" ").map(Number) : [NaN, NaN, NaN];
  return { ms, cpu: (user + sys) * 1000, peak: peak / 1024 };
}

function cliPart() {
  const roms = readdirSync(ROMS)
    .filter((f) => f.endsWith(".rom"))
    .sort();
  const sources = readdirSync(ROMS)
    .filter((f) => f.endsWith(".S"))
    .sort();
  const out = join(tmp, "roms");
  // The GNU as export, assembled and linked the way test/image/rom-outputs.test.ts checks it gives the .rom.
  const gas = sources.map((s) => {
    const o = join(tmp, s.replace(/\.S$/, ".o")),
      b = join(tmp, s.replace(/\.S$/, ".bin"));
    return `as --32 -o ${o} ${join(ROMS, s)} && ld -m elf_i386 -e 0 -Ttext=0 --oformat=binary -o ${b} ${o}`;
  });
  const cases = [
    { name: "node -e 0", cmd: process.execPath, args: ["-e", "0"] },
    { name: "vmirom --help", cmd: process.execPath, args: [BIN, "--help"] },
    { name: "vmirom build --help", cmd: process.execPath, args: [BIN, "build", "--help"] },
    ...roms.map((r) => ({ name: `vmirom check ${r}`, check: true, cmd: process.execPath, args: [BIN, "check", join(ROMS, r)] })),
    { name: `vmirom build --all (${roms.length} ROMs)`, build: true, cmd: process.execPath, args: [BIN, "build", "--all", "--out", out] },
    ...(gas.length ? [{ name: `as --32 + ld of the ${gas.length} .S exports`, gas: true, cmd: "sh", args: ["-c", gas.join(" && ")] }] : []),
  ];
  const samples = cases.map(() => []);
  // Rounds, each running every case once: load from other work on the machine hits all cases alike.
  for (let k = 0; k < ROUNDS + 1; k++) {
    cases.forEach((c, i) => {
      const s = timed(c.cmd, c.args);
      if (k > 0) samples[i].push(s); // round 0 warms the file cache
    });
  }
  return {
    rounds: ROUNDS,
    cases: cases.map((c, i) => ({
      name: c.name,
      kind: c.check ? "check" : c.build ? "build" : c.gas ? "gas" : c.name === "node -e 0" ? "node" : "help",
      medianMs: median(samples[i].map((s) => s.ms)),
      minMs: Math.min(...samples[i].map((s) => s.ms)),
      cpuMs: median(samples[i].map((s) => s.cpu)),
      peakMiB: Math.max(...samples[i].map((s) => s.peak)),
    })),
  };
}

// --- the table
const rows = [];
const row = (what, value, next, note = "") => rows.push([what, value, next, note]);
const ms = (x) => `${Math.round(x)} ms`;
const mib = (x) => (Number.isFinite(x) ? `, ${Math.round(x)} MiB` : "");
/** Wall time, CPU time when known, peak memory. */
const cost = (x) => `${ms(x.medianMs)}${Number.isFinite(x.cpuMs) ? ` (cpu ${ms(x.cpuMs)})` : ""}${mib(x.peakMiB)}`;
const plus = (a, b) => `${a >= b ? "+" : "−"}${Math.abs(Math.round(a - b))} ms`;
const mps = (n, s) => `${(n / s / 1e6).toFixed(2)} M instr/s`;

function asmRows(a) {
  row(
    `assembler: ${a.instructions.toLocaleString("en-US")} instructions, first run`,
    `${mps(a.instructions, a.dsl.firstSeconds)} (${a.dsl.firstSeconds.toFixed(3)} s)`,
    `as --32: ${mps(a.instructions, a.gas.medianSeconds)}`,
    `${a.ratioFirst.toFixed(2)}× (target ≥ 3×)`,
  );
  row(
    `assembler: median of ${a.runs} runs`,
    `${mps(a.instructions, a.dsl.medianSeconds)} (${a.dsl.medianSeconds.toFixed(3)} s)`,
    `as --32: ${mps(a.instructions, a.gas.medianSeconds)} (${a.gas.medianSeconds.toFixed(3)} s)`,
    `${a.ratioMedian.toFixed(2)}× (target ≥ 5×)`,
  );
  row(
    "assembler: peak memory, output",
    `${Math.round(a.dsl.peakMiB)} MiB`,
    `as --32: ${Math.round(a.gas.peakMiB)} MiB`,
    a.identical ? "bytes identical" : "BYTES DIFFER",
  );
}

function cliRows(c) {
  const node = c.cases.find((x) => x.kind === "node");
  const gas = c.cases.find((x) => x.kind === "gas");
  const vsNode = `node -e 0: ${cost(node)}`;
  row(`node -e 0 (median of ${c.rounds} rounds)`, cost(node), "", "");
  for (const x of c.cases) {
    const cpu = Number.isFinite(x.cpuMs) ? ` (cpu ${plus(x.cpuMs, node.cpuMs)})` : "";
    if (x.kind === "help") row(x.name, cost(x), vsNode, `${plus(x.medianMs, node.medianMs)}${cpu}; target ≤ +50 ms`);
    if (x.kind === "check") row(x.name, cost(x), vsNode, "target ≤ 200 ms");
    if (x.kind === "build") {
      row(
        x.name,
        cost(x),
        gas ? `${gas.name}: ${cost(gas)}` : vsNode,
        `target ≤ 500 ms${gas ? `; ${(x.medianMs / gas.medianMs).toFixed(2)}× as+ld (target < 2×)` : ""}`,
      );
    }
  }
}

/**
 * A PTE call's cost in the table: the uninteresting and interesting paths when the guest counted them (the fast
 * path the issue targets, and the queued one), else the range over every path. Every path is in bench.json.
 */
function pteCost(paths) {
  const named = ["uninteresting", "interesting"].filter((p) => p in paths);
  if (named.length) return named.map((p) => `${p} ${paths[p]}`).join(", ");
  const v = Object.values(paths);
  return Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)} (by path)`;
}

function costRows(list) {
  for (const r of list) {
    const c = r.counts;
    const swap = c.SwapPxE ? pteCost(c.SwapPxE) : r.hasSwap ? "not counted" : "(no such call in this interface)";
    row(`${r.rom}: SwapPxE (instructions)`, swap, "VMware 2006 ROM: ≈ 21–26", r.ok ? "" : `guest: ${r.problems.length} problems`);
    const set = c.SetPxE ? pteCost(c.SetPxE) : "—";
    const span = (name) => {
      const v = c[name] ? Object.values(c[name]) : [];
      return v.length ? (Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`) : "—";
    };
    row(`${r.rom}: SetPxE; cli/sti/get/set IF`, `${set}; ${INTERRUPT_CALLS.map(span).join("/")}`, "", "");
    row(`${r.rom}: calls that fit their slot`, `${r.inline} of ${r.implemented} (${((100 * r.inline) / Math.max(1, r.implemented)).toFixed(0)} %)`, "", "");
  }
}

function printTable(header) {
  const widths = [0, 1, 2, 3].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

let status = 0;
try {
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "?", node: process.version, platform: `${process.platform} ${process.arch}` },
  };
  if (parts.includes("cli") || parts.includes("cost")) {
    must(process.execPath, [join(root, "scripts", "bundle.mjs")], "bundling the CLI");
    must(process.execPath, [BIN, "build", "--all", "--out", ROMS], "vmirom build --all");
  }
  if (parts.includes("asm")) result.asm = await asmPart();
  if (parts.includes("cli")) result.cli = cliPart();
  if (parts.includes("cost")) result.cost = await costPart();
  if (result.asm) asmRows(result.asm);
  if (result.cli) cliRows(result.cli);
  if (result.cost) costRows(result.cost);
  const m = result.machine;
  console.log(`vmirom bench, ${result.date.slice(0, 10)}: ${m.cpus} cores (${m.model}), Node ${m.node}, ${m.platform}`);
  printTable(["measure", "vmirom", "next to", "result"]);
  if (result.asm && !result.asm.identical) status = 1;
  if (parts.length === PARTS.length) {
    mkdirSync(join(root, "build"), { recursive: true });
    writeFileSync(join(root, "build", "bench.json"), JSON.stringify(result, null, 2) + "\n");
    console.log("(written to build/bench.json)");
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = status; // not exit(): output still going to a pipe would be cut off
