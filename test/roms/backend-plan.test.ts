// Every backend has the same plan (docs/architecture.md, "The backends"): a file per call group, the same file
// names in each, each exporting its group's bodies, Init in init.ts and index.ts only assembling the program.
// So a call is found in the same file name in every backend, and no call is defined in two groups of one
// backend (index.ts spreads the groups: the later one would silently win).

import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BACKENDS } from "../../roms/index.ts";
import type { Body } from "../../src/image/program.ts";

/** Group file → the name of the record it exports. */
const GROUPS: Readonly<Record<string, string>> = {
  cpu: "cpuCalls",
  registers: "registerCalls",
  descriptors: "descriptorCalls",
  interrupts: "interruptCalls",
  paging: "pagingCalls",
  io: "ioCalls",
  platform: "platformCalls",
};

type Groups = Map<string, Readonly<Record<string, Body>>>;

async function groupsOf(backend: string): Promise<Groups> {
  const groups: Groups = new Map();
  for (const [file, name] of Object.entries(GROUPS)) {
    const mod = (await import(`../../roms/${backend}/${file}.ts`)) as Record<string, unknown>;
    const calls = mod[name];
    if (typeof calls !== "object" || calls === null) throw new Error(`roms/${backend}/${file}.ts exports no ${name}`);
    groups.set(file, calls as Record<string, Body>);
  }
  return groups;
}

describe("every backend has the same plan", () => {
  for (const [backend, program] of Object.entries(BACKENDS)) {
    it(`${backend}: the group files, init.ts and index.ts; each call in one group; the groups are the program's calls`, async () => {
      const files = readdirSync(new URL(`../../roms/${backend}/`, import.meta.url));
      for (const f of [...Object.keys(GROUPS), "init", "index"]) expect(files).toContain(`${f}.ts`);
      const groups = await groupsOf(backend);
      const home = new Map<string, string>();
      const twice: string[] = [];
      for (const [file, calls] of groups) {
        for (const call of Object.keys(calls)) {
          const other = home.get(call);
          if (other !== undefined) twice.push(`${call}: ${other}.ts and ${file}.ts`);
          home.set(call, file);
        }
      }
      expect(twice).toEqual([]);
      expect([...home.keys()].sort()).toEqual(Object.keys(program.calls).sort());
      for (const [call, file] of home) expect(program.calls[call], call).toBe(groups.get(file)?.[call]);
    });
  }

  it("a call is in the same file name in every backend", async () => {
    const files = new Map<string, Set<string>>();
    for (const backend of Object.keys(BACKENDS)) {
      for (const [file, calls] of await groupsOf(backend)) {
        for (const call of Object.keys(calls)) files.set(call, new Set([...(files.get(call) ?? []), file]));
      }
    }
    const split = [...files].filter(([, f]) => f.size > 1).map(([call, f]) => `${call}: ${[...f].join(", ")}`);
    expect(split).toEqual([]);
  });
});
