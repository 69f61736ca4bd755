// The C header the reference hypervisor is compiled against: vmi-api3.h with the backends' contracts, the
// same text `vmirom build` writes beside the api3 ROMs.

import { HYPERVISOR_CONTRACTS } from "../../roms/index.ts";
import { renderCHeader } from "../layout/c-header.ts";
import { selectLayouts } from "./layouts.ts";

export function hypervisorHeader(): string {
  const layouts = selectLayouts("3", undefined);
  if (!layouts.ok || !layouts.value[0]) throw new Error("the api3 layout is missing (layouts/api3.json)");
  return renderCHeader(layouts.value[0], HYPERVISOR_CONTRACTS);
}
