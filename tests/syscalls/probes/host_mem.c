// Memory calls the host runs for the task (the allow-list): mremap, mincore, madvise,
// mlock/munlock on the caller's own mappings, and their errno cases.
// covers: mremap, mincore, madvise, mlock, munlock, munmap
// area: memory
#include "probe.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    OK("mmap(4 pages)", p == MAP_FAILED ? -1 : 0);
    memset(p, 'a', 4 * page);
    unsigned char vec[8] = {0};
    SHOW("mincore(4 pages)", mincore(p, 4 * page, vec));
    printf("resident: %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    SHOW("mincore(unaligned)", mincore(p + 1, page, vec));
    SHOW("mincore(unmapped)", mincore((void *)page, page, vec));
    SHOW("madvise(DONTNEED, page 1)", madvise(p + page, page, MADV_DONTNEED));
    printf("page 1 after DONTNEED: %d\n", p[page]);
    printf("page 0 kept: %c\n", p[0]);
    SHOW("madvise(bad advice)", madvise(p, page, 9999));
    SHOW("madvise(unaligned)", madvise(p + 1, page, MADV_NORMAL));
    SHOW("mlock(page 0)", mlock(p, page));
    SHOW("munlock(page 0)", munlock(p, page));
    SHOW("mlock(unmapped)", mlock((void *)page, page));
    char *q = mremap(p, 4 * page, 8 * page, MREMAP_MAYMOVE);
    OK("mremap(grow, MAYMOVE)", q == MAP_FAILED ? -1 : 0);
    printf("data moved: %c%c\n", q[0], q[3 * page]);
    q[7 * page] = 'z';
    char *r = mremap(q, 8 * page, 2 * page, 0);
    printf("mremap(shrink) in place: %s\n", r == q ? "yes" : "no");
    errno = 0;
    r = mremap(q, 2 * page, 64 * page, 0);
    printf("mremap(grow, no MAYMOVE): %s\n", r == MAP_FAILED ? probe_errname(errno) : "ok");
    errno = 0;
    r = mremap(q + 1, page, page, 0);
    printf("mremap(unaligned): %s\n", r == MAP_FAILED ? probe_errname(errno) : "ok");
    errno = 0;
    r = mremap(q, page, page, 0x100);
    printf("mremap(bad flags): %s\n", r == MAP_FAILED ? probe_errname(errno) : "ok");
    SHOW("munmap(2 pages)", munmap(q, 2 * page));
    SHOW("munmap(unaligned)", munmap(q + 1, page));
    SHOW("munmap(len 0)", munmap(q, 0));
    return 0;
}
