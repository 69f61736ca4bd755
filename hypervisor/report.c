/* What the monitor saw: hypercalls, traps, emulated instructions, page-table work, violations. Every
 * violation is printed when it happens (HV: VIOLATION ...); finish() prints the whole report as one JSON line
 * (HV-REPORT {...}) on the debug console, which `vmirom run --hypervisor` reads, and ends qemu. */
#include <stdarg.h>
#include "monitor.h"

void vprintk(const char *fmt, va_list ap);

#define MAX_NAMES 96
struct counter { const char *name; u32 count; };
static struct counter hypercalls[MAX_NAMES];
static u32 traps[257];
struct site { const char *kind; u32 eip, count; };
#define MAX_SITES 128
static struct site sites[MAX_SITES];
static u32 sites_dropped;

#define MAX_VIOLATIONS 32
#define VIOLATION_TEXT 320
static char violations[MAX_VIOLATIONS][VIOLATION_TEXT];
static u32 violation_count;

/* The last ROM calls (hypercalls, with the EIP that made them), for violation reports. */
#define RECENT 8
static struct { const char *name; u32 eip; } recent[RECENT];
static u32 recent_next;

u32 stat_flushes, stat_flushed_entries, stat_cpl_seen, stat_tracked_max, stat_walked;

void count_hypercall(const char *name) {
    for (int i = 0; i < MAX_NAMES; i++) {
        if (hypercalls[i].name == name || !hypercalls[i].name) { hypercalls[i].name = name; hypercalls[i].count++; return; }
    }
}

void count_trap(u32 vector) { traps[vector < 256 ? vector : 256]++; }

void count_emulated(const char *kind, u32 eip) {
    for (int i = 0; i < MAX_SITES; i++) {
        if (!sites[i].kind) { sites[i].kind = kind; sites[i].eip = eip; sites[i].count = 1; return; }
        if (sites[i].kind == kind && sites[i].eip == eip) { sites[i].count++; return; }
    }
    sites_dropped++;
}

void note_call(const char *name, u32 eip) {
    recent[recent_next % RECENT].name = name;
    recent[recent_next % RECENT].eip = eip;
    recent_next++;
}

/* A small formatter into a buffer, so one violation is one string in the report. */
struct sbuf { char *p; u32 left; };
static void sput(struct sbuf *b, char c) { if (b->left > 1) { *b->p++ = c; b->left--; } }
static void sputs(struct sbuf *b, const char *s) { while (*s) sput(b, *s++); }
static void sputx(struct sbuf *b, u32 v) {
    char t[9]; int n = 0;
    do { t[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    sputs(b, "0x");
    while (n) sput(b, t[--n]);
}
static void vsformat(struct sbuf *b, const char *fmt, va_list ap) {
    for (; *fmt; fmt++) {
        if (*fmt != '%') { sput(b, *fmt); continue; }
        fmt++;
        if (*fmt == 'x') sputx(b, va_arg(ap, u32));
        else if (*fmt == 's') sputs(b, va_arg(ap, const char *));
        else if (*fmt == 'u') {
            u32 v = va_arg(ap, u32); char t[11]; int n = 0;
            do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
            while (n) sput(b, t[--n]);
        }
    }
}

void violation(struct frame *f, const char *what, const char *fmt, ...) {
    char text[VIOLATION_TEXT];
    struct sbuf b = { text, sizeof text };
    va_list ap;
    sputs(&b, what);
    sputs(&b, ": ");
    va_start(ap, fmt);
    vsformat(&b, fmt, ap);
    va_end(ap);
    if (f) {
        sputs(&b, " (eip "); sputx(&b, f->eip);
        sputs(&b, " eax "); sputx(&b, f->eax); sputs(&b, " ebx "); sputx(&b, f->ebx);
        sputs(&b, " ecx "); sputx(&b, f->ecx); sputs(&b, " edx "); sputx(&b, f->edx);
        sputs(&b, " esi "); sputx(&b, f->esi); sputs(&b, " edi "); sputx(&b, f->edi);
        sputs(&b, ")");
    }
    sputs(&b, "; last ROM calls:");
    for (u32 i = recent_next > RECENT ? recent_next - RECENT : 0; i < recent_next; i++) {
        sput(&b, ' ');
        sputs(&b, recent[i % RECENT].name);
        sput(&b, '@');
        sputx(&b, recent[i % RECENT].eip);
    }
    *b.p = 0;
    printk("HV: VIOLATION %s\n", text);
    if (violation_count < MAX_VIOLATIONS) memcpy(violations[violation_count], text, sizeof text);
    violation_count++;
}

static void json_string(const char *s) {
    putc_dbg('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putc_dbg('\\');
        putc_dbg(*s >= ' ' ? *s : ' ');
    }
    putc_dbg('"');
}

static const char *const trap_names[32] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP", "PF", "15",
    "MF", "AC", "MC", "XM", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
};

extern void pt_final_check(void);
extern u32 stat_teardown_clears;

static void report(const char *outcome) {
    printk("HV-REPORT {\"outcome\":");
    json_string(outcome);
    printk(",\"hypervisor\":\"%s\",\"launched\":%s,\"kernelCpl\":%u,\"romBase\":\"0x%x\"", vcpu.kind == HV_XEN ? "xen" : "vmware",
           vcpu.launched ? "true" : "false", stat_cpl_seen, vcpu.rom_virt);
    printk(",\"violationCount\":%u,\"violations\":[", violation_count);
    for (u32 i = 0; i < violation_count && i < MAX_VIOLATIONS; i++) {
        if (i) putc_dbg(',');
        json_string(violations[i]);
    }
    printk("],\"hypercalls\":{");
    for (int i = 0, first = 1; i < MAX_NAMES && hypercalls[i].name; i++, first = 0) {
        if (!first) putc_dbg(',');
        json_string(hypercalls[i].name);
        printk(":%u", hypercalls[i].count);
    }
    printk("},\"traps\":{");
    for (int v = 0, first = 1; v < 257; v++) {
        if (!traps[v]) continue;
        if (!first) putc_dbg(',');
        first = 0;
        if (v < 32) printk("\"%s\"", trap_names[v]);
        else if (v == 256) printk("\"sysenter\"");
        else printk("\"int%02x\"", v);
        printk(":%u", traps[v]);
    }
    printk("},\"emulated\":{");
    /* by kind, then every site */
    const char *kinds[32]; u32 kind_counts[32]; int nk = 0;
    for (int i = 0; i < MAX_SITES && sites[i].kind; i++) {
        int k = 0;
        while (k < nk && kinds[k] != sites[i].kind) k++;
        if (k == nk && nk < 32) { kinds[nk] = sites[i].kind; kind_counts[nk++] = 0; }
        if (k < nk) kind_counts[k] += sites[i].count;
    }
    for (int k = 0; k < nk; k++) {
        if (k) putc_dbg(',');
        json_string(kinds[k]);
        printk(":%u", kind_counts[k]);
    }
    printk("},\"emulatedSites\":[");
    for (int i = 0; i < MAX_SITES && sites[i].kind; i++) {
        if (i) putc_dbg(',');
        printk("{\"kind\":");
        json_string(sites[i].kind);
        printk(",\"eip\":\"0x%x\",\"count\":%u}", sites[i].eip, sites[i].count);
    }
    u32 mean10 = stat_flushes ? (stat_flushed_entries * 10 + stat_flushes / 2) / stat_flushes : 0;
    printk("],\"flushes\":%u,\"flushedEntries\":%u,\"meanBatch\":%u.%u", stat_flushes, stat_flushed_entries, mean10 / 10, mean10 % 10);
    printk(",\"pageTables\":{\"tracked\":%u,\"mostTracked\":%u,\"foundByWalk\":%u,\"clearedAtTeardown\":%u}}\n", pt_count, stat_tracked_max,
           stat_walked, stat_teardown_clears);
}

void finish(const char *outcome, int code) {
    if (vcpu.launched) pt_final_check();
    report(outcome);
    outb(0xf4, (u8)code);      /* isa-debug-exit: qemu exits with (code << 1) | 1 */
    for (;;) __asm__ volatile("cli; hlt");
}

void fail(struct frame *f, const char *fmt, ...) {
    char text[VIOLATION_TEXT];
    struct sbuf b = { text, sizeof text };
    va_list ap;
    va_start(ap, fmt);
    vsformat(&b, fmt, ap);
    va_end(ap);
    if (f) {
        sputs(&b, " (eip "); sputx(&b, f->eip); sputs(&b, " cs "); sputx(&b, f->cs);
        sputs(&b, " esp "); sputx(&b, f->esp); sputs(&b, " vector "); sputx(&b, f->vector);
        sputs(&b, " error "); sputx(&b, f->error); sputs(&b, " cr2 "); sputx(&b, READ_CR(2)); sputs(&b, ")");
    }
    *b.p = 0;
    printk("HV: FAILURE %s\n", text);
    finish(text, 0x11);
}
