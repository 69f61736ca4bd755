/* A heavier /init for the real-guest test: fork, exec, pipes, anonymous mmap, brk, signals and sleep, each
 * checked, on Linux 2.6.32 i386 without a libc (int $0x80 system calls). It prints HEAVY: lines on the console
 * and ends with reboot; a failed step prints HEAVY: FAIL and reboots too, so the run always ends. */
typedef unsigned long ulong;

static long sys(long n, long a, long b, long c, long d) {
    long r;
    __asm__ volatile("push %%ebx; mov %2, %%ebx; int $0x80; pop %%ebx" : "=a"(r) : "0"(n), "r"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return r;
}
#define SYS_exit 1
#define SYS_fork 2
#define SYS_read 3
#define SYS_write 4
#define SYS_execve 11
#define SYS_getpid 20
#define SYS_kill 37
#define SYS_pipe 42
#define SYS_brk 45
#define SYS_signal 48
#define SYS_reboot 88
#define SYS_munmap 91
#define SYS_wait4 114
#define SYS_nanosleep 162
#define SYS_mmap2 192

static ulong len(const char *s) { ulong n = 0; while (s[n]) n++; return n; }
static void say(const char *s) { sys(SYS_write, 1, (long)s, (long)len(s), 0); }
static void reboot(void) { sys(SYS_reboot, 0xfee1dead, 672274793, 0x01234567, 0); for (;;) {} }
static void fail(const char *what) { say("HEAVY: FAIL "); say(what); say("\n"); reboot(); }

static volatile int got_signal;
static void on_usr1(int sig) { got_signal = sig; }

static int wait_status(long pid) {
    int status = -1;
    if (sys(SYS_wait4, pid, (long)&status, 0, 0) != pid) fail("wait4");
    return status;
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == 'c') { say("HEAVY: exec ok\n"); sys(SYS_exit, 3, 0, 0, 0); }
    say("HEAVY: start\n");

    int fds[2];
    if (sys(SYS_pipe, (long)fds, 0, 0, 0)) fail("pipe");
    long pid = sys(SYS_fork, 0, 0, 0, 0);
    if (pid < 0) fail("fork");
    if (pid == 0) { sys(SYS_write, fds[1], (long)"ping", 4, 0); sys(SYS_exit, 7, 0, 0, 0); }
    char buf[8] = {0};
    if (sys(SYS_read, fds[0], (long)buf, 4, 0) != 4 || buf[0] != 'p' || buf[3] != 'g') fail("pipe read");
    if (((wait_status(pid) >> 8) & 0xff) != 7) fail("child exit status");
    say("HEAVY: fork and pipe ok\n");

    /* 64 KiB anonymous, every page touched, then unmapped; then brk grows by 128 KiB and is touched. */
    char *m = (char *)sys(SYS_mmap2, 0, 65536, 3 /* RW */, 0x22 /* PRIVATE|ANON */);
    if ((ulong)m > 0xfffff000ul) fail("mmap2");
    for (int i = 0; i < 65536; i += 4096) m[i] = (char)i;
    for (int i = 0; i < 65536; i += 4096) if (m[i] != (char)i) fail("mmap contents");
    if (sys(SYS_munmap, (long)m, 65536, 0, 0)) fail("munmap");
    char *top = (char *)sys(SYS_brk, 0, 0, 0, 0);
    char *end = (char *)sys(SYS_brk, (long)(top + 131072), 0, 0, 0);
    if (end != top + 131072) fail("brk");
    for (char *p = top; p < end; p += 4096) *p = 1;
    say("HEAVY: mmap and brk ok\n");

    if (sys(SYS_signal, 10 /* SIGUSR1 */, (long)on_usr1, 0, 0) < 0) fail("signal");
    sys(SYS_kill, sys(SYS_getpid, 0, 0, 0, 0), 10, 0, 0);
    if (got_signal != 10) fail("signal delivery");
    say("HEAVY: signal ok\n");

    long ts[2] = { 0, 50 * 1000 * 1000 };
    if (sys(SYS_nanosleep, (long)ts, 0, 0, 0)) fail("nanosleep");
    say("HEAVY: sleep ok\n");

    pid = sys(SYS_fork, 0, 0, 0, 0);
    if (pid == 0) {
        char *args[] = { "/init", "child", 0 }, *env[] = { 0 };
        sys(SYS_execve, (long)"/init", (long)args, (long)env, 0);
        sys(SYS_exit, 99, 0, 0, 0);
    }
    if (((wait_status(pid) >> 8) & 0xff) != 3) fail("exec status");

    for (int i = 0; i < 20; i++) {
        pid = sys(SYS_fork, 0, 0, 0, 0);
        if (pid == 0) { char *p = (char *)sys(SYS_mmap2, 0, 8192, 3, 0x22); p[0] = 1; p[4096] = 2; sys(SYS_exit, i, 0, 0, 0); }
        if (((wait_status(pid) >> 8) & 0xff) != i) fail("fork loop");
    }
    say("HEAVY: 20 processes ok\n");
    say("HEAVY: all ok\n");
    reboot();
    return 0;
}

__asm__(".globl _start\n_start:\n  mov (%esp), %eax\n  lea 4(%esp), %edx\n  push %edx\n  push %eax\n  call main\n  push %eax\n  mov $1, %eax\n  int $0x80\n");
