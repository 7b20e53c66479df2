// build: -static
// A syscall through the i386 ABI (int $0x80, getpid = 20) must kill the sandboxed task with
// SIGSYS: nothing after "before" may be printed. Natively (IA-32 emulation on) it returns.
#include <stdio.h>

int main(void) {
    printf("before\n");
    fflush(stdout);
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("after: int $0x80 returned %s\n", r > 0 ? "a pid" : "an error");
    return 0;
}
