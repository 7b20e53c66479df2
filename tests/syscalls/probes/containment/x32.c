// build: -static
// A syscall with the x32 bit (getpid | 0x40000000) must kill the sandboxed task with SIGSYS:
// nothing after "before" may be printed. Natively (no x32 support) it returns -1 ENOSYS.
#include <stdio.h>

int main(void) {
    printf("before\n");
    fflush(stdout);
    long r;
    /* Raw instruction, not syscall(3): nothing in libc may look at the number first. */
    __asm__ volatile("syscall" : "=a"(r) : "a"(39L | 0x40000000L) : "rcx", "r11", "memory");
    printf("after: x32 getpid returned %ld\n", r);
    return 0;
}
