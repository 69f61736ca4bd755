/* The monitor's assembly: the multiboot entry (paging on, then C), the trap stubs that every exception,
 * interrupt and hypercall enters through, the sysenter entry, the late-launch entry a ROM's Init calls,
 * and the jump into Linux's 32-bit entry. Everything else is C. */
#include "layout.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010003   /* modules page-aligned, memory info, a.out-kludge addresses */

        .section .multiboot, "ax"
        .align 4
mb_header:
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
        .long V2P(mb_header), V2P(__image_start), V2P(__load_end), V2P(__bss_end), V2P(mb_entry)

        .text
        .globl mb_entry
/* qemu enters here at the physical address, paging off, EAX = multiboot magic, EBX = its info block. */
mb_entry:
        cli
        mov %eax, %esi
        /* Boot page directory: 4 MiB identity pages for the guest's RAM (the monitor copies Linux in
         * through them) and the monitor's page table at MON_VIRT. */
        mov $V2P(boot_pd), %edi
        xor %ecx, %ecx
1:      mov %ecx, %eax
        shl $22, %eax
        or $0x83, %eax
        mov %eax, (%edi,%ecx,4)
        inc %ecx
        cmp $(MON_PHYS_END >> 22), %ecx
        jb 1b
        movl $(V2P(mon_pt) + 3), (V2P(boot_pd) + (MON_VIRT >> 22) * 4)
        /* The monitor's page table: its 4 MiB, in order. */
        mov $V2P(mon_pt), %edi
        xor %ecx, %ecx
2:      mov %ecx, %eax
        shl $12, %eax
        add $(MON_PHYS + 3), %eax
        mov %eax, (%edi,%ecx,4)
        inc %ecx
        cmp $1024, %ecx
        jb 2b
        mov %cr4, %eax
        or $0x10, %eax            /* PSE */
        mov %eax, %cr4
        mov $V2P(boot_pd), %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80010000, %eax      /* PG, WP */
        mov %eax, %cr0
        mov $high, %eax
        jmp *%eax
high:   mov $(stack + STACK_SIZE), %esp
        push %ebx
        push %esi
        call monitor_main
1:      cli
        hlt
        jmp 1b

/* Trap stubs: one per vector, pushing a zero error code where the CPU pushes none, then the vector. */
        .macro stub vec
        .align 16
        .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17)
        push $\vec
        .else
        push $0
        push $\vec
        .endif
        jmp trap_common
        .endm

        .align 16
        .globl trap_stubs
trap_stubs:
        .set v, 0
        .rept 256
        stub v
        .set v, v + 1
        .endr

/* sysenter from user space lands here on the monitor's stack (MSR_SYSENTER_ESP). It builds a frame like a
 * trap's with room for the iret words, which C fills with the guest kernel's sysenter entry. */
        .globl sysenter_entry
sysenter_entry:
        push $0                   /* ss */
        push $0                   /* esp */
        push $0                   /* eflags */
        push $0                   /* cs */
        push $0                   /* eip */
        push $0
        push $VEC_SYSENTER
trap_common:
        pusha
        push %ds
        push %es
        push %fs
        push %gs
        mov $SEL_MON_DS, %ax
        mov %ax, %ds
        mov %ax, %es
        push %esp
        call trap_entry
        add $4, %esp
        .globl trap_return
trap_return:
        pop %gs
        pop %fs
        pop %es
        pop %ds
        popa
        add $8, %esp
        iret

/* Late launch. A ROM's Init calls this (CPL 0, interrupts off, the guest's own segments and stack; EAX = the
 * hypervisor id it wants). launch_main either refuses (EAX = -1, back at CPL 0 as if nothing happened) or
 * takes the machine over, and the guest returns to Init at CPL 1 with EAX = 0. */
        .globl launch_entry
launch_entry:
        pushf
        cli
        pusha
        mov %esp, %ebx            /* the saved state on the guest's stack */
        mov $(stack + STACK_SIZE), %esp   /* launch_main's page-table walk needs more than Linux's 8 KiB */
        push %ebx
        call launch_main
        mov %ebx, %esp
        test %eax, %eax
        jnz refused
        popa
        popf
        popl launch_eip           /* the return address into Init */
        movl %esp, launch_esp
        pushl launch_ss
        pushl launch_esp
        pushl launch_eflags
        pushl launch_cs
        pushl launch_eip
        /* Reload the data segments from the shadow GDT so their cached DPL is 1 (iret to CPL 1 would
         * otherwise null them), then enter CPL 1. */
        mov %ds, %ax
        mov %ax, %ds
        mov %es, %ax
        mov %ax, %es
        mov %fs, %ax
        mov %ax, %fs
        mov %gs, %ax
        mov %ax, %gs
        xor %eax, %eax
        iret
refused:
        popa
        popf
        or $-1, %eax
        ret

/* MSR access with a way back: a #GP at rdmsr_insn or wrmsr_insn resumes at msr_fault (traps.c), which
 * answers 0, so that an MSR the CPU lacks becomes the guest's #GP instead of the monitor's. */
        .globl rdmsr_safe, wrmsr_safe, rdmsr_insn, wrmsr_insn, msr_fault
rdmsr_safe:                       /* int rdmsr_safe(u32 msr, u64 *v) */
        push %ebx
        mov 8(%esp), %ecx
rdmsr_insn:
        rdmsr
        mov 12(%esp), %ebx
        mov %eax, (%ebx)
        mov %edx, 4(%ebx)
        mov $1, %eax
        pop %ebx
        ret
wrmsr_safe:                       /* int wrmsr_safe(u32 msr, u64 v) */
        push %ebx
        mov 8(%esp), %ecx
        mov 12(%esp), %eax
        mov 16(%esp), %edx
wrmsr_insn:
        wrmsr
        mov $1, %eax
        pop %ebx
        ret
msr_fault:
        xor %eax, %eax
        pop %ebx
        ret

/* Into Linux: ESI = boot_params (physical). Runs from the identity map, turns paging off, loads the flat
 * boot selectors and jumps to the 32-bit entry (EDI = its address). */
        .globl enter_linux
enter_linux:
        mov 4(%esp), %esi
        mov 8(%esp), %edi
        lgdt boot_gdtr_phys
        mov $V2P(1f), %eax
        jmp *%eax
1:      mov $V2P(stack + STACK_SIZE), %esp   /* the same stack by its physical address */
        mov %cr0, %eax
        and $0x7fffffff, %eax
        mov %eax, %cr0
        xor %eax, %eax
        mov %eax, %cr3
        mov %cr4, %eax
        and $~0x10, %eax
        mov %eax, %cr4
        mov $SEL_BOOT_DS, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        mov %eax, %fs
        mov %eax, %gs
        push $SEL_BOOT_CS
        push %edi
        xor %ebx, %ebx
        xor %ebp, %ebp
        xor %edi, %edi
        lret

        .bss
        .align 4096
        .globl boot_pd, mon_pt, stack
boot_pd: .space 4096
mon_pt:  .space 4096
stack:   .space STACK_SIZE
