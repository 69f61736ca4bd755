// The backends the CLI can build, by name. A new backend is one line here.

import type { RomProgram } from "../src/image/program.ts";
import { native } from "./native/index.ts";
import { vmware } from "./vmware/index.ts";
import { xen } from "./xen/index.ts";

export const BACKENDS: Readonly<Record<string, RomProgram>> = {
  native,
  vmware,
  xen,
};
