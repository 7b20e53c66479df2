// clock_gettime: monotonicity and errno cases, through the vDSO and through syscall(2).
// covers: clock_gettime, clock_nanosleep
// area: signals and time
#include "probe.h"
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t) {
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void) {
    struct timespec a, b, r;
    SHOW("clock_gettime(MONOTONIC)", clock_gettime(CLOCK_MONOTONIC, &a));
    SHOW("clock_gettime(MONOTONIC) syscall", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b));
    YESNO("monotonic: syscall >= vdso", ns(&b) >= ns(&a));
    struct timespec d = {0, 2000000};
    SHOW("nanosleep(2ms)", nanosleep(&d, NULL));
    SHOW("clock_gettime(MONOTONIC)", clock_gettime(CLOCK_MONOTONIC, &a));
    YESNO("advanced >= 2ms across nanosleep", ns(&a) - ns(&b) >= 2000000);
    YESNO("tv_nsec < 1e9", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
    SHOW("clock_gettime(REALTIME)", clock_gettime(CLOCK_REALTIME, &a));
    YESNO("realtime after 2024", a.tv_sec > 1704067200);
    SHOW("clock_gettime(BOOTTIME)", clock_gettime(CLOCK_BOOTTIME, &a));
    SHOW("clock_gettime(MONOTONIC_RAW)", clock_gettime(CLOCK_MONOTONIC_RAW, &a));
    SHOW("clock_gettime(PROCESS_CPUTIME_ID)", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
    SHOW("clock_gettime(bad id)", clock_gettime(1234, &a));
    SHOW("clock_gettime(bad id) syscall", syscall(SYS_clock_gettime, 1234, &a));
    SHOW("clock_gettime(bad ptr) syscall", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
    SHOW("clock_getres(MONOTONIC)", clock_getres(CLOCK_MONOTONIC, &r));
    YESNO("resolution <= 1ms", r.tv_sec == 0 && r.tv_nsec <= 1000000);
    return 0;
}
