/* Every trap enters here (boot.S's stubs): hardware interrupts become events, the guest's exceptions are
 * emulated (privileged instructions its kernel may run itself), turned into hypercalls (vmware's vmcall,
 * xen's int $0x82) or bounced to the guest's own handlers. Anything the contract does not allow is a
 * violation, reported and then handled as the CPU would (the guest gets its #GP or #UD). */
#include "monitor.h"

#define APIC_TIMER_VECTOR 0xf0
#define APIC_SPURIOUS_VECTOR 0xff

/* Guest linear memory is the monitor's too (one address space), but a wrong pointer must not kill the
 * monitor: reads and writes check the guest's page tables first. */
static int mapped(u32 va, int write) {
    u32 pde = 0, pte;
    u32 *pd = map_phys(2, READ_CR(3) & ~0xfff);
    pde = pd[va >> 22];
    if (!(pde & 1)) return 0;
    if (pde & 0x80) return !write || (pde & 2) || !(READ_CR(0) & 0x10000);
    u32 *pt = map_phys(3, pde & ~0xfff);
    pte = pt[(va >> 12) & 0x3ff];
    if (!(pte & 1)) return 0;
    return !write || ((pte & 2) && (pde & 2)) || !(READ_CR(0) & 0x10000);
}

int guest_read(u32 va, void *dst, u32 n) {
    for (u32 i = 0; i < n; i++) {
        if ((i == 0 || ((va + i) & 0xfff) == 0) && !mapped(va + i, 0)) return 0;
        ((u8 *)dst)[i] = *(volatile u8 *)(va + i);
    }
    return 1;
}

int guest_write(u32 va, const void *src, u32 n) {
    for (u32 i = 0; i < n; i++) {
        if ((i == 0 || ((va + i) & 0xfff) == 0) && !mapped(va + i, 1)) return 0;
        *(volatile u8 *)(va + i) = ((const u8 *)src)[i];
    }
    return 1;
}

static int pic_vector(u32 v) {
    return (v >= vcpu.pic_base[0] && v < vcpu.pic_base[0] + 8u) || (v >= vcpu.pic_base[1] && v < vcpu.pic_base[1] + 8u);
}

/* A hardware interrupt: the timer's alarm or a device line the guest programmed. */
static void interrupt(u32 v) {
    if (v == APIC_TIMER_VECTOR) {
        apic_eoi();
        if (timer_expired()) raise_event(0x20);    /* Linux without an I/O APIC takes the VMI alarm at FIRST_EXTERNAL_VECTOR */
    } else if (v == APIC_SPURIOUS_VECTOR) {
        return;
    } else {
        raise_event(v);
    }
}

/* sysenter from user space: enter the guest kernel's sysenter entry at CPL 1, as the CPU would at CPL 0. */
static void sysenter(struct frame *f) {
    if (!vcpu.sysenter_cs) fail(f, "sysenter before the guest set MSR_SYSENTER_CS");
    f->cs = (vcpu.sysenter_cs & ~3u) | 1;
    f->ss = ((vcpu.sysenter_cs & ~3u) + 8) | 1;
    f->esp = vcpu.sysenter_esp;
    f->eip = vcpu.sysenter_eip;
    f->eflags = 0x202;
    set_vif(0);
}

void trap_entry(struct frame *f) {
    u32 v = f->vector;
    count_trap(v == VEC_SYSENTER ? 256 : v);
    if (v == VEC_SYSENTER) { sysenter(f); return; }
    if (!(f->cs & 3)) {
        /* The monitor itself: interrupts while it halts, and an MSR the CPU lacks. */
        extern char rdmsr_insn[], wrmsr_insn[], msr_fault[];
        if (v == 13 && (f->eip == (u32)rdmsr_insn || f->eip == (u32)wrmsr_insn)) { f->eip = (u32)msr_fault; return; }
        if (v >= 0x20 && (pic_vector(v) || v == APIC_TIMER_VECTOR || v == APIC_SPURIOUS_VECTOR)) { interrupt(v); return; }
        fail(f, "the monitor took exception %x", v);
    }
    if ((f->cs & 3) > stat_cpl_seen || !stat_cpl_seen) { if ((f->cs & 3) != 3) stat_cpl_seen = f->cs & 3; }
    if (v >= 0x20 && (pic_vector(v) || v == APIC_TIMER_VECTOR || v == APIC_SPURIOUS_VECTOR)) {
        interrupt(v);
        deliver_pending(f);
        return;
    }
    switch (v) {
    case 14:
        vcpu.cr2 = READ_CR(2);
        inject(f, 14, 1, f->error, 0);
        return;
    case 13:
        if ((f->cs & 3) == 1 && !f->error && emulate_privileged(f)) { deliver_pending(f); return; }
        inject(f, 13, 1, f->error, 0);
        return;
    case 6: {
        u8 b[3] = { 0, 0, 0 };
        guest_read(f->eip, b, 3);
        if (b[0] == 0x0f && b[1] == 0x01 && b[2] == 0xc1) {
            if (vcpu.kind != HV_VMWARE) violation(f, "vmcall", "the xen contract has no vmcall");
            else if ((f->cs & 3) != 1 || !in_rom(f->eip)) violation(f, "vmcall", "a hypercall from outside the ROM");
            else { vmware_hypercall(f); return; }
        }
        inject(f, 6, 0, 0, 0);
        return;
    }
    case 8: fail(f, "double fault in the guest");
    case 0x82:
        if (vcpu.kind == HV_XEN) {
            if ((f->cs & 3) != 1 || !in_rom(f->eip - 2)) violation(f, "int $0x82", "a hypercall from outside the ROM");
            else { xen_hypercall(f); return; }
        }
        break;
    }
    if (v < 32) {
        int err = (v == 8) || (v >= 10 && v <= 14) || v == 17;
        inject(f, v, err, f->error, 0);
    } else {
        inject(f, v, 0, 0, 1);     /* int n: a software interrupt through a gate the guest opened */
    }
}
