// Port I/O: a Xen PV kernel runs with the I/O privilege it needs (IOPL), so the native bodies serve as they are.

import type { Body } from "../../src/image/program.ts";
import { ioCalls as native } from "../native/io.ts";

export const ioCalls: Record<string, Body> = {
  ...native,
};
