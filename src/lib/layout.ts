// "vmirom/layout": the interface layouts the builder and the checker take. The loader lives with the CLI (the
// only other place that reads files); the shipped layouts (api3, api13) are found beside the package.
export { findLayoutsDir, listLayoutNames, loadLayout, loadLayoutByName, parseLayout } from "../cli/load-layout.ts";
export { validateLayout } from "../layout/validate.ts";
export { renderCHeader, cHeaderFileName, type HypervisorContract } from "../layout/c-header.ts";
export type * from "../layout/types.ts";
export { slotOffset } from "../layout/types.ts";
