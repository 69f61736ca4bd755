/* Events: the virtual interrupt flag, interrupts that wait for it, and bouncing an exception or interrupt to
 * the guest's own handler (its IDT, its kernel stack), as the CPU would have done for a ring-1 kernel. */
#include "monitor.h"

#define VMW_IF      VMI_API3_SHARED_INTERRUPT_FLAG_OFFSET
#define VMW_PENDING VMI_API3_SHARED_PENDING_EVENTS_OFFSET
#define XEN_PENDING 0x000
#define XEN_MASK    0x001

int vif(void) {
    if (vcpu.kind == HV_XEN) return !SHINFO8(XEN_MASK);
    return (SHARED(VMW_IF) & EFLAGS_IF) != 0;
}

void set_vif(int on) {
    if (vcpu.kind == HV_XEN) SHINFO8(XEN_MASK) = on ? 0 : 1;
    else SHARED(VMW_IF) = on ? EFLAGS_IF : 0;
}

static int any_pending(void) {
    for (int i = 0; i < 8; i++) if (vcpu.pending[i]) return 1;
    return 0;
}

static void publish_pending(void) {
    int p = any_pending();
    if (vcpu.kind == HV_XEN) SHINFO8(XEN_PENDING) = (u8)p;
    else SHARED(VMW_PENDING) = p ? EFLAGS_IF : 0;
}

void raise_event(u32 vector) {
    vcpu.pending[vector >> 5] |= 1u << (vector & 31);
    publish_pending();
}

/* The guest's view of EFLAGS: the real flags with the virtual IF and IOPL. */
u32 guest_eflags(struct frame *f) {
    return (f->eflags & ~(EFLAGS_IF | EFLAGS_IOPL)) | (vif() ? EFLAGS_IF : 0) | vcpu.iopl;
}

void inject(struct frame *f, u32 vector, int has_error, u32 error, int software) {
    u64 g = guest_gate(vector);
    u32 lo = (u32)g, hi = (u32)(g >> 32);
    u32 type = (hi >> 8) & 0x1f, dpl = (hi >> 13) & 3;
    if (!(hi & 0x8000) || (type != 0xe && type != 0xf)) {
        if (vector == 8) fail(f, "double fault: the guest's IDT has no gate for it");
        if (vector == 13 && has_error && error == 8 * 8 + 2) fail(f, "triple fault");
        /* As the CPU: a missing gate is #GP(vector * 8 + 2); a fault while delivering that is a double fault. */
        printk("HV: the guest's IDT cannot take vector 0x%x (gate %x:%x)\n", vector, hi, lo);
        inject(f, vector == 13 ? 8 : 13, 1, vector == 13 ? 0 : vector * 8 + 2, 0);
        return;
    }
    if (software && (f->cs & 3) > dpl) { inject(f, 13, 1, vector * 8 + 2, 0); return; }
    if (vcpu.trace) printk("HV: inject %x err %x from %x:%x esp %x vif %u\n", vector, error, f->cs, f->eip, f->esp, vif());
    u32 sel = (lo >> 16) | 1, entry = (lo & 0xffff) | (hi & 0xffff0000);
    u32 words[6], n = 0, ss, esp;
    if ((f->cs & 3) == 3) {
        ss = vcpu.kstack_ss | 1;
        esp = vcpu.kstack_esp;
        words[n++] = f->ss;
        words[n++] = f->esp;
    } else {
        ss = f->ss;
        esp = f->esp;
    }
    words[n++] = guest_eflags(f);
    words[n++] = f->cs;
    words[n++] = f->eip;
    if (has_error) words[n++] = error;
    /* Pushed in order, as the CPU does: the first word ends up at the highest address. */
    for (u32 k = 0; k < n; k++) {
        esp -= 4;
        if (!guest_write(esp, &words[k], 4))
            fail(f, "cannot write the exception frame for vector %x on the guest stack at %x", vector, esp);
    }
    f->ss = ss;
    f->esp = esp;
    f->cs = sel;
    f->eip = entry;
    f->eflags = (f->eflags & ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM | EFLAGS_IOPL)) | EFLAGS_IF;
    if (type == 0xe) set_vif(0);
}

/* Deliver the first waiting event when the guest can take it. Returns 1 when one was delivered. */
int deliver_pending(struct frame *f) {
    if (!vif()) return 0;
    for (u32 v = 0; v < 256; v++) {
        if (vcpu.pending[v >> 5] & (1u << (v & 31))) {
            vcpu.pending[v >> 5] &= ~(1u << (v & 31));
            publish_pending();
            inject(f, v, 0, 0, 0);
            return 1;
        }
    }
    return 0;
}

/* Halt: interrupts on (virtually), wait with real interrupts on until an event waits, then deliver it. */
extern volatile u32 events_arrived;
void halt_until_event(struct frame *f) {
    set_vif(1);
    while (!any_pending()) __asm__ volatile("sti; hlt; cli" ::: "memory");
    deliver_pending(f);
}
