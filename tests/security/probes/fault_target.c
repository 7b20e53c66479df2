// build: -static
// The target of the test-only fault injection (RUNSC_PY_TEST_FAULT): prints "before",
// makes one call (getuid: the notify lane; fork: the trace lane on seccomp), and prints what
// it got. The sandbox must stop at the call: "after" never shows, and a getuid passed to
// the host would read 65534 (the task's host uid), not the guest's.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("before\n");
    long r = strcmp(argv[1], "getuid") == 0 ? syscall(SYS_getuid) : syscall(SYS_fork);
    printf("after: %ld\n", r);
    return 0;
}
