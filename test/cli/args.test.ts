// The CLI's grammar (src/cli/args.ts): what a user can type, what it means, and one message for what it cannot.

import { describe, expect, it } from "vitest";
import { helpText, parseArgs, type CliSpec } from "../../src/cli/args.ts";

const SPEC: CliSpec = {
  bin: "tool",
  usage: "tool <command> [options]",
  commands: [
    {
      name: "build",
      positionals: [],
      describe: "build things",
      options: {
        out: { type: "string", default: "build/x", describe: "output directory", path: true },
        all: { type: "boolean", default: false, describe: "everything" },
        api: { type: "string", describe: "an interface" },
      },
    },
    { name: "check", positionals: [{ name: "rom", describe: "a file" }], describe: "check a file", options: { json: { type: "boolean", default: false, describe: "JSON" } } },
  ],
};

const run = (argv: string[]) => {
  const r = parseArgs(SPEC, argv);
  if (r.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(r)}`);
  return r.values;
};
const error = (argv: string[]) => {
  const r = parseArgs(SPEC, argv);
  if (r.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.message;
};

describe("parseArgs", () => {
  it("gives defaults, values after a space or '=', booleans and their negation, normalized paths", () => {
    expect(run(["build"])).toEqual({ out: "build/x", all: false, api: undefined });
    expect(run(["build", "--out", "a//b/../c", "--all", "--api=13"])).toEqual({ out: "a/c", all: true, api: "13" });
    expect(run(["build", "--all=false"]).all).toBe(false);
    expect(run(["build", "--all", "--no-all"]).all).toBe(false);
    expect(run(["--api", "3", "build"]).api).toBe("3");
  });

  it("takes positionals before, between and after options", () => {
    expect(run(["check", "x.rom", "--json"])).toEqual({ json: true, rom: "x.rom" });
    expect(run(["check", "--json", "x.rom"])).toEqual({ json: true, rom: "x.rom" });
    expect(run(["check", "--", "--odd.rom"]).rom).toBe("--odd.rom");
    expect(run(["check", "check"]).rom).toBe("check");
  });

  it("refuses what it does not know, with one message", () => {
    expect(error([])).toBe("name a command (build, check); see --help");
    expect(error(["frob"])).toBe("Unknown argument: frob");
    expect(error(["build", "--frobnicate"])).toBe("Unknown argument: frobnicate");
    expect(error(["build", "--no-out"])).toBe("Unknown argument: no-out");
    expect(error(["build", "--out"])).toBe("--out needs a value");
    expect(error(["build", "--out", "--all"])).toBe("--out needs a value");
    expect(error(["build", "--all=yes"])).toBe('--all is true or false, not "yes"');
    expect(error(["check"])).toBe("Not enough non-option arguments: got 0, need at least 1");
    expect(error(["check", "a", "b"])).toBe("Unknown argument: b");
  });

  it("asks for help with --help or -h anywhere, for the command named if any", () => {
    expect(parseArgs(SPEC, ["--help"])).toEqual({ kind: "help" });
    expect(parseArgs(SPEC, ["check", "-h"])).toMatchObject({ kind: "help", command: { name: "check" } });
    expect(parseArgs(SPEC, ["build", "--frobnicate", "--help"])).toMatchObject({ kind: "help", command: { name: "build" } });
  });
});

describe("helpText", () => {
  it("lists the commands, and for one command its positionals and options with types and defaults", () => {
    const all = helpText(SPEC, undefined, 80);
    expect(all).toMatch(/^tool <command> \[options\]\n\nCommands:\n {2}tool build +build things\n {2}tool check <rom> +check a file\n/);
    expect(all).toContain("-h, --help");
    const check = helpText(SPEC, SPEC.commands[1], 80);
    expect(check).toContain("Positionals:\n  rom");
    expect(check).toMatch(/--json +JSON {2}\[boolean\] \[default: false\]/);
    const build = helpText(SPEC, SPEC.commands[0], 80);
    expect(build).toMatch(/--out +output directory {2}\[string\] \[default: "build\/x"\]/);
  });

  it("wraps long descriptions to the width, aligned under their column", () => {
    const long: CliSpec = { ...SPEC, commands: [{ ...SPEC.commands[0]!, describe: "word ".repeat(40).trim() }] };
    for (const line of helpText(long, undefined, 60).split("\n")) expect(line.length).toBeLessThanOrEqual(60);
  });
});
