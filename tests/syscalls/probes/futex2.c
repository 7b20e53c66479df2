// futex2 (futex_waitv, futex_wake, futex_wait, futex_requeue), protection keys and mseal:
// host calls on the caller's own memory (the allow-list); the host's answers, as natively.
// covers: futex_waitv, futex_wake, futex_wait, futex_requeue, pkey_alloc, pkey_free, pkey_mprotect, mseal
// area: memory
#include "probe.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#define SYS_futex_wait 455
#define SYS_futex_requeue 456
#endif
#define SYS_mseal_ 462

struct futex_waitv_ { uint64_t val, uaddr; uint32_t flags, reserved; };

int main(void) {
    static uint32_t word = 5;
    SHOW("futex_wake", syscall(SYS_futex_wake, &word, ~0UL, 1, 2 | 128));
    SHOW("futex_wait", syscall(SYS_futex_wait, &word, 4, ~0UL, 2 | 128, NULL, CLOCK_MONOTONIC));
    struct futex_waitv_ w[1] = {{4, (uintptr_t)&word, 2 | 128, 0}};
    SHOW("futex_waitv(a changed value)", syscall(SYS_futex_waitv, w, 1, 0, NULL, CLOCK_MONOTONIC));
    SHOW("futex_waitv(bad pointer)", syscall(SYS_futex_waitv, (void *)8, 1, 0, NULL, CLOCK_MONOTONIC));
    struct futex_waitv_ r[2] = {{5, (uintptr_t)&word, 2 | 128, 0}, {5, (uintptr_t)&word, 2 | 128, 0}};
    SHOW("futex_requeue", syscall(SYS_futex_requeue, r, 0, 1, 1));
    long key = syscall(SYS_pkey_alloc, 0, 0);
    SHOW("pkey_alloc", key);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("pkey_mprotect", syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, key < 0 ? 0 : key));
    SHOW("pkey_free", syscall(SYS_pkey_free, key < 0 ? 1 : key));
    SHOW("mseal", syscall(SYS_mseal_, p, 4096, 0));
    SHOW("munmap of a sealed page", munmap(p, 4096));
    SHOW("mseal(bad flags)", syscall(SYS_mseal_, p, 4096, 1));
    return 0;
}
