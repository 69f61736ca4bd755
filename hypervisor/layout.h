/* Where the monitor lives: one place for the numbers boot.S, link.ld and the C code share. */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

/* The monitor's 4 MiB region: virtual_top (0xFC000000, page-directory entry 1008) up, one page table.
 * Physically it is the top 4 MiB below MON_PHYS_END: the e820 map Linux gets ends RAM at MON_PHYS. */
#define MON_VIRT        0xFC000000
#define MON_PHYS        0x0F800000   /* qemu -m 256: the monitor's 4 MiB, below SeaBIOS's tables at the top */
#define MON_SIZE        0x00400000
#define MON_PHYS_END    (MON_PHYS + MON_SIZE)
#define MON_IMAGE_OFF   0x2000       /* the shared area (2 pages) comes first, the image after it */
#define V2P(v)          ((v) - MON_VIRT + MON_PHYS)
/* Copies of the guest's page-table pages (the monitor's view), 2048 pages, mapped one at a time. */
#define VIEW_POOL_PHYS  0x0F000000
#define VIEW_POOL_PAGES 2048
/* RAM the guest is given (e820): everything below the view pool, less the usual low-memory holes. */
#define GUEST_RAM_END   VIEW_POOL_PHYS
#define RAM_NEEDED      MON_PHYS_END

/* Page-table slots at the top of the region for temporary mappings (physical pages, the local APIC). */
#define MAP_SLOT_BASE   (MON_VIRT + MON_SIZE - 0x10000)  /* 16 slots of 4 KiB */
#define APIC_VIRT       (MAP_SLOT_BASE + 15 * 0x1000)

/* Selectors of the monitor's real GDT: guest entries 0-31 are shadowed as they are, ours follow. */
#define GUEST_GDT_ENTRIES 32
#define SEL_MON_CS      (32 * 8)
#define SEL_MON_DS      (33 * 8)
#define SEL_MON_TSS     (34 * 8)
#define SEL_BOOT_CS     0x10        /* Linux's 32-bit boot protocol wants __BOOT_CS/__BOOT_DS */
#define SEL_BOOT_DS     0x18
#define GDT_ENTRIES     35

#define STACK_SIZE      0x4000

/* Frame layout the trap stubs build (offsets in bytes, see struct frame in monitor.h). */
#define VEC_SYSENTER    0x100

#endif
