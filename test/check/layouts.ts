// The real interface layouts (layouts/*.json through the project's loader), for the checker tests.

import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Layout } from "../../src/layout/types.ts";

export function layoutNamed(name: "api3" | "api13"): Layout {
  const r = loadLayoutByName(name);
  if (!r.ok) throw new Error(`cannot load layout ${name}: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.value;
}
