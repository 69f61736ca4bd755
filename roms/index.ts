// The backends the CLI can build, by name. A new backend is one line here.

import type { HypervisorContract } from "../src/layout/c-header.ts";
import type { RomProgram } from "../src/image/program.ts";
import { native } from "./native/index.ts";
import { vmware } from "./vmware/index.ts";
import { vmwareContract } from "./vmware/hypercalls.ts";
import { xen } from "./xen/index.ts";
import { xenContract } from "./xen/abi.ts";

export const BACKENDS: Readonly<Record<string, RomProgram>> = {
  native,
  vmware,
  xen,
};

/** The paravirtual backends' hypervisor contracts, printed into vmi-api<major>.h for hypervisors in C. */
export const HYPERVISOR_CONTRACTS: readonly HypervisorContract[] = [vmwareContract, xenContract];
