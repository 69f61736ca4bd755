/* The vmware contract (docs/hypervisors.md, "vmware"): `vmcall` from the ROM, EAX = number, arguments in EBX,
 * ECX, EDX, ESI, EDI, result in EAX (EDX:EAX). Every number and argument is checked; the page-table work goes
 * through paging.c, which keeps the monitor's view of the guest's page tables. */
#include "monitor.h"
#include "contract.h"

int msr_write(u32 msr, u64 v);

struct dtr { u16 limit; u32 base; } __attribute__((packed));

static void queue_flush(struct frame *f, u32 entries) {
    u32 count = SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET);
    if (entries != count) violation(f, "FlushQueue", "EBX = %u entries but queueCount = %u", entries, count);
    if (count > VMI_API3_SHARED_QUEUE_CAPACITY) { violation(f, "FlushQueue", "queueCount %u is over the capacity", count); count = VMI_API3_SHARED_QUEUE_CAPACITY; }
    for (u32 i = 0; i < count; i++) {
        u32 *e = (u32 *)(MON_VIRT + VMI_API3_SHARED_QUEUE_OFFSET + i * VMI_API3_SHARED_QUEUE_ENTRY_SIZE);
        if (vcpu.trace) printk("HV:   queued %x: pa %x value %x\n", e[4], e[0], e[1]);
        if (e[4] == VMW_ASYNC_SetPxEAsync) pt_apply(f, e[0], e[1], "SetPxEAsync");
        else if (e[4] == VMW_ASYNC_SetPxELongAsync) { pt_apply(f, e[0], e[1], "SetPxELongAsync"); pt_apply(f, e[0] + 4, e[2], "SetPxELongAsync"); }
        else violation(f, "FlushQueue", "queue entry %u has hypercall number %x, not an async update", i, e[4]);
    }
    SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET) = 0;
    stat_flushes++;
    stat_flushed_entries += count;
    pt_sync(f, "FlushQueue");
}

void vmware_flush_queue_at_end(void) {
    u32 count = SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET);
    for (u32 i = 0; i < count && i < VMI_API3_SHARED_QUEUE_CAPACITY; i++) {
        u32 *e = (u32 *)(MON_VIRT + VMI_API3_SHARED_QUEUE_OFFSET + i * VMI_API3_SHARED_QUEUE_ENTRY_SIZE);
        if (e[4] == VMW_ASYNC_SetPxEAsync) pt_apply(0, e[0], e[1], "SetPxEAsync");
    }
    SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET) = 0;
}

static u32 guest_apic[256];

static u32 apic_reg_ok(u32 reg) { return reg >= 0xfee00000 && reg < 0xfee01000 && !(reg & 15); }

void vmware_hypercall(struct frame *f) {
    u32 nr = f->eax, a1 = f->ebx, a2 = f->ecx, a3 = f->edx, a4 = f->esi, a5 = f->edi;
    const char *name = vmware_hypercall_name(nr);
    u32 eip = f->eip;
    if (!name) { violation(f, "hypercall", "number %x is not in the vmware table", nr); f->eip += 3; f->eax = (u32)-1; return; }
    f->eip += 3;
    count_hypercall(name);
    note_call(name, eip);
    if (vcpu.trace) printk("HV: %s ebx %x ecx %x edx %x esi %x edi %x at %x\n", name, a1, a2, a3, a4, a5, eip);
    switch (nr) {
    case VMW_HC_WRMSR: if (!msr_write(a1, ((u64)a3 << 32) | a2)) violation(f, name, "MSR %x cannot be written", a1); break;
    case VMW_HC_RDMSR: {
        u64 v = 0;
        if (a1 == 0x174) v = vcpu.sysenter_cs; else if (a1 == 0x175) v = vcpu.sysenter_esp; else if (a1 == 0x176) v = vcpu.sysenter_eip;
        else if (!rdmsr_safe(a1, &v)) violation(f, name, "MSR %x cannot be read", a1);
        f->eax = (u32)v; f->edx = (u32)(v >> 32);
        break;
    }
    case VMW_HC_CLTS: __asm__ volatile("clts"); break;
    case VMW_HC_WBINVD: case VMW_HC_INVD: __asm__ volatile("wbinvd"); break;
    case VMW_HC_SetCR0:
        if ((a1 & 0x80000001) != 0x80000001) violation(f, name, "CR0 %x turns paging or protection off", a1);
        WRITE_CR(0, a1 | 0x80000001); vcpu.cr0 = a1; break;
    case VMW_HC_SetCR2: vcpu.cr2 = a1; break;
    case VMW_HC_SetCR3:
        if ((a1 & ~0xfffu) >= GUEST_RAM_END) { violation(f, name, "CR3 %x is outside the guest's memory", a1); break; }
        if (SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET)) violation(f, name, "the update queue holds %u entries: the ROM must flush before SetCR3", SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET));
        pt_sync(f, "SetCR3");
        pt_walk_cr3(a1, "SetCR3");
        vcpu.cr3 = a1;
        WRITE_CR(3, a1);
        break;
    case VMW_HC_SetCR4: vcpu.cr4 = a1; WRITE_CR(4, a1); break;
    case VMW_HC_GetCR0: f->eax = READ_CR(0); break;
    case VMW_HC_GetCR2: f->eax = vcpu.cr2; break;
    case VMW_HC_GetCR3: f->eax = vcpu.cr3; break;
    case VMW_HC_GetCR4: f->eax = vcpu.cr4; break;
    case VMW_HC_SetDR:
        if (a1 > 7 || a1 == 4 || a1 == 5) { violation(f, name, "no debug register %u", a1); break; }
        vcpu.dr[a1] = a2;
        break;
    case VMW_HC_GetDR: f->eax = a1 < 8 ? vcpu.dr[a1] : 0; break;
    case VMW_HC_SetIOPLMask:
        if (a1 & ~EFLAGS_IOPL) violation(f, name, "%x has bits outside IOPL", a1);
        vcpu.iopl = a1 & EFLAGS_IOPL;
        break;
    case VMW_HC_SetGDT: {
        struct dtr d;
        if (!guest_read(a1, &d, 6)) { violation(f, name, "&dtr %x is not mapped", a1); break; }
        gdt_load_guest_table(d.base, d.limit);
        break;
    }
    case VMW_HC_SetIDT: {
        struct dtr d;
        if (!guest_read(a1, &d, 6)) { violation(f, name, "&dtr %x is not mapped", a1); break; }
        vcpu.idt_base = d.base;
        vcpu.idt_limit = d.limit;
        for (u32 v = 0; v < 256; v++) idt_sync_gate(v);
        break;
    }
    case VMW_HC_SetLDT:
        vcpu.ldt_sel = (u16)a1;
        if (a1 & 4 || (a1 >> 3) >= GUEST_GDT_ENTRIES) { violation(f, name, "selector %x is not in the GDT", a1); break; }
        __asm__ volatile("lldt %w0" : : "r"(a1));
        break;
    case VMW_HC_SetTR: vcpu.tr_sel = (u16)a1; break;
    case VMW_HC_WriteGDTEntry: case VMW_HC_WriteLDTEntry: case VMW_HC_WriteIDTEntry: {
        u32 d[2] = { a3, a4 };
        if (!guest_write(a1 + a2 * 8, d, 8)) { violation(f, name, "table %x index %u is not writable", a1, a2); break; }
        if (nr == VMW_HC_WriteGDTEntry && a1 == vcpu.gdt_base) gdt_set_guest(a2, a3, a4);
        if (nr == VMW_HC_WriteIDTEntry && a1 == vcpu.idt_base && a2 < 256) guest_gate_set(a2, ((u64)a4 << 32) | a3);
        break;
    }
    case VMW_HC_UpdateKernelStack: {
        u32 ss0 = 0;
        guest_read(a1 + 4, &ss0, 4);
        vcpu.kstack_esp = a2;
        vcpu.kstack_ss = ss0 ? ss0 : vcpu.kstack_ss;
        break;
    }
    case VMW_HC_SetKernelStack:
        if ((a1 & 4) || (a1 >> 3) >= GUEST_GDT_ENTRIES) violation(f, name, "SS %x is not a GDT selector", a1);
        vcpu.kstack_ss = a1;
        vcpu.kstack_esp = a2;
        break;
    case VMW_HC_DeliverEvents: deliver_pending(f); break;
    case VMW_HC_Halt: halt_until_event(f); break;
    case VMW_HC_Reboot: finish("rebooted", 0x10);
    case VMW_HC_Shutdown: finish("powered off", 0x10);
    case VMW_HC_FlushQueue: queue_flush(f, a1); break;
    case VMW_HC_InvalPage:
        if (SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET)) violation(f, name, "the update queue is not empty");
        pt_sync(f, name);
        invlpg(a1);
        break;
    case VMW_HC_FlushTLB:
        if (SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET)) violation(f, name, "the update queue is not empty");
        if (a1 & ~3u) violation(f, name, "flags %x", a1);
        pt_sync(f, name);
        if (a1 & 2) { u32 cr4 = READ_CR(4); WRITE_CR(4, cr4 & ~0x80u); WRITE_CR(4, cr4); }
        else WRITE_CR(3, READ_CR(3));
        break;
    case VMW_HC_AllocatePage:
        if (a1 >= (GUEST_RAM_END >> 12)) { violation(f, name, "pfn %x is outside the guest", a1); break; }
        if (a2 & 0x20) pt_track_clone(a1, a3, a4, a5);
        else pt_track(a1, (a2 & 2) ? 2 : 1, name);
        break;
    case VMW_HC_ReleasePage:
        if (SHARED(VMI_API3_SHARED_QUEUE_COUNT_OFFSET)) violation(f, name, "the update queue is not empty");
        pt_release(f, a1);
        break;
    /* The guest's local APIC is a register file of its own (the real one is the monitor's timer): writes are
     * kept and read back; Linux 2.6.32 without local-APIC support never calls these. */
    case VMW_HC_APICWrite:
        if (!apic_reg_ok(a1)) { violation(f, name, "%x is not a local APIC register", a1); break; }
        guest_apic[(a1 & 0xfff) >> 4] = a2;
        break;
    case VMW_HC_APICRead:
        if (!apic_reg_ok(a1)) { violation(f, name, "%x is not a local APIC register", a1); f->eax = 0; break; }
        f->eax = guest_apic[(a1 & 0xfff) >> 4];
        break;
    /* One processor: starting another is answered "not done" (EAX != 0), as the contract allows. */
    case VMW_HC_SetInitialAPState: f->eax = (u32)-1; break;
    case VMW_HC_GetCycleFrequency: f->eax = (u32)vcpu.tsc_hz; f->edx = (u32)(vcpu.tsc_hz >> 32); break;
    case VMW_HC_GetCycleCounter: {
        if (a1 > 2) violation(f, name, "counter %u", a1);
        u64 t = a1 == 2 ? 0 : rdtsc();
        f->eax = (u32)t; f->edx = (u32)(t >> 32);
        break;
    }
    /* VMware's alarm is one timer: a period makes it periodic from the expiry on, none makes it one-shot. */
    case VMW_HC_SetAlarm: {
        u64 expiry = ((u64)a3 << 32) | a2, every = ((u64)a5 << 32) | a4;
        timer_cancel_oneshot();
        timer_stop_periodic();
        if (every) timer_set_periodic(expiry, every); else timer_set_oneshot(expiry);
        f->eax = 0;
        break;
    }
    case VMW_HC_CancelAlarm:
        f->eax = (u32)timer_armed();
        timer_cancel_oneshot();
        timer_stop_periodic();
        break;
    case VMW_HC_GetWallclockTime: { u64 ns = wallclock_ns(); f->eax = (u32)ns; f->edx = (u32)(ns >> 32); break; }
    case VMW_HC_WallclockUpdated: f->eax = 0; break;
    default: violation(f, name, "not implemented by this hypervisor"); break;
    }
}
