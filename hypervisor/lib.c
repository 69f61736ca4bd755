/* The few library routines a freestanding monitor needs, and printk on the debug console. */
#include <stdarg.h>
#include "monitor.h"

void *memset(void *d, int c, size_t n) {
    void *r = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}
void *memcpy(void *d, const void *s, size_t n) {
    void *r = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return r;
}
int memcmp(const void *a, const void *b, size_t n) {
    const u8 *p = a, *q = b;
    for (; n; n--, p++, q++) if (*p != *q) return *p < *q ? -1 : 1;
    return 0;
}
size_t strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

/* 64-by-32 division in two divl steps: libgcc's __udivdi3 is not there in a freestanding -m32 build. */
u64 div64(u64 n, u32 d) {
    u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / d, r = hi % d, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    return ((u64)qhi << 32) | qlo;
}

void putc_dbg(char c) { outb(0x402, (u8)c); }

static void put_num(u64 v, unsigned base, int width, char pad, int neg) {
    char buf[24];
    int n = 0;
    do {
        u32 digit = (u32)(v - div64(v, base) * base);
        buf[n++] = "0123456789abcdef"[digit];
        v = div64(v, base);
    } while (v);
    if (neg) buf[n++] = '-';
    while (n < width) buf[n++] = pad;
    while (n) putc_dbg(buf[--n]);
}

void vprintk(const char *fmt, va_list ap) {
    for (; *fmt; fmt++) {
        if (*fmt != '%') { putc_dbg(*fmt); continue; }
        fmt++;
        char pad = ' ';
        int width = 0, longlong = 0;
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'l' && fmt[1] == 'l') { longlong = 1; fmt += 2; }
        switch (*fmt) {
        case 'x': put_num(longlong ? va_arg(ap, u64) : va_arg(ap, u32), 16, width, pad, 0); break;
        case 'u': put_num(longlong ? va_arg(ap, u64) : va_arg(ap, u32), 10, width, pad, 0); break;
        case 'd': { s32 v = va_arg(ap, s32); put_num(v < 0 ? -(s64)v : v, 10, width, pad, v < 0); break; }
        case 's': { const char *s = va_arg(ap, const char *); while (*s) putc_dbg(*s++); break; }
        case 'c': putc_dbg((char)va_arg(ap, int)); break;
        default: putc_dbg('%'); putc_dbg(*fmt);
        }
    }
}

void printk(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
