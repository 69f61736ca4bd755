// The hypervisor shared area: memory the hypervisor maps at the layout's virtual_top (0xFC000000) for the
// paravirtual ROMs, described once. The ROM programs address its fields, the C header (vmi-api<major>.h)
// prints their offsets, and the test guest's hypervisor models read and write them. docs/hypervisors.md
// is the prose form of this table; test/layout/shared-area.test.ts keeps the two in step.
//
// Facts behind it (docs/vmi-interface.md §6): VMware's 13.0 ROM reads a structure at 0xFC000000 whose
// linear-map lookaside (4 entries of 16 bytes: startVA, endVA, physOffset, reserved) starts at +0x54.
// Everything else is vmirom's own contract.

export interface SharedField {
  readonly offset: number;
  readonly size: number;
  /** What the field holds and who writes it. */
  readonly doc: string;
}

/** "VMIh": the first dword of the area when a vmirom hypervisor is present (bytes 'V','M','I','h'). */
export const SHARED_MAGIC = 0x68494d56;
/** Contract version in `version`; a ROM refuses a different one. */
export const SHARED_VERSION = 1;

/** Hypervisor identities in `hypervisor` (4 ASCII bytes as a little-endian dword). */
export const HYPERVISOR_IDS = {
  vmware: 0x72774d56, // "VMwr"
  xen: 0x336e6558, // "Xen3"
} as const;
export type HypervisorName = keyof typeof HYPERVISOR_IDS;

export const LINEAR_MAP_SLOTS = 4;
export const LINEAR_MAP_ENTRY = { startVA: 0, endVA: 4, physOffset: 8, reserved: 12, size: 16 } as const;
export const QUEUE_CAPACITY = 32;
/** One queued update: {pa, value, arg1, arg2, hypercall number} (VMIEnqueue's five arguments). */
export const QUEUE_ENTRY = { pa: 0, value: 4, arg1: 8, arg2: 12, hypercall: 16, size: 20 } as const;

export const SHARED_AREA = {
  magic: { offset: 0x00, size: 4, doc: "SHARED_MAGIC ('VMIh'), written by the hypervisor before the guest runs" },
  hypervisor: { offset: 0x04, size: 4, doc: "which hypervisor (HYPERVISOR_IDS), written by the hypervisor" },
  version: { offset: 0x08, size: 4, doc: "contract version (SHARED_VERSION), written by the hypervisor" },
  interruptFlag: { offset: 0x10, size: 4, doc: "virtual EFLAGS image: interrupts enabled iff bit 0x200 is set (ROM writes; vmware)" },
  pendingEvents: { offset: 0x14, size: 4, doc: "0x200 while an event waits for delivery, else 0 (hypervisor writes; vmware)" },
  mode: { offset: 0x18, size: 4, doc: "batching mode: api3 lazy mode (0 off, 1 MMU, 2 CPU) or api13 deferred bits (ROM writes)" },
  queueCount: { offset: 0x1c, size: 4, doc: "entries waiting in the update queue (ROM appends; the flush empties it)" },
  linearMap: {
    offset: 0x54,
    size: LINEAR_MAP_SLOTS * LINEAR_MAP_ENTRY.size,
    doc: "4 lookaside entries {startVA, endVA, physOffset, reserved}, filled by SetLinearMapping",
  },
  queue: { offset: 0x100, size: QUEUE_CAPACITY * QUEUE_ENTRY.size, doc: "update queue: QUEUE_CAPACITY entries {pa, value, arg1, arg2, hypercall}" },
  scratch: { offset: 0x400, size: 0xc00, doc: "ROM scratch for marshalling a flush (xen: mmu_update requests, multicall entries)" },
  backendPage: { offset: 0x1000, size: 0x1000, doc: "one page the backend's hypervisor defines (xen: its shared_info page)" },
} as const satisfies Record<string, SharedField>;
export type SharedFieldName = keyof typeof SHARED_AREA;

/**
 * The late-launch block (docs/hypervisors.md, "Late launch"): a hypervisor that is resident but not yet
 * running the guest leaves these four dwords in the BIOS data area's inter-application communication area
 * (physical 0x4F0-0x4FF, which neither Linux nor Sanos touches). A paravirtual ROM's Init that finds no shared
 * area installs `pde` as the page-directory entry of virtual_top and calls `entry` with EAX = the hypervisor id
 * it wants; the hypervisor takes the machine over and returns to Init at CPL 1 with EAX = 0, or refuses with
 * EAX = -1 (still at CPL 0). check = ~(magic + pde + entry), mod 2^32.
 */
export const LAUNCH_BLOCK = {
  address: 0x4f0,
  magic: 0x6c494d56, // "VMIl"
  fields: { magic: 0, pde: 4, entry: 8, check: 12 },
  size: 16,
} as const;

/** Bytes the hypervisor maps at virtual_top for the paravirtual backends. */
export const SHARED_AREA_SIZE = 0x2000;

/** Linear address of a field for a layout's virtual_top (plus `extra` bytes). */
export function sharedAddress(virtualTop: number, field: SharedFieldName, extra = 0): number {
  return (virtualTop + SHARED_AREA[field].offset + extra) >>> 0;
}

/**
 * api13 ROMs are called through this alias after the guest drops its identity map: physical 0-4 MiB mapped at
 * 0xFFC00000 (page-directory entry 1023), inside the top area VMI reserves. The native ROM installs it in Init;
 * a paravirtual ROM's hypervisor keeps it mapped (docs/hypervisors.md).
 */
export const HIGH_ALIAS = 0xffc00000;
