/*
 * The stub: the only program the host ever execs for the workload.
 *
 * It is static, has no libc, and is linked at a fixed low address (see native/build.py).
 * The Sentry stops it at its exec, maps the guest's ELF into its address space and points
 * rip at the guest's entry, so this code never runs on its own. Its first instruction,
 * `syscall` at the entry point, is where the Sentry injects single host syscalls (the
 * entry address is read from the ELF header). Run standalone it does read(0, 0, 0) and
 * dies on ud2.
 *
 * `st_batch` (16 bytes past the entry) runs a list of host calls in one go, so that the
 * loader's ~15 mmaps/mprotects cost no ptrace stop each (allow-lane calls do not stop at
 * all): rbx points at a table of 64-byte rows {nr, flags, a0..a5}, ended by a negative nr.
 * Flag bit i (0-5) adds r12 (the base) to argument i; bit 6 makes the call's result the
 * new base (a reservation's address). Each result is stored over its row's nr; the first
 * error (-4095..-1) ends the run. The run ends on the `int3` (a SIGTRAP the Sentry
 * recognises by its address). Only the Sentry writes the table, below the stub's stack,
 * while the task is the stub alone (one thread, a fresh address space).
 * Three row numbers are the stub's own, not syscalls (arguments relative as above):
 * 1000 (store) writes a1 at a0; 1001 (zero) clears a1 bytes at a0 (bss pages); 1002
 * (enter) ends the batch by entering the loaded program: rsp = a0, every other general
 * register 0, the flags as at exec, and a jump to a1. Any other number of 1000 or more
 * ends the run on the int3.
 *
 * `st_r8_return` serves a guest's call that the Sentry lets the host run in place with r8
 * replaced (a file mmap, r8 = the donated fd): the call returns here, with rcx = the
 * guest's return address and r11 = its own r8 (registers every syscall clobbers), and
 * jumps back with r8 restored, so the Sentry needs no syscall-exit stop to restore it.
 * `st_zero_timespec` (16 zero bytes after a 16-byte marker) is the zero timeout of the
 * ppoll the Sentry has the host run in a guest's ppoll, pselect6 or epoll_pwait(2) that a
 * signal ends (sentry/kernel/sigmask.py): read-only, so no guest memory is borrowed.
 * The stub's pages stay mapped in every guest (the loader maps around them).
 */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "\tsyscall\n"
        "\tud2\n"
        "\t.p2align 4\n"
        "st_batch:\n"
        "1:\tmov (%rbx), %rax\n"
        "\ttest %rax, %rax\n"
        "\tjs 9f\n"
        "\tmov 8(%rbx), %r13\n"
        "\tmov 16(%rbx), %rdi\n"
        "\ttest $1, %r13b\n"
        "\tjz 2f\n"
        "\tadd %r12, %rdi\n"
        "2:\tmov 24(%rbx), %rsi\n"
        "\ttest $2, %r13b\n"
        "\tjz 3f\n"
        "\tadd %r12, %rsi\n"
        "3:\tmov 32(%rbx), %rdx\n"
        "\ttest $4, %r13b\n"
        "\tjz 4f\n"
        "\tadd %r12, %rdx\n"
        "4:\tmov 40(%rbx), %r10\n"
        "\ttest $8, %r13b\n"
        "\tjz 5f\n"
        "\tadd %r12, %r10\n"
        "5:\tmov 48(%rbx), %r8\n"
        "\ttest $16, %r13b\n"
        "\tjz 6f\n"
        "\tadd %r12, %r8\n"
        "6:\tmov 56(%rbx), %r9\n"
        "\ttest $32, %r13b\n"
        "\tjz 7f\n"
        "\tadd %r12, %r9\n"
        "7:\tcmp $1000, %rax\n"
        "\tjae 10f\n"
        "\tsyscall\n"
        "\tmov %rax, (%rbx)\n"
        "\tcmp $-4095, %rax\n"
        "\tjae 9f\n"
        "\ttest $64, %r13b\n"
        "\tjz 8f\n"
        "\tmov %rax, %r12\n"
        "8:\tadd $64, %rbx\n"
        "\tjmp 1b\n"
        "9:\tint3\n"
        "\tud2\n"
        "10:\tjne 11f\n" /* 1000: store */
        "\tmov %rsi, (%rdi)\n"
        "\tjmp 12f\n"
        "11:\tcmp $1001, %rax\n"
        "\tjne 13f\n"
        "\tmov %rsi, %rcx\n" /* 1001: zero */
        "\txor %eax, %eax\n"
        "\tcld\n"
        "\trep stosb\n"
        "12:\tmovq $0, (%rbx)\n"
        "\tadd $64, %rbx\n"
        "\tjmp 1b\n"
        "13:\tcmp $1002, %rax\n"
        "\tjne 9b\n"
        "\tmov %rdi, %rsp\n" /* 1002: enter */
        "\tmov %rsi, -16(%rsp)\n"
        "\txor %eax, %eax\n"
        "\txor %ebx, %ebx\n"
        "\txor %ecx, %ecx\n"
        "\txor %edx, %edx\n"
        "\txor %esi, %esi\n"
        "\txor %edi, %edi\n"
        "\txor %ebp, %ebp\n"
        "\txor %r8d, %r8d\n"
        "\txor %r9d, %r9d\n"
        "\txor %r10d, %r10d\n"
        "\txor %r11d, %r11d\n"
        "\txor %r12d, %r12d\n"
        "\txor %r13d, %r13d\n"
        "\txor %r14d, %r14d\n"
        "\txor %r15d, %r15d\n"
        "\tpushq $0x202\n"
        "\tpopfq\n"
        "\tjmp *-16(%rsp)\n"
        "\t.p2align 4\n"
        "st_r8_return:\n"
        "\tmov %r11, %r8\n"
        "\tjmp *%rcx\n"
        "\t.p2align 4\n"
        "\t.ascii \"runsc:zero-ts:16\"\n"
        "st_zero_timespec:\n"
        "\t.quad 0, 0\n");
