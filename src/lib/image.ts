// "vmirom/image": builds an option ROM from a backend program (RomProgram) and an interface layout.
export * from "../image/index.ts";
export type { Manifest, ManifestCall, Placement, Region } from "../manifest/types.ts";
