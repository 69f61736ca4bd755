/* The xen contract (docs/hypervisors.md, "xen"): `int $0x82` from the ROM's hypercall page, EAX = number,
 * arguments in EBX, ECX, EDX, ESI, EDI. Page-table pages change only through mmu_update (alone or inside a
 * multicall), addressed by machine address = physical + machineOffset; anything else is a violation. */
#include "monitor.h"
#include "contract.h"

#define MACHINE_OFFSET 0x40000000u   /* a P2M that is not the identity: a physical address sent as machine misses */
#define EVENT_MASK_ON_ENTRY 0x4

void xen_launch(void) {
    vcpu.machine_offset = MACHINE_OFFSET;
    SHINFO32(XEN_SHINFO_machineOffset) = MACHINE_OFFSET;
    /* Time: system time counts ns from launch. ns = ((tsc << shift) * mul) >> 32, so mul = 2^32 * 1e9 / (hz << shift),
     * with the shift chosen so that hz << shift lies in [1e9, 2^32). */
    u64 hz = vcpu.tsc_hz;
    s32 shift = 0;
    while (hz <= 1000000000ull) { hz <<= 1; shift++; }
    while (hz >= (1ull << 32)) { hz >>= 1; shift--; }
    u64 frac = div64(1000000000ull << 32, (u32)hz);
    *(volatile u64 *)(MON_VIRT + 0x1000 + XEN_SHINFO_tscTimestamp) = rdtsc();
    *(volatile u64 *)(MON_VIRT + 0x1000 + XEN_SHINFO_systemTime) = 0;
    SHINFO32(XEN_SHINFO_tscToSystemMul) = (u32)frac;
    SHINFO8(XEN_SHINFO_tscShift) = (u8)shift;
    u64 wall = wallclock_ns();
    SHINFO32(XEN_SHINFO_wcVersion) = 2;
    SHINFO32(XEN_SHINFO_wcSec) = (u32)div64(wall, 1000000000);
    SHINFO32(XEN_SHINFO_wcNsec) = (u32)(wall - div64(wall, 1000000000) * 1000000000ull);
}

static int machine_to_phys(struct frame *f, const char *name, u32 ma, u32 *pa) {
    u32 p = ma - vcpu.machine_offset;
    if (p >= GUEST_RAM_END) {
        violation(f, name, "machine address %x is outside the guest (machine = physical + %x)", ma, vcpu.machine_offset);
        return 0;
    }
    *pa = p;
    return 1;
}

/* One mmu_update request list: {u64 ptr, u64 val} each. Returns the count done. */
static void mmu_update(struct frame *f, u32 reqs, u32 count, u32 domid) {
    if (domid != XEN_DOMID_SELF) violation(f, "mmu_update", "foreign domain %x", domid);
    for (u32 i = 0; i < count; i++) {
        u32 r[4];
        if (!guest_read(reqs + i * XEN_MMU_REQUEST_SIZE, r, 16)) { violation(f, "mmu_update", "request list %x is not mapped", reqs); return; }
        if (r[1]) { violation(f, "mmu_update", "ptr %x%x is above 4 GiB", r[1], r[0]); continue; }
        if ((r[0] & 3) != XEN_MMU_NORMAL_PT_UPDATE) { violation(f, "mmu_update", "command %u", r[0] & 3); continue; }
        u32 pa;
        if (!machine_to_phys(f, "mmu_update", r[0] & ~3u, &pa)) continue;
        if (!pt_tracked(pa >> 12)) pt_track(pa >> 12, 1, "mmu_update");
        *(volatile u32 *)map_phys(4, pa) = r[2];
        pt_apply(f, pa, r[2], "mmu_update");
    }
}

static void mmuext_op(struct frame *f, u32 ops, u32 count, u32 domid) {
    if (domid != XEN_DOMID_SELF) violation(f, "mmuext_op", "foreign domain %x", domid);
    for (u32 i = 0; i < count; i++) {
        u32 op[3];
        if (!guest_read(ops + i * 12, op, 12)) { violation(f, "mmuext_op", "op list %x is not mapped", ops); return; }
        switch (op[0]) {
        case XEN_MMUEXT_NEW_BASEPTR: {
            u32 pa;
            if (!machine_to_phys(f, "mmuext_op NEW_BASEPTR", op[1] << 12, &pa)) break;
            pt_sync(f, "NEW_BASEPTR");
            pt_walk_cr3(pa, "NEW_BASEPTR");
            vcpu.cr3 = pa;
            WRITE_CR(3, pa);
            break;
        }
        case XEN_MMUEXT_TLB_FLUSH_LOCAL: case XEN_MMUEXT_TLB_FLUSH_ALL:
            pt_sync(f, "TLB_FLUSH");
            { u32 cr4 = READ_CR(4); WRITE_CR(4, cr4 & ~0x80u); WRITE_CR(4, cr4); }
            break;
        case XEN_MMUEXT_INVLPG_LOCAL: pt_sync(f, "INVLPG_LOCAL"); invlpg(op[1]); break;
        case XEN_MMUEXT_PIN_L1_TABLE: case XEN_MMUEXT_PIN_L2_TABLE: {
            u32 pa;
            if (!machine_to_phys(f, "mmuext_op PIN", op[1] << 12, &pa)) break;
            pt_track(pa >> 12, op[0] == XEN_MMUEXT_PIN_L2_TABLE ? 2 : 1, "pin");
            break;
        }
        case XEN_MMUEXT_UNPIN_TABLE: {
            u32 pa;
            if (!machine_to_phys(f, "mmuext_op UNPIN_TABLE", op[1] << 12, &pa)) break;
            pt_release(f, pa >> 12);
            break;
        }
        default: violation(f, "mmuext_op", "command %u is not in the contract", op[0]);
        }
    }
}

/* After a hypercall: an event that waits is delivered once the mask is clear (Xen's upcall on return). */
static void xen_return(struct frame *f) { deliver_pending(f); }

static void xen_iret(struct frame *f) {
    u32 w[6];
    if (!guest_read(f->esp, w, 16)) fail(f, "iret hypercall: the frame at %x is not mapped", f->esp);
    u32 eax = w[0], eip = w[1], cs = w[2], eflags = w[3];
    if ((cs & 3) == 0) { violation(f, "iret", "to CS %x at ring 0", cs); cs |= 1; }
    u32 esp = f->esp + 16;
    if ((cs & 3) == 3) {
        if (!guest_read(f->esp + 16, w + 4, 8)) fail(f, "iret hypercall: the frame at %x is not mapped", f->esp);
        f->esp = w[4];
        f->ss = w[5];
    } else f->esp = esp;
    f->eax = eax;
    f->eip = eip;
    f->cs = cs;
    vcpu.iopl = eflags & EFLAGS_IOPL;
    f->eflags = (eflags & ~(EFLAGS_IOPL | EFLAGS_NT | EFLAGS_VM)) | EFLAGS_IF;
    set_vif(eflags & EFLAGS_IF);
}

static void hypercall(struct frame *f, u32 nr, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5, u32 *result);

static void multicall(struct frame *f, u32 list, u32 count) {
    for (u32 i = 0; i < count; i++) {
        u32 e[8];
        if (!guest_read(list + i * XEN_MULTICALL_ENTRY_SIZE, e, 32)) { violation(f, "multicall", "entry list %x is not mapped", list); return; }
        if (e[0] != XEN_HC_mmu_update) { violation(f, "multicall", "entry %u is hypercall %u; the contract batches mmu_update only", i, e[0]); continue; }
        u32 result = 0;
        hypercall(f, e[0], e[2], e[3], e[4], e[5], e[6], &result);
        guest_write(list + i * XEN_MULTICALL_ENTRY_SIZE + 4, &result, 4);
    }
    stat_flushes++;
    stat_flushed_entries += count;
}

static void hypercall(struct frame *f, u32 nr, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5, u32 *result) {
    (void)a5;
    *result = 0;
    switch (nr) {
    case XEN_HC_set_trap_table:
        for (u32 i = 0;; i++) {
            u32 t[2];
            if (!guest_read(a1 + i * 8, t, 8)) { violation(f, "set_trap_table", "list %x is not mapped", a1); break; }
            if (!t[1] && !(t[0] >> 16)) break;     /* the zero terminator */
            u32 vector = t[0] & 0xff, flags = (t[0] >> 8) & 0xff, cs = t[0] >> 16, addr = t[1];
            /* As an IDT gate: interrupt gate when the mask is set on entry, else trap gate. */
            u64 g = (u64)((addr & 0xffff) | (cs << 16)) |
                    ((u64)((addr & 0xffff0000) | 0x8000 | ((flags & 3) << 13) | ((flags & EVENT_MASK_ON_ENTRY) ? 0xe00 : 0xf00)) << 32);
            guest_gate_set(vector, g);
            u32 lohi[2] = { (u32)g, (u32)(g >> 32) };
            if (vcpu.idt_base) guest_write(vcpu.idt_base + vector * 8, lohi, 8);
        }
        break;
    case XEN_HC_mmu_update: mmu_update(f, a1, a2, a4); if (a3) guest_write(a3, &a2, 4); break;
    case XEN_HC_set_gdt: {
        /* frames (machine) in EBX, entries in ECX, the table's offset in its first page in EDX (vmirom) */
        u32 frame0;
        if (!guest_read(a1, &frame0, 4)) { violation(f, "set_gdt", "frame list %x is not mapped", a1); break; }
        u32 pa;
        if (!machine_to_phys(f, "set_gdt", frame0 << 12, &pa)) break;
        /* The guest's GDT is at the linear address it loaded natively before; its pages are in lowmem. */
        gdt_load_guest_table(0xc0000000u + pa + a3, a2 * 8 - 1);
        break;
    }
    case XEN_HC_stack_switch: vcpu.kstack_ss = a1; vcpu.kstack_esp = a2; break;
    case XEN_HC_fpu_taskswitch: if (a1) WRITE_CR(0, READ_CR(0) | 8); else __asm__ volatile("clts"); break;
    case XEN_HC_set_debugreg: if (a1 < 8) vcpu.dr[a1] = a2; else violation(f, "set_debugreg", "register %u", a1); break;
    case XEN_HC_get_debugreg: *result = a1 < 8 ? vcpu.dr[a1] : 0; break;
    case XEN_HC_update_descriptor: {
        u32 pa;
        if (a2) { violation(f, "update_descriptor", "machine address above 4 GiB"); break; }
        if (!machine_to_phys(f, "update_descriptor", a1, &pa)) break;
        u32 va = 0xc0000000u + pa;
        u32 d[2] = { a3, a4 };
        guest_write(va, d, 8);
        if (va >= vcpu.gdt_base && va < vcpu.gdt_base + vcpu.gdt_limit + 1) gdt_set_guest((va - vcpu.gdt_base) / 8, a3, a4);
        break;
    }
    case XEN_HC_multicall: multicall(f, a1, a2); break;
    case XEN_HC_set_timer_op: {
        /* system time (ns since launch) to a TSC deadline; 0 cancels. The periodic timer is another timer. */
        u64 when = ((u64)a2 << 32) | a1;
        if (!when) { timer_cancel_oneshot(); break; }
        u64 stamp = *(volatile u64 *)(MON_VIRT + 0x1000 + XEN_SHINFO_tscTimestamp);
        u32 per_us = (u32)div64(vcpu.tsc_hz, 1000000);
        timer_set_oneshot(stamp + div64(when * per_us, 1000));
        break;
    }
    case XEN_HC_xen_version: *result = 0x00030004; break;
    case XEN_HC_vcpu_op:
        if (a2 != 0) { violation(f, "vcpu_op", "vcpu %u: there is one", a2); break; }
        if (a1 == XEN_VCPUOP_set_periodic_timer) {
            u32 p[2];
            if (!guest_read(a3, p, 8)) { violation(f, "vcpu_op", "argument %x is not mapped", a3); break; }
            if (p[1] || p[0] < 1000000) { violation(f, "vcpu_op", "period %u ns is under 1 ms or over 4 s", p[0]); break; }
            u64 cycles = div64((u64)p[0] * div64(vcpu.tsc_hz, 1000000), 1000);
            timer_set_periodic(rdtsc() + cycles, cycles);
        } else if (a1 == XEN_VCPUOP_stop_periodic_timer) {
            timer_stop_periodic();
        } else violation(f, "vcpu_op", "command %u is not in the contract", a1);
        break;
    case XEN_HC_mmuext_op: mmuext_op(f, a1, a2, a4); break;
    case XEN_HC_sched_op:
        if (a1 == XEN_SCHEDOP_block) { halt_until_event(f); break; }
        if (a1 == XEN_SCHEDOP_shutdown) {
            u32 reason = 0;
            guest_read(a2, &reason, 4);
            finish(reason == XEN_SHUTDOWN_reboot ? "rebooted" : "powered off", 0x10);
        }
        violation(f, "sched_op", "command %u", a1);
        break;
    default:
        violation(f, "hypercall", "number %u is not in the xen table", nr);
        *result = (u32)-38;
    }
}

void xen_hypercall(struct frame *f) {
    u32 nr = f->eax;
    const char *name = xen_hypercall_name(nr);
    if (!name) { violation(f, "hypercall", "number %u is not in the xen table", nr); f->eax = (u32)-38; return; }
    count_hypercall(name);
    note_call(name, f->eip - 2);
    if (vcpu.trace) printk("HV: %s ebx %x ecx %x edx %x esi %x edi %x at %x\n", name, f->ebx, f->ecx, f->edx, f->esi, f->edi, f->eip - 2);
    if (nr == XEN_HC_iret) { xen_iret(f); xen_return(f); return; }
    u32 result;
    hypercall(f, nr, f->ebx, f->ecx, f->edx, f->esi, f->edi, &result);
    f->eax = result;
    if (nr != XEN_HC_sched_op) xen_return(f);
}
