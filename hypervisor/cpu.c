/* The real descriptor tables. The GDT's first 32 entries shadow the guest's GDT with every DPL-0 code or
 * data descriptor raised to DPL 1 (the kernel runs at CPL 1 and still loads its RPL-0 selectors, as lguest
 * arranges it); the monitor's own entries follow. The IDT is the monitor's: every vector enters a stub, and a
 * gate's DPL follows the guest's gate so that `int n` from user space is allowed exactly where the guest
 * allows it. The TSS only gives the monitor its stack. Late launch (launch_main) takes these over from the
 * guest's native state. */
#include "monitor.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], segs[6], ldt; u16 trap, iomap; };

static u64 gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static u64 idt[256] __attribute__((aligned(8)));
static struct tss tss __attribute__((aligned(16)));
static u64 guest_idt_copy[256];           /* the gates as the guest set them through the ROM */
extern char trap_stubs[], sysenter_entry[], stack[];
struct dtr { u16 limit; u32 base; } __attribute__((packed));
/* The GDT by its physical address, for enter_linux, which turns paging off. */
struct dtr boot_gdtr_phys;

static u64 seg(u32 base, u32 limit, u32 type_dpl) {
    /* type_dpl: access byte (P, DPL, S, type); 4 KiB granularity, 32-bit */
    return (u64)(limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)type_dpl << 40) |
           ((u64)((limit >> 16) & 0xf) << 48) | ((u64)0xc << 52) | ((u64)(base >> 24) << 56);
}

/* A guest descriptor as the real GDT holds it: DPL 0 code/data raised to 1 (accessed bit preset, so the CPU
 * never writes the shadow back). System descriptors (TSS, LDT, gates) stay out: the monitor keeps its TSS. */
static u64 shadow_descriptor(u64 d) {
    u32 access = (u32)(d >> 40) & 0xff;
    if (!(access & 0x80)) return 0;
    if (!(access & 0x10)) return (access & 0xf) == 2 ? d : 0;   /* an LDT stays; TSS and gates do not */
    if (((access >> 5) & 3) == 0) access |= 1 << 5;
    access |= 1;
    return (d & ~((u64)0xff << 40)) | ((u64)access << 40);
}

void gdt_set_guest(u32 index, u32 lo, u32 hi) {
    if (index < GUEST_GDT_ENTRIES) gdt[index] = shadow_descriptor(((u64)hi << 32) | lo);
}

void gdt_load_guest_table(u32 base, u32 limit) {
    vcpu.gdt_base = base;
    vcpu.gdt_limit = limit;
    u32 n = (limit + 1) / 8;
    for (u32 i = 0; i < GUEST_GDT_ENTRIES; i++) {
        u64 d = 0;
        if (i < n) guest_read(base + i * 8, &d, 8);
        gdt[i] = shadow_descriptor(d);
    }
}

static void set_gate(u32 v, u32 dpl) {
    u32 addr = (u32)trap_stubs + v * 16;
    idt[v] = (u64)(addr & 0xffff) | ((u64)SEL_MON_CS << 16) | ((u64)(0x8e | (dpl << 5)) << 40) |
             ((u64)(addr >> 16) << 48);
}

/* The real gate of `vector` follows the guest's gate DPL (1 at least: the kernel may `int` into it). */
void idt_sync_gate(u32 vector) {
    u64 g = 0;
    if (vcpu.idt_limit >= vector * 8 + 7) guest_read(vcpu.idt_base + vector * 8, &g, 8);
    guest_idt_copy[vector] = g;
    u32 dpl = (u32)(g >> 45) & 3;
    if (vcpu.kind == HV_XEN && vector == 0x82) dpl = 1;    /* the hypercall gate: the kernel's, not user space's */
    set_gate(vector, dpl);
}

/* The gate the guest set for `vector` (through SetIDT, WriteIDTEntry or set_trap_table). */
u64 guest_gate(u32 vector) { return guest_idt_copy[vector & 0xff]; }
void guest_gate_set(u32 vector, u64 g) {
    u32 dpl = (u32)(g >> 45) & 3;
    guest_idt_copy[vector & 0xff] = g;
    if (vcpu.kind == HV_XEN && vector == 0x82) dpl = 1;
    set_gate(vector & 0xff, dpl);
}

void tss_set_stack(u32 esp0) { tss.esp0 = esp0; }

static void load_tables(void) {
    struct dtr g = { sizeof gdt - 1, (u32)gdt }, i = { sizeof idt - 1, (u32)idt };
    __asm__ volatile("lgdt %0; lidt %1" : : "m"(g), "m"(i));
}

void cpu_init_boot(void) {
    gdt[SEL_BOOT_CS / 8] = seg(0, 0xfffff, 0x9a);
    gdt[SEL_BOOT_DS / 8] = seg(0, 0xfffff, 0x92);
    gdt[SEL_MON_CS / 8] = seg(0, 0xfffff, 0x9a);
    gdt[SEL_MON_DS / 8] = seg(0, 0xfffff, 0x92);
    gdt[SEL_MON_TSS / 8] = (u64)(sizeof tss - 1) | ((u64)((u32)&tss & 0xffffff) << 16) | ((u64)0x89 << 40) |
                           ((u64)((u32)&tss >> 24) << 56);
    tss.ss0 = SEL_MON_DS;
    tss.esp0 = (u32)stack + STACK_SIZE;
    tss.iomap = sizeof tss;                 /* no I/O bitmap: every port access at CPL > IOPL traps */
    for (u32 v = 0; v < 256; v++) set_gate(v, 0);
    load_tables();
    __asm__ volatile("ljmp %0, $1f; 1:" : : "i"(SEL_MON_CS));
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %0, %%fs; mov %0, %%gs" : : "r"(SEL_MON_DS));
    __asm__ volatile("ltr %w0" : : "r"(SEL_MON_TSS));
    boot_gdtr_phys.limit = sizeof gdt - 1;
    boot_gdtr_phys.base = V2P((u32)gdt);
    /* The 8259s: vectors 0x20-0x2f (clear of the exceptions), every line masked until Linux programs them. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 4); outb(0xa1, 2);
    outb(0x21, 1); outb(0xa1, 1);
    outb(0x21, 0xff); outb(0xa1, 0xff);
    vcpu.pic_base[0] = 0x20;
    vcpu.pic_base[1] = 0x28;
    /* sysenter from user space enters the monitor; the guest's own MSR values are virtual (emulate.c). */
    wrmsr(0x174, SEL_MON_CS);
    wrmsr(0x175, (u32)stack + STACK_SIZE);
    wrmsr(0x176, (u32)sysenter_entry);
}

/* Late launch, called from boot.S's launch_entry on the guest's stack at CPL 0 (saved[0..7] = pusha,
 * saved[8] = EFLAGS, saved[9] = the return address into Init). EAX (saved[7]) = the hypervisor id the ROM
 * wants. Returns 0 after taking the machine over (boot.S then returns to Init at CPL 1), -1 to refuse. */
u32 launch_ss, launch_esp, launch_eflags, launch_cs, launch_eip;

int launch_main(u32 *saved) {
    u32 wanted = saved[7];
    u32 id = vcpu.kind == HV_XEN ? VMI_API3_SHARED_HYPERVISOR_XEN : VMI_API3_SHARED_HYPERVISOR_VMWARE;
    if (vcpu.launched || wanted != id) {
        printk("HV: launch refused: the ROM wants hypervisor 0x%x, this is 0x%x%s\n", wanted, id, vcpu.launched ? " (already launched)" : "");
        return -1;
    }
    struct dtr g, i;
    u16 cs, ss, tr, ldt;
    __asm__ volatile("sgdt %0; sidt %1; str %2; sldt %3; mov %%cs, %4; mov %%ss, %5"
                     : "=m"(g), "=m"(i), "=r"(tr), "=r"(ldt), "=r"(cs), "=r"(ss));
    vcpu.cr0 = READ_CR(0);
    vcpu.cr3 = READ_CR(3);
    vcpu.cr4 = READ_CR(4);
    vcpu.idt_base = i.base;
    vcpu.idt_limit = i.limit;
    vcpu.tr_sel = tr;
    vcpu.ldt_sel = ldt;
    vcpu.rom_virt = (saved[9] & ~(0x400000u - 1)) + vcpu.rom_phys;   /* Linux calls through PAGE_OFFSET + physical */
    printk("HV: late launch from 0x%x: gdt 0x%x/%x idt 0x%x/%x cr3 0x%x cr4 0x%x cs %x ss %x\n", saved[9], g.base,
           g.limit, i.base, i.limit, vcpu.cr3, vcpu.cr4, cs, ss);

    /* The shared area: signed, the interrupt flag as the guest had it (Linux calls Init with it clear). */
    memset((void *)MON_VIRT, 0, VMI_API3_SHARED_SIZE);
    SHARED(VMI_API3_SHARED_MAGIC_OFFSET) = VMI_API3_SHARED_MAGIC;
    SHARED(VMI_API3_SHARED_HYPERVISOR_OFFSET) = id;
    SHARED(VMI_API3_SHARED_VERSION_OFFSET) = VMI_API3_SHARED_VERSION;
    vcpu.launched = 1;
    set_vif(saved[8] & EFLAGS_IF);
    if (vcpu.kind == HV_XEN) xen_launch();

    gdt_load_guest_table(g.base, g.limit);
    for (u32 v = 0; v < 256; v++) idt_sync_gate(v);
    load_tables();
    /* Reloading TR needs the busy bit clear. */
    gdt[SEL_MON_TSS / 8] &= ~((u64)2 << 40);
    __asm__ volatile("ltr %w0" : : "r"(SEL_MON_TSS));
    __asm__ volatile("lldt %w0" : : "r"(0));
    pt_walk_cr3(vcpu.cr3, "launch");

    launch_cs = cs | 1;
    launch_ss = ss | 1;
    launch_eflags = (saved[8] | EFLAGS_IF) & ~(EFLAGS_IOPL | EFLAGS_NT | EFLAGS_TF);
    printk("HV: the guest kernel now runs at CPL 1\n");
    return 0;
}
