// build: -static
// The workload unmaps the Sentry's stub (0x10000, where injected host calls run), then
// makes a call the Sentry completes by injection: mmap of a file. The Sentry must fail
// closed (kill the task, or an errno), never spin on the fault or hang.
// usage: stub_unmapped mmap|brk|exec
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STUB_BASE 0x10000UL

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "mmap";
    printf("munmap stub: %d\n", munmap((void *)STUB_BASE, 0x2000));
    if (strcmp(what, "mmap") == 0) {
        /* On fd 2: by an fd in 3..1023 the seccomp platform maps with no injection. */
        int fd = dup2(open("/etc/passwd", O_RDONLY), 2);
        void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        printf("mmap file: %s\n", p == MAP_FAILED ? "failed" : "ok");
    } else if (strcmp(what, "brk") == 0) {
        long b = syscall(SYS_brk, 0);
        printf("brk: %s\n", syscall(SYS_brk, b + 0x10000) == b + 0x10000 ? "ok" : "failed");
    } else {
        char *av[] = {"/bin/true", NULL};
        execve(av[0], av, NULL);
        printf("execve failed\n");
    }
    printf("end\n");
    return 0;
}
