// Public surface of the image checker: an independent second opinion on a built ROM that reads
// only the bytes, the interface layout and (optionally) the build manifest. It never imports the
// assembler (src/asm) or the builder (src/image).

export { checkImage, type CheckOptions } from "./check-image.ts";
export { formatViolations, formatViolation, summarize, countSlots } from "./report.ts";
export type { Violation } from "./violation.ts";
export { productPattern } from "./pnp.ts";
export { sha256Hex } from "./manifest-check.ts";
