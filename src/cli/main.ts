// The vmirom command line (bundled into dist/vmirom.mjs): build, info, list, check, map, diff, run. This file
// holds only the dispatch; the grammar is yargs (grammar.ts), and each command's code is imported when that
// command runs (a chunk of its own in the bundle), so `--help` and usage errors load yargs and nothing else,
// and only `build`, `check` and the others that decode load the assembler, the checker or iced-x86. Each
// command returns its exit code; bad usage gets one message and exit code 2.

import { parseCommandLine, type Invocation } from "./grammar.ts";

// The values of report.ts's EXIT_FAILED and EXIT_BAD_INPUT, repeated so that the entry imports no module a
// command shares (it would become a chunk of its own, one more file to load for --help).
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

async function run(c: Invocation): Promise<number> {
  switch (c.command) {
    case "build":
      return (await import("./commands/build.ts")).runBuildCommand(c.args);
    case "info":
    case "list": {
      const { runInfo, runList } = await import("./commands/inspect.ts");
      return (c.command === "info" ? runInfo : runList)(c.args);
    }
    case "check":
      return (await import("./commands/check.ts")).runCheck(c.args);
    case "map":
      return (await import("./commands/map.ts")).runMap(c.args);
    case "diff":
      return (await import("./commands/diff.ts")).runDiff(c.args);
    case "run":
      return (await import("./commands/run.ts")).runRun(c.args);
    case "init-backend":
      return (await import("./commands/init-backend.ts")).runInitBackend(c.args);
  }
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv, Math.min(110, process.stdout.columns || 110));
  if (parsed.kind === "help") {
    process.stdout.write(parsed.text);
    return;
  }
  if (parsed.kind === "error") {
    process.stderr.write(`vmirom: ${parsed.message}\nRun vmirom --help (or vmirom <command> --help) for usage.\n`);
    process.exitCode = EXIT_BAD_INPUT;
    return;
  }
  try {
    process.exitCode = await run(parsed.invocation);
  } catch (e) {
    process.stderr.write(`vmirom: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

await main(process.argv.slice(2));
