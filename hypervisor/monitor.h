/* The monitor's shared declarations: types, the CPU helpers, the trap frame, the guest's virtual CPU. */
#ifndef HV_MONITOR_H
#define HV_MONITOR_H

#include <stdint.h>
#include <stddef.h>
#include "layout.h"
#include "vmi-api3.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define EFLAGS_IF 0x200
#define EFLAGS_TF 0x100
#define EFLAGS_IOPL 0x3000
#define EFLAGS_NT 0x4000
#define EFLAGS_RF 0x10000
#define EFLAGS_VM 0x20000

/* What the trap stubs push (boot.S): segment registers, pusha, vector, error code, then the CPU's frame. The
 * guest always runs at CPL 1 or 3, so the CPU frame always has ESP and SS. */
struct frame {
    u32 gs, fs, es, ds;
    u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    u32 vector, error;
    u32 eip, cs, eflags, esp, ss;
};

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void invlpg(u32 va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
#define READ_CR(n) ({ u32 _v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(_v)); _v; })
#define WRITE_CR(n, v) __asm__ volatile("mov %0, %%cr" #n : : "r"((u32)(v)) : "memory")
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Output: the debug console (port 0x402), which qemu writes to a file the CLI reads. */
void putc_dbg(char c);
void printk(const char *fmt, ...);
u64 div64(u64 n, u32 d);

/* The virtual CPU: what the guest believes its privileged state is. */
enum hv_kind { HV_VMWARE, HV_XEN };
struct vcpu {
    enum hv_kind kind;
    int launched;
    int trace;                            /* print every hypercall (the multiboot option "trace") */
    u32 rom_phys, rom_size, rom_virt;     /* the ROM, and where the guest calls it */
    u32 cr0, cr2, cr3, cr4;
    u32 idt_base, idt_limit, gdt_base, gdt_limit;
    u16 ldt_sel, tr_sel;
    u32 kstack_ss, kstack_esp;
    u32 sysenter_cs, sysenter_esp, sysenter_eip;
    u32 iopl;
    u32 dr[8];
    u32 pending[8];                       /* events (vectors) waiting for the virtual interrupt flag */
    u8 pic_base[2];                       /* vectors the guest programmed into the 8259s (ICW2) */
    u8 pic_icw[2];                        /* which initialization word each 8259 expects next */
    u64 tsc_hz;
    u32 machine_offset;                   /* xen: machine address = physical + this */
};
extern struct vcpu vcpu;

/* The shared area at virtual_top (docs/hypervisors.md). */
#define SHARED(off) (*(volatile u32 *)(MON_VIRT + (off)))
#define SHINFO8(off) (*(volatile u8 *)(MON_VIRT + VMI_API3_SHARED_BACKEND_PAGE_OFFSET + (off)))
#define SHINFO32(off) (*(volatile u32 *)(MON_VIRT + VMI_API3_SHARED_BACKEND_PAGE_OFFSET + (off)))

/* report.c: counts, violations and the final report. */
void count_hypercall(const char *name);
void count_trap(u32 vector);
void count_emulated(const char *kind, u32 eip);
void violation(struct frame *f, const char *what, const char *fmt, ...);
void note_call(const char *name, u32 eip);
void finish(const char *outcome, int code) __attribute__((noreturn));
void fail(struct frame *f, const char *fmt, ...) __attribute__((noreturn));
extern u32 stat_flushes, stat_flushed_entries, stat_cpl_seen, stat_tracked_max, stat_walked;

/* cpu.c */
void cpu_init_boot(void);
void gdt_set_guest(u32 index, u32 lo, u32 hi);
void gdt_load_guest_table(u32 base, u32 limit);
void idt_sync_gate(u32 vector);
u64 guest_gate(u32 vector);
void guest_gate_set(u32 vector, u64 g);
void xen_launch(void);
void tss_set_stack(u32 esp0);

/* events.c */
int vif(void);
void set_vif(int on);
void raise_event(u32 vector);
int deliver_pending(struct frame *f);
void inject(struct frame *f, u32 vector, int has_error, u32 error, int software);
void halt_until_event(struct frame *f);
u32 guest_eflags(struct frame *f);

/* timer.c */
void timer_init(void);
void timer_set_oneshot(u64 expiry_tsc);
void timer_cancel_oneshot(void);
void timer_set_periodic(u64 first_tsc, u64 period_cycles);
void timer_stop_periodic(void);
int timer_armed(void);
int timer_expired(void);
u64 wallclock_ns(void);
void apic_eoi(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 v);

/* paging.c */
void *map_phys(int slot, u32 pa);
void pt_track(u32 pfn, int level, const char *why);
void pt_track_clone(u32 pfn, u32 clone_pfn, u32 start, u32 count);
void pt_release(struct frame *f, u32 pfn);
void pt_apply(struct frame *f, u32 pa, u32 value, const char *how);
void pt_sync(struct frame *f, const char *where);
void pt_walk_cr3(u32 cr3, const char *why);
int pt_tracked(u32 pfn);
extern u32 pt_count;

/* emulate.c: privileged instructions the guest runs itself */
int emulate_privileged(struct frame *f);
int in_rom(u32 eip);

/* vmware.c / xen.c */
void vmware_hypercall(struct frame *f);
void xen_hypercall(struct frame *f);
void vmware_flush_queue_at_end(void);

/* traps.c */
void trap_entry(struct frame *f);
int guest_read(u32 va, void *dst, u32 n);
int guest_write(u32 va, const void *src, u32 n);

/* msr with a fault fixup (boot.S has none: these run through the trap path's CPL-0 check) */
int rdmsr_safe(u32 msr, u64 *v);
int wrmsr_safe(u32 msr, u64 v);

#endif
