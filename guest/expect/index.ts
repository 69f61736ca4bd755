// Expectations by backend name (the manifest's `backend`). A new backend registers its file here.

import { nativeExpectations } from "./native.ts";
import type { BackendExpectations } from "./types.ts";
import { vmwareExpectations } from "./vmware.ts";
import { xenExpectations } from "./xen.ts";

export const EXPECTATIONS: Readonly<Record<string, BackendExpectations>> = {
  native: nativeExpectations,
  vmware: vmwareExpectations,
  xen: xenExpectations,
};
