// The CLI's grammar (src/cli/grammar.ts, yargs): what a user can type, what it means, and one message for
// what it cannot. In-process, without running any command.

import { describe, expect, it } from "vitest";
import { COMMANDS, parseCommandLine, type Invocation } from "../../src/cli/grammar.ts";

const run = (argv: string[]): Invocation => {
  const r = parseCommandLine(argv, 80);
  if (r.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(r)}`);
  return r.invocation;
};
const error = (argv: string[]): string => {
  const r = parseCommandLine(argv, 80);
  if (r.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.message;
};
const help = (argv: string[], width = 80): string => {
  const r = parseCommandLine(argv, width);
  if (r.kind !== "help") throw new Error(`expected help, got ${JSON.stringify(r)}`);
  return r.text;
};

describe("parseCommandLine", () => {
  it("gives defaults, values after a space or '=', booleans and their negation, normalized paths", () => {
    expect(run(["build"])).toEqual({ command: "build", args: { backend: "all", api: "all", out: "build/roms", all: false } });
    expect(run(["build", "--out", "a//b/../c", "--all", "--api=13", "--layout", "x/./l.json"])).toEqual({
      command: "build",
      args: { backend: "all", api: "13", out: "a/c", all: true, layout: "x/l.json" },
    });
    expect(run(["build", "--all=false"]).args).toMatchObject({ all: false });
    expect(run(["build", "--all=true"]).args).toMatchObject({ all: true });
    expect(run(["build", "--all", "--no-all"]).args).toMatchObject({ all: false });
    expect(run(["--api", "3", "build"]).args).toMatchObject({ api: "3" });
    expect(run(["run", "x.rom"])).toEqual({ command: "run", args: { rom: "x.rom", timeout: 60, memory: 256 } });
    expect(run(["run", "x.rom", "--timeout", "2.5", "--kernel", "k//bzImage", "--append", "a b"])).toEqual({
      command: "run",
      args: { rom: "x.rom", timeout: 2.5, memory: 256, kernel: "k/bzImage", append: "a b" },
    });
  });

  it("takes positionals before, between and after options; a command's name is also a file name", () => {
    expect(run(["check", "x.rom", "--json"])).toEqual({ command: "check", args: { rom: "x.rom", json: true } });
    expect(run(["check", "--json", "x.rom"])).toEqual({ command: "check", args: { rom: "x.rom", json: true } });
    expect(run(["--api", "13", "check", "x.rom"])).toEqual({ command: "check", args: { rom: "x.rom", json: false, api: "13" } });
    expect(run(["check", "check"]).args).toMatchObject({ rom: "check" });
    expect(run(["diff", "a.rom", "--api", "3", "b.rom"])).toEqual({ command: "diff", args: { a: "a.rom", b: "b.rom", api: "3" } });
    expect(run(["info", "x.rom"])).toEqual({ command: "info", args: { rom: "x.rom" } });
    expect(run(["map", "x.rom", "--out", "m.svg"])).toEqual({ command: "map", args: { rom: "x.rom", out: "m.svg" } });
  });

  it("never reads a file name that looks like an option as one: after --, yargs fills no positional, so it is refused", () => {
    // (The hand-written parser took `check -- --odd.rom`; yargs leaves what follows -- out of the positionals.
    // A user names such a file ./--odd.rom.)
    expect(error(["check", "--", "--odd.rom"])).toBe("Missing required argument: rom");
    expect(run(["check", "./--odd.rom"]).args).toMatchObject({ rom: "./--odd.rom" });
  });

  it("refuses what it does not know, with one message", () => {
    expect(error([])).toBe(`name a command (${COMMANDS.join(", ")}); see --help`);
    expect(error(["frob"])).toBe("Unknown argument: frob");
    expect(error(["build", "--frobnicate"])).toBe("Unknown argument: frobnicate");
    expect(error(["build", "--no-out"])).toBe("Unknown argument: no-out");
    expect(error(["build", "--out"])).toBe("Not enough arguments following: out");
    expect(error(["build", "--out", "--all"])).toBe("Not enough arguments following: out");
    expect(error(["build", "--all=yes"])).toBe('--all is true or false, not "yes"');
    expect(error(["check"])).toBe("Missing required argument: rom");
    expect(error(["check", "a", "b"])).toBe("Unknown argument: b");
    expect(error(["diff", "a"])).toBe("Missing required argument: b");
    expect(error(["info", "x.rom", "--manifest", "m.json"])).toBe("Unknown argument: manifest");
  });

  it("asks for help with --help or -h anywhere, for the command named if any", () => {
    expect(help(["--help"])).toMatch(/^vmirom <command> \[options\]\n/);
    expect(help(["check", "-h"])).toMatch(/^vmirom check <rom>\n/);
    expect(help(["build", "--frobnicate", "--help"])).toMatch(/^vmirom build\n/);
  });
});

describe("help", () => {
  it("lists the commands, and for one command its positionals and options with types and defaults", () => {
    const all = help(["--help"]);
    expect(all).toMatch(/\nCommands:\n {2}vmirom build +build every selected backend/);
    for (const c of COMMANDS) expect(all).toMatch(new RegExp(`^ {2}vmirom ${c}\\b`, "m"));
    expect(all).toContain("-h, --help");
    const check = help(["check", "--help"]);
    expect(check).toMatch(/Positionals:\n {2}rom +ROM image file \(-: standard input\) +\[string\] \[required\]/);
    expect(check).toMatch(/--json +print violations as JSON +\[boolean\] \[default: false\]/);
    const build = help(["build", "--help"]);
    expect(build).toMatch(/--out +output directory +\[string\] \[default: "build\/roms"\]/);
  });

  it("wraps to the width, aligned under its column", () => {
    for (const argv of [["--help"], ...COMMANDS.map((c) => [c, "--help"])]) {
      for (const line of help(argv, 60).split("\n")) expect(line.length, line).toBeLessThanOrEqual(60);
    }
  });
});
