/* Privileged instructions the guest runs itself at CPL 1 (#GP). What Linux 2.6.32 is known to run natively
 * after Init — port I/O, RDMSR/WRMSR, HLT from its halt op, `mov %cr4` from read_cr4_safe — is emulated and
 * counted by kind and EIP. The xen contract also lets the ROM run what a Xen PV kernel runs natively and
 * Xen emulates (control registers but CR3, MSRs, IDTR/LDTR/TR loads, cache flushes, port I/O). Anything
 * else is a violation; the guest then gets its #GP, as on the real CPU. */
#include "monitor.h"

int in_rom(u32 eip) { return eip >= vcpu.rom_virt && eip < vcpu.rom_virt + vcpu.rom_size; }

static u32 *reg32(struct frame *f, u32 r) {
    switch (r & 7) {
    case 0: return &f->eax; case 1: return &f->ecx; case 2: return &f->edx; case 3: return &f->ebx;
    case 4: return &f->esp; case 5: return &f->ebp; case 6: return &f->esi; default: return &f->edi;
    }
}

/* The effective address of a ModRM memory operand (32-bit addressing). *len grows by the bytes it reads. */
static int modrm_address(struct frame *f, const u8 *p, u32 *len, u32 *ea) {
    u8 m = p[0], mod = m >> 6, rm = m & 7;
    u32 n = 1, addr = 0;
    if (mod == 3) return 0;
    if (rm == 4) {
        u8 sib = p[1], base = sib & 7, index = (sib >> 3) & 7;
        n++;
        if (index != 4) addr += *reg32(f, index) << (sib >> 6);
        if (base == 5 && mod == 0) { addr += *(const u32 *)(p + n); n += 4; }
        else addr += *reg32(f, base);
    } else if (rm == 5 && mod == 0) {
        addr = *(const u32 *)(p + 1); n += 4;
    } else addr = *reg32(f, rm);
    if (mod == 1) { addr += (u32)(s32)(signed char)p[n]; n += 1; }
    if (mod == 2) { addr += *(const u32 *)(p + n); n += 4; }
    *len += n;
    *ea = addr;
    return 1;
}

static void port_out(u16 port, u32 v, int size, struct frame *f) {
    /* A reset through the keyboard controller or port 0xCF9: the guest reboots; the run ends here. */
    if ((port == 0x64 && (v & 0xff) == 0xfe) || (port == 0xcf9 && (v & 4))) {
        count_emulated("reboot-port", f->eip);
        finish("rebooted", 0x10);
    }
    /* Follow the 8259s' vector bases (ICW2) so that their interrupts are known for what they are. */
    if (port == 0x20 || port == 0xa0) { if (v & 0x10) vcpu.pic_icw[port == 0xa0] = 2; }
    else if ((port == 0x21 || port == 0xa1) && vcpu.pic_icw[port == 0xa1] == 2) {
        vcpu.pic_base[port == 0xa1] = (u8)(v & 0xf8);
        vcpu.pic_icw[port == 0xa1] = 0;
    }
    if (size == 1) outb(port, (u8)v); else if (size == 2) outw(port, (u16)v); else outl(port, v);
}

static u32 port_in(u16 port, int size) {
    if (size == 1) return inb(port);
    if (size == 2) return inw(port);
    return inl(port);
}

static u64 msr_read(struct frame *f, u32 msr, int *ok) {
    *ok = 1;
    switch (msr) {
    case 0x174: return vcpu.sysenter_cs;
    case 0x175: return vcpu.sysenter_esp;
    case 0x176: return vcpu.sysenter_eip;
    }
    u64 v;
    if (!rdmsr_safe(msr, &v)) { *ok = 0; return 0; }
    (void)f;
    return v;
}

int msr_write(u32 msr, u64 v) {
    switch (msr) {
    case 0x174: vcpu.sysenter_cs = (u32)v; return 1;
    case 0x175: vcpu.sysenter_esp = (u32)v; return 1;
    case 0x176: vcpu.sysenter_eip = (u32)v; return 1;
    case 0x1b: return 1;                 /* APIC base: the monitor's timer lives there; ignored */
    }
    return wrmsr_safe(msr, v);
}

int emulate_privileged(struct frame *f) {
    u8 b[16];
    if (!guest_read(f->eip, b, sizeof b)) return 0;
    u32 len = 0;
    int opsize = 4, rom = in_rom(f->eip), xen_rom = rom && vcpu.kind == HV_XEN;
    int rep = 0;
    while (len < 4 && (b[len] == 0x66 || b[len] == 0xf3)) { if (b[len] == 0x66) opsize = 2; else rep = 1; len++; }
    const u8 *p = b + len;
    u8 op = p[0];
    const char *kind = 0;
    /* Port I/O: the guest kernel's own (Linux has no VMI I/O calls), or the xen ROM's. */
    if (op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed || op == 0xe6 || op == 0xe7 || op == 0xee || op == 0xef) {
        if (rom && !xen_rom) { violation(f, "port I/O in the ROM", "the vmware contract passes no port I/O through the ROM"); return 0; }
        int size = (op & 1) ? opsize : 1;
        u16 port = (op & 8) ? (u16)f->edx : p[1];
        len += (op & 8) ? 1 : 2;
        if (op & 2) { port_out(port, f->eax, size, f); kind = "out"; }
        else {
            u32 v = port_in(port, size);
            if (size == 1) f->eax = (f->eax & ~0xffu) | v;
            else if (size == 2) f->eax = (f->eax & ~0xffffu) | v;
            else f->eax = v;
            kind = "in";
        }
    } else if ((op == 0x6e || op == 0x6f || op == 0x6c || op == 0x6d) && !(rom && !xen_rom)) {
        /* outs/ins, with rep: Linux's 8250 driver does not use them, other drivers may */
        int size = (op & 1) ? opsize : 1;
        u32 count = rep ? f->ecx : 1;
        for (; count; count--) {
            u32 v = 0;
            if (op >= 0x6e) { guest_read(f->esi, &v, size); port_out((u16)f->edx, v, size, f); f->esi += size; }
            else { v = port_in((u16)f->edx, size); guest_write(f->edi, &v, size); f->edi += size; }
        }
        if (rep) f->ecx = 0;
        len += 1;
        kind = op >= 0x6e ? "outs" : "ins";
    } else if (op == 0xf4) {
        if (rom) { violation(f, "hlt in the ROM", "Halt is a hypercall"); return 0; }
        count_emulated("hlt", f->eip);
        f->eip += len + 1;
        if (!vif()) finish("halted with interrupts disabled", 0x10);
        halt_until_event(f);
        return 1;
    } else if (op == 0x0f) {
        u8 op2 = p[1];
        if (op2 == 0x30 || op2 == 0x32) {
            if (rom && !xen_rom) { violation(f, op2 == 0x30 ? "wrmsr in the ROM" : "rdmsr in the ROM", "MSRs are hypercalls"); return 0; }
            if (op2 == 0x32) {
                int ok;
                u64 v = msr_read(f, f->ecx, &ok);
                if (!ok) return 0;
                f->eax = (u32)v;
                f->edx = (u32)(v >> 32);
                kind = "rdmsr";
            } else {
                if (!msr_write(f->ecx, ((u64)f->edx << 32) | f->eax)) return 0;
                kind = "wrmsr";
            }
            len += 2;
        } else if (op2 == 0x20 || op2 == 0x22) {
            u8 m = p[2];
            u32 cr = (m >> 3) & 7, *r = reg32(f, m);
            int read = op2 == 0x20;
            /* Linux's read_cr4_safe runs natively; the xen ROM reads and writes CR0, CR2 and CR4 natively. */
            if (!(read && cr == 4 && !rom) && !(xen_rom && cr != 3) && !(xen_rom && read)) {
                violation(f, "mov to or from a control register", "mov %s cr%u", read ? "from" : "to", cr);
                return 0;
            }
            if (read) {
                *r = cr == 0 ? READ_CR(0) : cr == 2 ? vcpu.cr2 : cr == 3 ? vcpu.cr3 : vcpu.cr4;
                kind = cr == 4 ? "mov from cr4" : cr == 0 ? "mov from cr0" : cr == 2 ? "mov from cr2" : "mov from cr3";
            } else {
                if (cr == 0) WRITE_CR(0, (*r & ~0x80010001u) | (READ_CR(0) & 0x80010001u));
                else if (cr == 2) vcpu.cr2 = *r;
                else if (cr == 4) { vcpu.cr4 = *r; WRITE_CR(4, *r); }
                kind = cr == 0 ? "mov to cr0" : cr == 2 ? "mov to cr2" : "mov to cr4";
            }
            len += 3;
        } else if (xen_rom && (op2 == 0x09 || op2 == 0x08)) {
            __asm__ volatile("wbinvd");
            kind = op2 == 9 ? "wbinvd" : "invd";
            len += 2;
        } else if (xen_rom && op2 == 0x01 && ((p[2] >> 3) & 7) == 3) {
            u32 ea;
            len += 2;
            if (!modrm_address(f, p + 2, &len, &ea)) return 0;
            struct { u16 limit; u32 base; } __attribute__((packed)) d;
            if (!guest_read(ea, &d, 6)) return 0;
            vcpu.idt_base = d.base;
            vcpu.idt_limit = d.limit;
            for (u32 v = 0; v < 256; v++) idt_sync_gate(v);
            kind = "lidt";
        } else if (xen_rom && op2 == 0x00 && (((p[2] >> 3) & 7) == 2 || ((p[2] >> 3) & 7) == 3) && (p[2] >> 6) == 3) {
            u32 sel = *reg32(f, p[2]) & 0xffff;
            if (((p[2] >> 3) & 7) == 2) {
                vcpu.ldt_sel = (u16)sel;
                __asm__ volatile("lldt %w0" : : "r"(sel));
                kind = "lldt";
            } else { vcpu.tr_sel = (u16)sel; kind = "ltr"; }
            len += 3;
        } else if (xen_rom && op2 == 0x06) {
            __asm__ volatile("clts");
            kind = "clts";
            len += 2;
        }
    } else if (op == 0xfa || op == 0xfb) {
        violation(f, op == 0xfa ? "cli" : "sti", "the interrupt flag is virtual after Init (%s)", rom ? "in the ROM" : "in the kernel");
        return 0;
    }
    if (!kind) {
        violation(f, "privileged instruction", "bytes %x %x %x %x at %s", b[0], b[1], b[2], b[3], rom ? "the ROM" : "the kernel");
        return 0;
    }
    count_emulated(kind, f->eip);
    f->eip += len;
    return 1;
}
