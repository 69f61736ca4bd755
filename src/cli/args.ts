// The command line's grammar, as data: each command names its positionals and options; `parseArgs` turns
// argv into the values a command runs with, or one usage error, and `helpText` prints what a user can type.
// Kept small and dependency-free on purpose: `vmirom --help` and argument errors must not load anything but
// this file (start-up time is most of what a short command costs).

import { normalize } from "node:path";

export interface OptionSpec {
  type: "string" | "boolean";
  describe: string;
  default?: string | boolean;
  /** A path: normalized like path.normalize. */
  path?: boolean;
}

export interface CommandSpec {
  name: string;
  /** Positionals, all required, in order. */
  positionals: readonly { name: string; describe: string }[];
  describe: string;
  options: Readonly<Record<string, OptionSpec>>;
}

export interface CliSpec {
  bin: string;
  usage: string;
  commands: readonly CommandSpec[];
}

export type ParsedArgs =
  | { kind: "run"; command: CommandSpec; values: Record<string, string | boolean | undefined> }
  | { kind: "help"; command?: CommandSpec }
  | { kind: "error"; message: string };

/** argv without node and the script. Options may come before, between or after positionals. */
export function parseArgs(spec: CliSpec, argv: readonly string[]): ParsedArgs {
  const help = argv.some((a) => a === "--help" || a === "-h");
  const first = commandWord(spec, argv);
  const command = spec.commands.find((c) => c.name === first);
  if (help) return command ? { kind: "help", command } : { kind: "help" };
  if (first === undefined) return { kind: "error", message: `name a command (${spec.commands.map((c) => c.name).join(", ")}); see --help` };
  if (!command) return { kind: "error", message: `Unknown argument: ${first}` };

  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(command.options)) values[name] = o.default;
  const positionals: string[] = [];
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!seenCommand && arg === command.name) seenCommand = true;
      else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    let name = arg.replace(/^--?/, "").slice(0, eq < 0 ? undefined : eq - (arg.startsWith("--") ? 2 : 1));
    let inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let negated = false;
    if (!Object.hasOwn(command.options, name) && name.startsWith("no-") && command.options[name.slice(3)]?.type === "boolean") {
      name = name.slice(3);
      negated = true;
    }
    const o = Object.hasOwn(command.options, name) ? command.options[name] : undefined;
    if (!o) return { kind: "error", message: `Unknown argument: ${name}` };
    if (o.type === "boolean") {
      if (negated) {
        if (inline !== undefined) return { kind: "error", message: `--no-${name} takes no value` };
        values[name] = false;
      } else if (inline === undefined || inline === "true") values[name] = true;
      else if (inline === "false") values[name] = false;
      else return { kind: "error", message: `--${name} is true or false, not ${JSON.stringify(inline)}` };
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) return { kind: "error", message: `--${name} needs a value` };
      inline = next;
      i++;
    }
    values[name] = o.path ? normalize(inline) : inline;
  }
  const need = command.positionals.length;
  if (positionals.length < need) return { kind: "error", message: `Not enough non-option arguments: got ${positionals.length}, need at least ${need}` };
  if (positionals.length > need) return { kind: "error", message: `Unknown argument: ${positionals[need]}` };
  command.positionals.forEach((p, i) => (values[p.name] = positionals[i]));
  return { kind: "run", command, values };
}

/** The first word that is neither an option nor the value of one (an option any command takes a value for). */
function commandWord(spec: CliSpec, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return argv[i + 1];
    if (!a.startsWith("-") || a === "-") return a;
    const name = a.replace(/^--?/, "");
    if (!name.includes("=") && spec.commands.some((c) => Object.hasOwn(c.options, name) && c.options[name]!.type === "string")) i++;
  }
  return undefined;
}

/** The help for the whole CLI, or for one command, wrapped to `width` columns. */
export function helpText(spec: CliSpec, command: CommandSpec | undefined, width: number): string {
  const out: string[] = [];
  const usage = (c: CommandSpec): string => [`${spec.bin} ${c.name}`, ...c.positionals.map((p) => `<${p.name}>`)].join(" ");
  if (!command) {
    out.push(spec.usage, "", "Commands:");
    out.push(...table(spec.commands.map((c) => [usage(c), c.describe]), width));
    out.push("", "Options:", ...table([["-h, --help", "Show help  [boolean]"]], width));
  } else {
    out.push(usage(command), "", ...wrap(command.describe, width));
    if (command.positionals.length) {
      out.push("", "Positionals:", ...table(command.positionals.map((p) => [p.name, `${p.describe}  [string] [required]`]), width));
    }
    const rows: [string, string][] = [["-h, --help", "Show help  [boolean]"]];
    for (const [name, o] of Object.entries(command.options)) {
      const dflt = o.default === undefined ? "" : ` [default: ${JSON.stringify(o.default)}]`;
      rows.push([`    --${name}`, `${o.describe}  [${o.type}]${dflt}`]);
    }
    out.push("", "Options:", ...table(rows, width));
  }
  return out.join("\n") + "\n";
}

function table(rows: readonly (readonly [string, string])[], width: number): string[] {
  const left = Math.max(...rows.map((r) => r[0].length)) + 4;
  const lines: string[] = [];
  for (const [name, text] of rows) {
    const wrapped = wrap(text, Math.max(20, width - left));
    lines.push(`  ${name.padEnd(left - 2)}${wrapped[0] ?? ""}`, ...wrapped.slice(1).map((l) => " ".repeat(left) + l));
  }
  return lines;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
