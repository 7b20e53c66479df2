// timerfd: one-shot and interval timers, absolute time, errno cases, poll readiness.
// covers: timerfd_create, timerfd_settime, timerfd_gettime
// area: I/O and readiness
#include "probe.h"
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void arm(int fd, long value_ms, long interval_ms, int flags, struct timespec base) {
    struct itimerspec its = {
        {interval_ms / 1000, interval_ms % 1000 * 1000000},
        {base.tv_sec + value_ms / 1000, base.tv_nsec + value_ms % 1000 * 1000000}};
    if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
    SHOW("timerfd_settime", timerfd_settime(fd, flags, &its, 0));
}

int main(void) {
    struct timespec zero = {0, 0}, now;
    uint64_t n;
    SHOW("timerfd_create(bad clock)", timerfd_create(42, 0));
    SHOW("timerfd_create(bad flags)", timerfd_create(CLOCK_MONOTONIC, 1));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    YESNO("timerfd_create", fd >= 0);
    struct itimerspec cur;
    SHOW("gettime (disarmed)", timerfd_gettime(fd, &cur));
    printf("value %ld.%09ld interval %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec, cur.it_interval.tv_sec);
    arm(fd, 5000, 0, 0, zero);  // far enough that a loaded machine still sees it armed
    SHOW("gettime (armed)", timerfd_gettime(fd, &cur));
    YESNO("remaining in (0, 5 s]", (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0) &&
          cur.it_value.tv_sec * 1000000000L + cur.it_value.tv_nsec <= 5000000000L);
    arm(fd, 50, 0, 0, zero);
    SHOW("read (blocks until it fires)", read(fd, &n, 8));
    printf("expirations %llu\n", (unsigned long long)n);
    SHOW("read, 4-byte buffer", read(fd, &n, 4));
    SHOW("gettime (expired)", timerfd_gettime(fd, &cur));
    printf("value %ld.%09ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);
    arm(fd, 20, 20, 0, zero);
    usleep(110000);
    SHOW("read (interval)", read(fd, &n, 8));
    YESNO("at least 4 expirations", n >= 4);
    arm(fd, 0, 0, 0, zero);  // disarm
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    SHOW("read, nonblocking, not fired", read(nb, &n, 8));
    clock_gettime(CLOCK_MONOTONIC, &now);
    arm(nb, 30, 0, TFD_TIMER_ABSTIME, now);
    struct pollfd pf = {nb, POLLIN, 0};
    SHOW("poll (fires within 5 s)", poll(&pf, 1, 5000));
    printf("revents %#x\n", pf.revents);
    SHOW("read", read(nb, &n, 8));
    printf("expirations %llu\n", (unsigned long long)n);
    SHOW("write", write(nb, &n, 8));
    SHOW("settime on a pipe", ({ int p[2]; pipe(p); struct itimerspec z = {{0, 0}, {0, 0}}; timerfd_settime(p[0], 0, &z, 0); }));
    return 0;
}
