// Port I/O is passed through: the hypervisor's I/O exits reach its device models, no ROM-side protocol needed.
// IODelay does nothing: virtual devices need no settling time.

import type { Body } from "../../src/image/program.ts";
import { ioCalls as native } from "../native/io.ts";
import { justReturn } from "../shared/bodies.ts";

export const ioCalls: Record<string, Body> = {
  ...native,
  IODelay: justReturn,
};
