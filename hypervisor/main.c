/* Boot: qemu's multiboot loader hands over the bzImage and initrd as modules. The monitor prepares the
 * machine (its own GDT, IDT and TSS, the 8259s masked), loads Linux through the 32-bit boot protocol with an
 * e820 map that hides the monitor's memory, leaves the late-launch block where a ROM's Init finds it, and
 * starts Linux at CPL 0 with paging off. Linux runs natively until it calls the ROM's Init. */
#include "monitor.h"

struct vcpu vcpu;

struct mb_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_module { u32 start, end, string, reserved; };

extern void enter_linux(u32 boot_params, u32 entry) __attribute__((noreturn));
extern char launch_entry[];
extern u32 mon_pt[];

#define BOOT_PARAMS 0x90000
#define CMDLINE     0x98000
#define CMDLINE_MAX 2048

/* The late-launch block (docs/hypervisors.md, "Late launch"): four dwords in the BIOS data area's
 * inter-application communication area (physical 0x4F0), which Linux and Sanos leave alone. */
#define LAUNCH_BLOCK    0x4F0
#define LAUNCH_MAGIC    0x6C494D56  /* "VMIl" */

/* Our own options, from the multiboot command line: "hv=vmware" (the default) or "hv=xen". */
static void parse_options(const char *s) {
    vcpu.kind = HV_VMWARE;
    for (; *s; s++) {
        if (!memcmp(s, "hv=xen", 6)) vcpu.kind = HV_XEN;
        if (!memcmp(s, "trace", 5)) vcpu.trace = 1;
    }
}

/* The first word of a module string is its file name; what follows is Linux's command line. */
static const char *after_first_word(const char *s) {
    while (*s && *s != ' ') s++;
    while (*s == ' ') s++;
    return s;
}

static void e820_add(u8 *bp, u64 base, u64 size, u32 type) {
    u8 n = bp[0x1e8];
    u8 *e = bp + 0x2d0 + n * 20;
    memcpy(e, &base, 8);
    memcpy(e + 8, &size, 8);
    memcpy(e + 16, &type, 4);
    bp[0x1e8] = n + 1;
}

/* The VMI ROM as Linux finds it: the first 2 KiB-aligned option ROM in 0xC0000-0xDFFFF with "cVmi" at +8. */
static void find_rom(void) {
    for (u32 pa = 0xC0000; pa < 0xE0000; pa += 0x800) {
        const u8 *p = (const u8 *)pa;
        if (p[0] == 0x55 && p[1] == 0xAA && !memcmp(p + 8, "cVmi", 4)) {
            vcpu.rom_phys = pa;
            vcpu.rom_size = p[2] * 512;
            printk("HV: VMI ROM at 0x%x, %u bytes\n", pa, vcpu.rom_size);
            return;
        }
    }
    printk("HV: no VMI ROM in 0xc0000-0xdffff\n");
}

void monitor_main(u32 magic, struct mb_info *mbi) {
    printk("HV: vmirom reference hypervisor\n");
    if (magic != 0x2BADB002) fail(0, "not started by a multiboot loader (magic %x)", magic);
    parse_options((mbi->flags & 4) ? (const char *)mbi->cmdline : "");
    printk("HV: contract %s, memory %u KiB\n", vcpu.kind == HV_XEN ? "xen" : "vmware", mbi->mem_upper + 1024);
    if ((u64)(mbi->mem_upper + 1024) * 1024 < RAM_NEEDED) fail(0, "the monitor needs %u MiB of memory (qemu -m 256)", RAM_NEEDED >> 20);
    if (!(mbi->flags & 8) || mbi->mods_count < 1) fail(0, "no kernel: qemu -initrd \"bzImage args[,initrd]\"");
    struct mb_module *mods = (struct mb_module *)mbi->mods_addr;
    cpu_init_boot();
    find_rom();

    /* The bzImage: setup header at 0x1F1, protected-mode code after the setup sectors. */
    u8 *k = (u8 *)mods[0].start;
    u32 ksize = mods[0].end - mods[0].start;
    if (ksize < 0x1000 || memcmp(k + 0x202, "HdrS", 4)) fail(0, "module 0 is not a bzImage (no HdrS at 0x202)");
    u16 version = *(u16 *)(k + 0x206);
    if (version < 0x0203) fail(0, "boot protocol %x is older than 2.03", version);
    u32 setup = k[0x1f1] ? k[0x1f1] : 4;
    u32 pm_off = (setup + 1) * 512;
    u32 code32 = *(u32 *)(k + 0x214);
    memcpy((void *)code32, k + pm_off, ksize - pm_off);

    u8 *bp = (u8 *)BOOT_PARAMS;
    memset(bp, 0, 4096);
    u32 hdr_end = 0x202 + k[0x201];            /* the header's own length, from the jump at 0x200 */
    memcpy(bp + 0x1f1, k + 0x1f1, hdr_end - 0x1f1);
    bp[0x210] = 0xff;                          /* type_of_loader: undefined */
    bp[0x211] &= ~0x40;                        /* KEEP_SEGMENTS off: we load the boot selectors */
    const char *args = after_first_word((const char *)mods[0].string);
    u32 n = strlen(args);
    if (n >= CMDLINE_MAX) n = CMDLINE_MAX - 1;
    memcpy((void *)CMDLINE, args, n);
    ((char *)CMDLINE)[n] = 0;
    *(u32 *)(bp + 0x228) = CMDLINE;
    if (mbi->mods_count > 1) {
        u32 isize = mods[1].end - mods[1].start;
        u32 at = (GUEST_RAM_END - isize) & ~0xfffu;
        memcpy((void *)at, (void *)mods[1].start, isize);
        *(u32 *)(bp + 0x218) = at;
        *(u32 *)(bp + 0x21c) = isize;
        printk("HV: initrd %u bytes at 0x%x\n", isize, at);
    }
    /* e820: low memory below the EBDA, then RAM from 1 MiB to the view pool. The monitor is not in it. */
    e820_add(bp, 0, 0x9f000, 1);
    e820_add(bp, 0x9f000, 0x61000, 2);
    e820_add(bp, 0x100000, GUEST_RAM_END - 0x100000, 1);
    printk("HV: linux at 0x%x, command line \"%s\"\n", code32, (const char *)CMDLINE);

    /* The launch block: the page-directory entry that maps the monitor at virtual_top, and its entry. */
    u32 *lb = (u32 *)LAUNCH_BLOCK;
    lb[0] = LAUNCH_MAGIC;
    lb[1] = V2P((u32)mon_pt) | 3;
    lb[2] = (u32)launch_entry;
    lb[3] = ~(lb[0] + lb[1] + lb[2]);
    timer_init();
    enter_linux(BOOT_PARAMS, code32);
}
