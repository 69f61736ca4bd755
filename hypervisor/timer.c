/* Time: the TSC is the cycle counter (its rate measured against the local APIC timer at boot), and the VMI
 * alarm runs on the local APIC timer, which Linux built without local-APIC support never touches. The
 * alarm's expiry reaches the guest as an event (traps.c). */
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
static int alarm_armed;

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

void timer_init(void) {
    mon_pt[(APIC_VIRT - MON_VIRT) >> 12] = APIC_PHYS | 0x13;   /* present, writable, uncached */
    invlpg(APIC_VIRT);
    apic_write(APIC_SVR, 0x100 | 0xff);
    apic_write(APIC_TIMER_DIVIDE, 0xb);                         /* divide by 1: qemu counts nanoseconds */
    apic_write(APIC_LVT_TIMER, MASKED | TIMER_VECTOR);
    /* The TSC's rate: 10 ms of APIC timer. */
    apic_write(APIC_TIMER_INIT, 10000000);
    u64 t0 = rdtsc();
    while (apic_read(APIC_TIMER_CURRENT)) {}
    u64 t1 = rdtsc();
    vcpu.tsc_hz = (t1 - t0) * 100;
    apic_write(APIC_TIMER_INIT, 0);
    u32 sec = bcd(cmos(0)), min = bcd(cmos(2)), hour = bcd(cmos(4)), day = bcd(cmos(7)), mon = bcd(cmos(8)), year = bcd(cmos(9)) + 2000;
    boot_ns_epoch = ((u64)days(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec) * 1000000000ull;
    boot_tsc = rdtsc();
    printk("HV: TSC %u kHz\n", (u32)div64(vcpu.tsc_hz, 1000));
}

/* Cycles to APIC ticks (ns); delays past ~4 s are clamped, which an alarm re-armed by the guest tolerates. */
static u32 cycles_to_ns(u64 cycles) {
    u32 khz = (u32)div64(vcpu.tsc_hz, 1000);
    if (cycles > (1ull << 44)) return 0xffffffff;
    u64 ns = div64(cycles * 1000000ull, khz);
    return ns > 0xffffffffull ? 0xffffffff : (u32)ns;
}

void timer_set_alarm(u32 flags, u64 expiry, u64 period) {
    u64 now = rdtsc();
    u32 delay = expiry > now ? cycles_to_ns(expiry - now) : 1;
    if (!delay) delay = 1;
    if (period) {
        u32 p = cycles_to_ns(period);
        if (!p) p = 1;
        apic_write(APIC_LVT_TIMER, PERIODIC | TIMER_VECTOR);
        apic_write(APIC_TIMER_INIT, p);
    } else {
        apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
        apic_write(APIC_TIMER_INIT, delay);
    }
    (void)flags;
    alarm_armed = 1;
}

int timer_cancel_alarm(void) {
    int was = alarm_armed;
    apic_write(APIC_LVT_TIMER, MASKED | TIMER_VECTOR);
    apic_write(APIC_TIMER_INIT, 0);
    alarm_armed = 0;
    return was;
}

u64 wallclock_ns(void) {
    return boot_ns_epoch + div64((rdtsc() - boot_tsc) * 1000ull, (u32)div64(vcpu.tsc_hz, 1000000));
}
