// "vmirom/layout": the interface layouts the builder and the checker take. Files are found and read by the
// CLI's loader (the only other place that reads files; the shipped layouts, api3 and api13, are found beside
// the package); text is parsed and checked by src/layout/parse.ts.
export { findLayoutsDir, listLayoutNames, loadLayout, loadLayoutByName } from "../cli/load-layout.ts";
export { parseLayout } from "../layout/parse.ts";
export { validateLayout } from "../layout/validate.ts";
export { renderCHeader, cHeaderFileName, type HypervisorContract } from "../layout/c-header.ts";
export type * from "../layout/types.ts";
export { slotOffset } from "../layout/types.ts";
