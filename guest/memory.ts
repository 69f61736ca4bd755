// Where the test guest keeps things: physical addresses, virtual windows, selectors and exit codes.
// Fixed addresses (not labels) for everything page-sized, so the loaded image stays small and the
// tables sit well away from the code that the patcher rewrites.

/**
 * The guest image is loaded here (multiboot a.out kludge, load_addr = entry region). Everything the guest uses
 * after an api13 guest drops its identity map of 0-4 MiB (as Sanos does) lies above 4 MiB, identity-mapped, so
 * that the hypervisor models keep using physical = virtual for guest structures.
 */
export const LOAD_ADDR = 0x800000;

export const MEM = {
  /**
   * The page directory a Sanos-style guest (api13) boots with and calls Init under: below 4 MiB, because Init
   * reaches paging structures only through the identity map of low memory (docs/hypervisors.md). When it drops
   * the identity map the guest moves to `pageDir` (a copy without the identity entry).
   */
  bootPageDir: 0x200000,
  /**
   * Page table behind the shared area at layout.virtualTop, filled only when a model's setup asks (present.ts).
   * Below 4 MiB: the presence probe reads it through the identity map; after the drop only the CPU reads it.
   */
  sharedTable: 0x201000,
  /** Guest RAM behind the shared area (SHARED_PAGES pages), inspectable at this identity address. */
  sharedBacking: 0x400000,
  /** Three pages with distinct markers the remapping tests point the test window at. */
  pageA: 0x500000,
  pageB: 0x501000,
  pageC: 0x502000,
  /** The page directory the guest runs on (Linux-style from boot; Sanos-style after the drop), then the four page tables that identity-map 0..16 MiB. */
  pageDir: 0x600000,
  identityTables: 0x601000,
  /** Page table of the test window (TEST_VA): the InvalPage/FlushTLB/SetPxE tests remap its entries. */
  testTable: 0x605000,
  /** Page table that maps the local APIC page. */
  apicTable: 0x606000,
  /** A copy of the page directory for the SetCR3 test, and the test-window table only it uses. */
  pageDirCopy: 0x607000,
  testTableCopy: 0x608000,
  /** Page table a paravirtual api13 model maps the ROM through at the layout's highAlias (present.ts). */
  highAliasTable: 0x609000,
  /** Hypercall log: HC_ENTRY_SIZE-byte records, HC_LOG_MAX of them. */
  hcLog: 0x700000,
  /** Kernel stack: grows down from here; every test starts with ESP reset to it. */
  stackTop: 0x790000,
  /** Ring-0 stack the CPU switches to on ring 3 → 0 transitions (TSS.esp0). */
  ring0StackTop: 0x798000,
  /** Stack for the ring-3 landing code of the IRET and SYSEXIT tests. */
  userStackTop: 0x7a0000,
} as const;

/** The low-memory identity map a Sanos-style guest drops after fetching the relocations (page-directory entry 0). */
export const DROPPED_BYTES = 4 << 20;

/** Bytes identity-mapped from 0 (covers the ROM area 0xC0000-0xFFFFF and all of the above). */
export const IDENTITY_BYTES = 16 << 20;
/** Linux's PAGE_OFFSET: the ROM is called through this alias of low memory. */
export const PAGE_OFFSET = 0xc0000000;
/** Virtual window whose page-table entries the paging tests own. */
export const TEST_VA = 0xe0000000;
export const SHARED_PAGES = 16;
export const APIC_BASE = 0xfee00000;

/** Markers written at the start of pages A, B, C. */
export const MARK = { A: 0xaaaa0001, B: 0xbbbb0002, C: 0xcccc0003 } as const;

/** Page-table entry flags: present, writable, user (ring 3 runs guest code too). */
export const PTE_PWU = 0x7;
export const PTE_PCD = 0x10;

export const SEL = {
  code0: 0x08,
  data0: 0x10,
  // SYSEXIT takes its ring-3 selectors from SYSENTER_CS + 16 / + 24: keep these right after code0/data0.
  code3: 0x18 | 3,
  data3: 0x20 | 3,
  tss0: 0x28,
  ldt: 0x30,
  tss1: 0x38,
  /** Spare GDT entries the WriteGDTEntry test writes. */
  spare: 0x40,
} as const;
export const GDT_ENTRIES = 10;
export const LDT_ENTRIES = 2;
export const TSS_SIZE = 0x68;

/** Interrupt vectors beyond the 32 exceptions. */
export const VEC = {
  irqBase: 0x20,
  /** Ring 3 returns to the kernel through this DPL-3 gate. */
  toKernel: 0x81,
  /** Xen-style hypercall transport. */
  hypercall: 0x82,
  /** The WriteIDTEntry test installs a gate here. */
  written: 0x90,
} as const;
export const IDT_ENTRIES = 256;

/** isa-debug-exit values (qemu exits with (v << 1) | 1). */
export const EXIT = { pass: 0x10, fail: 0x11, noRom: 0x12, fatal: 0x13 } as const;
export const exitStatus = (v: number): number => (v << 1) | 1;

export const DEBUG_PORT = 0x402;
export const EXIT_PORT = 0xf4;

/** One hypercall record: seq, transport, eax, ebx, ecx, edx, esi, edi, eip, result. */
export const HC_ENTRY_SIZE = 40;
export const HC_LOG_MAX = 1024;
