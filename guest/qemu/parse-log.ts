// The guest's debug-port lines ("GUEST: KIND key=value ...") as data. Values run to the next
// " key=" token, so they may contain spaces (product names); `what=` always takes the rest of the line.

export type Fields = Record<string, string>;

export interface GuestLine {
  kind: string;
  fields: Fields;
  line: string;
}

export interface CountRow {
  call: string;
  path: string;
  instructions: number;
  hypercalls: number;
  /** False when the call itself cleared TF (iret, sysexit, a fault): counting stopped there. */
  tfKept: boolean;
  slotUsed?: number;
  placement?: string;
  body?: number;
}

export interface ParsedLog {
  lines: GuestLine[];
  begin?: Fields;
  probes: Fields[];
  found?: Fields;
  init?: Fields;
  /** Init failed and the guest went on without the ROM. */
  native?: Fields;
  /** The api13 guest removed its identity map of low memory (Sanos's sequence). */
  drop?: Fields;
  relocs: Fields[];
  relocBad: Fields[];
  pic?: Fields;
  patch?: Fields;
  passed: string[];
  failed: Fields[];
  skipped: Fields[];
  counts: CountRow[];
  hypercalls: Fields[];
  fatal?: Fields;
  info: Fields[];
  end?: Fields;
  /** SeaBIOS's "Running option rom at" lines: how many option ROMs it initialised. */
  seabiosRomRuns: number;
}

const PREFIX = "GUEST: ";

export function parseLine(line: string): GuestLine | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  const rest = line.slice(PREFIX.length);
  const space = rest.indexOf(" ");
  const kind = space < 0 ? rest : rest.slice(0, space);
  const fields: Fields = {};
  if (space >= 0) {
    let body = rest.slice(space + 1);
    const what = body.indexOf(" what=");
    if (body.startsWith("what=")) {
      fields.what = body.slice(5);
      body = "";
    } else if (what >= 0) {
      fields.what = body.slice(what + 6);
      body = body.slice(0, what);
    }
    let key: string | undefined;
    for (const token of body.split(" ")) {
      const eq = token.indexOf("=");
      if (eq > 0 && /^[a-z_0-9]+$/i.test(token.slice(0, eq))) {
        key = token.slice(0, eq);
        fields[key] = token.slice(eq + 1);
      } else if (key !== undefined) {
        fields[key] += ` ${token}`;
      }
    }
  }
  return { kind, fields, line };
}

export function parseGuestLog(log: string): ParsedLog {
  const out: ParsedLog = {
    lines: [],
    probes: [],
    relocs: [],
    relocBad: [],
    passed: [],
    failed: [],
    skipped: [],
    counts: [],
    hypercalls: [],
    info: [],
    seabiosRomRuns: 0,
  };
  for (const raw of log.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("Running option rom at")) out.seabiosRomRuns++;
    const g = parseLine(line);
    if (!g) continue;
    out.lines.push(g);
    const f = g.fields;
    switch (g.kind) {
      case "BEGIN":
        out.begin = f;
        break;
      case "PROBE":
        out.probes.push(f);
        break;
      case "FOUND":
        out.found = f;
        break;
      case "INIT":
        out.init = { ...out.init, ...f };
        break;
      case "NATIVE":
        out.native = f;
        break;
      case "DROP":
        out.drop = f;
        break;
      case "RELOC":
        out.relocs.push(f);
        break;
      case "RELOC-BAD":
        out.relocBad.push(f);
        break;
      case "PIC":
        out.pic = f;
        break;
      case "PATCH":
        out.patch = f;
        break;
      case "PASS":
        out.passed.push(f.test ?? "?");
        break;
      case "FAIL":
        out.failed.push(f);
        break;
      case "SKIP":
        out.skipped.push(f);
        break;
      case "COUNT":
        out.counts.push({
          call: f.call ?? "?",
          path: f.path ?? "?",
          instructions: Number(f.instructions),
          hypercalls: Number(f.hypercalls ?? 0),
          tfKept: f.tf === "kept",
          ...(f.slot_used !== undefined ? { slotUsed: Number(f.slot_used) } : {}),
          ...(f.placement !== undefined ? { placement: f.placement } : {}),
          ...(f.body !== undefined ? { body: Number(f.body) } : {}),
        });
        break;
      case "HC":
        out.hypercalls.push(f);
        break;
      case "FATAL":
        out.fatal = { ...f };
        break;
      case "REGS":
        if (out.fatal) Object.assign(out.fatal, f);
        break;
      case "INFO":
        out.info.push(f);
        break;
      case "END":
        out.end = f;
        break;
    }
  }
  return out;
}
