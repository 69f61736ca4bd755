// "vmirom/roms": the shipped backends (native, vmware, xen), ready for buildImage.
export { BACKENDS, HYPERVISOR_CONTRACTS } from "../../roms/index.ts";
