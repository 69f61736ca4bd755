/* Time: the TSC is the cycle counter (its rate measured against the local APIC timer at boot), and the
 * guest's timers run on the local APIC timer, which Linux built without local-APIC support never touches. Two
 * timers share it: a one-shot deadline and a periodic one (vmware's alarm is one or the other; xen has both,
 * set_timer_op and vcpu_op's periodic timer), the APIC counting down to whichever comes first. An expiry
 * reaches the guest as an event (traps.c). */
#include "monitor.h"

#define APIC_PHYS 0xfee00000
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define TIMER_VECTOR 0xf0
#define PERIODIC 0x20000
#define MASKED 0x10000

extern u32 mon_pt[];
static u64 boot_ns_epoch;     /* wallclock at boot, ns */
static u64 boot_tsc;

u32 apic_read(u32 reg) { return *(volatile u32 *)(APIC_VIRT + reg); }
void apic_write(u32 reg, u32 v) { *(volatile u32 *)(APIC_VIRT + reg) = v; }
void apic_eoi(void) { apic_write(APIC_EOI, 0); }

static u32 bcd(u8 v) { return (v & 15) + (v >> 4) * 10; }
static u8 cmos(u8 r) { outb(0x70, r); return inb(0x71); }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static u32 days(u32 y, u32 m, u32 d) {
    static const u16 before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    u32 n = (y - 1970) * 365 + (y - 1969) / 4 - (y - 1901) / 100 + (y - 1601) / 400 + before[m - 1] + d - 1;
    if (m > 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) n++;
    return n;
}

/* One reading of both clocks: the TSC just before and after the APIC's current count. A reading whose two TSC
 * values lie far apart was interrupted (the host descheduled qemu) and is taken again. */
static void both_clocks(u64 *tsc, u32 *count) {
    for (int tries = 0;; tries++) {
        u64 a = rdtsc();
        u32 c = apic_read(APIC_TIMER_CURRENT);
        u64 b = rdtsc();
        if (b - a < 20000 || tries > 1000) { *tsc = a + (b - a) / 2; *count = c; return; }
    }
}

void timer_init(void) {
    mon_pt[(APIC_VIRT - MON_VIRT) >> 12] = APIC_PHYS | 0x13;   /* present, writable, uncached */
    invlpg(APIC_VIRT);
    apic_write(APIC_SVR, 0x100 | 0xff);
    apic_write(APIC_TIMER_DIVIDE, 0xb);                         /* divide by 1: qemu counts nanoseconds */
    apic_write(APIC_LVT_TIMER, MASKED | TIMER_VECTOR);
    /* The TSC's rate: two tight readings of both clocks about 20 ms apart. A busy host may stop qemu between
     * them, but both clocks go on, so only the readings themselves must be tight (a single countdown timed with
     * rdtsc once read 4.07 GHz for 2.77 under load). */
    apic_write(APIC_TIMER_INIT, 0xffffffff);
    u64 t0, t1;
    u32 c0, c1;
    both_clocks(&t0, &c0);
    while (c0 - apic_read(APIC_TIMER_CURRENT) < 20000000) {}
    both_clocks(&t1, &c1);
    vcpu.tsc_hz = div64((t1 - t0) * 1000000, (c0 - c1) / 1000);    /* cycles per ns-count × 1e9 */
    apic_write(APIC_TIMER_INIT, 0);
    u32 sec = bcd(cmos(0)), min = bcd(cmos(2)), hour = bcd(cmos(4)), day = bcd(cmos(7)), mon = bcd(cmos(8)), year = bcd(cmos(9)) + 2000;
    boot_ns_epoch = ((u64)days(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec) * 1000000000ull;
    boot_tsc = rdtsc();
    printk("HV: TSC %u kHz\n", (u32)div64(vcpu.tsc_hz, 1000));
}

/* Cycles to APIC ticks (ns); delays past ~4 s are clamped (the timer is simply re-armed when it fires early). */
static u32 cycles_to_ns(u64 cycles) {
    u32 khz = (u32)div64(vcpu.tsc_hz, 1000);
    if (cycles > (1ull << 44)) return 0xffffffff;
    u64 ns = div64(cycles * 1000000ull, khz);
    return ns > 0xffffffffull ? 0xffffffff : (u32)ns;
}

static u64 oneshot_at;       /* TSC of the one-shot deadline, 0 for none */
static u64 period;           /* cycles between periodic expiries, 0 for none */
static u64 periodic_at;      /* TSC of the next periodic expiry */

/* Count down to the nearer deadline (or stop). */
static void program(void) {
    u64 next = 0;
    if (oneshot_at) next = oneshot_at;
    if (period && (!next || periodic_at < next)) next = periodic_at;
    if (!next) {
        apic_write(APIC_LVT_TIMER, MASKED | TIMER_VECTOR);
        apic_write(APIC_TIMER_INIT, 0);
        return;
    }
    u64 now = rdtsc();
    u32 delay = next > now ? cycles_to_ns(next - now) : 1;
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
    apic_write(APIC_TIMER_INIT, delay ? delay : 1);
}

void timer_set_oneshot(u64 expiry) { oneshot_at = expiry ? expiry : 1; program(); }
void timer_cancel_oneshot(void) { oneshot_at = 0; program(); }
void timer_set_periodic(u64 first, u64 cycles) { period = cycles ? cycles : 1; periodic_at = first; program(); }
void timer_stop_periodic(void) { period = 0; program(); }
int timer_armed(void) { return oneshot_at || period; }

/* The APIC timer fired: which deadlines passed? The guest gets one event for any number of them. */
int timer_expired(void) {
    u64 now = rdtsc();
    int fired = 0;
    if (oneshot_at && now >= oneshot_at) { oneshot_at = 0; fired = 1; }
    if (period && now >= periodic_at) {
        fired = 1;
        /* Missed periods are not made up: the next expiry is the first one still ahead. */
        u64 behind = now - periodic_at;
        periodic_at += period * (div64(behind, period > 0xffffffffull ? 0xffffffff : (u32)period) + 1);
    }
    program();
    return fired;
}

u64 wallclock_ns(void) {
    return boot_ns_epoch + div64((rdtsc() - boot_tsc) * 1000ull, (u32)div64(vcpu.tsc_hz, 1000000));
}
