/*
 * The stub: the only program the host ever execs for the workload.
 *
 * It is static, has no libc, and is linked at a fixed low address (see native/build.py).
 * The Sentry stops it at its exec, maps the guest's ELF into its address space and points
 * rip at the guest's entry, so this code never runs on its own. Its single instruction,
 * `syscall` at the entry point, is where the Sentry injects host syscalls (the entry
 * address is read from the ELF header). Run standalone it does read(0, 0, 0) and dies on ud2.
 */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "\tsyscall\n"
        "\tud2\n");
