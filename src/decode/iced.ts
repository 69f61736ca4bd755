// The one place iced-x86 is loaded. It is a WebAssembly package: loading it costs start-up time, so it is
// loaded on first use, and only the commands that decode pay for it.

import { createRequire } from "node:module";
import type * as IcedModule from "iced-x86";

export type Iced = typeof IcedModule;
let icedModule: Iced | undefined;

/** iced-x86, from wherever this module runs: ESM, or a CommonJS bundle without import.meta. */
export function iced(): Iced {
  if (!icedModule) {
    const load = typeof import.meta.url === "string" ? createRequire(import.meta.url) : require;
    icedModule = load("iced-x86") as Iced;
  }
  return icedModule;
}
