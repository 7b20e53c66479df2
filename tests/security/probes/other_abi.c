// build: -static
// Other ways into the kernel's i386 entry: sysenter, and `syscall`/`int $0x80` from a
// 32-bit code segment reached by a far return. Each must kill the task (SIGSYS, or SIGILL
// where the CPU refuses the instruction); nothing after "before" may be printed.
// usage: other_abi sysenter|compat-syscall|compat-int80
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "sysenter";
    unsigned char *code = mmap((void *)0x200000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (code == MAP_FAILED)
        return 2;
    /* mov eax, 20 (i386 getpid); then the entry instruction; then jmp $ */
    unsigned char body[] = {0xb8, 0x14, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe};
    if (strcmp(m, "compat-int80") == 0)
        body[5] = 0xcd, body[6] = 0x80;
    memcpy(code, body, sizeof body);
    printf("before\n");
    if (strcmp(m, "sysenter") == 0) {
        long r;
        __asm__ volatile("sysenter" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
        printf("after: %ld\n", r);
        return 0;
    }
    /* far return into the 32-bit user code segment (__USER32_CS = 0x23) */
    __asm__ volatile("pushq $0x23\n\tpushq %0\n\tlretq" : : "r"((long)code) : "memory");
    printf("after\n");
    return 0;
}
