/* Per-call latency probe for bench/test_latency.py.
 *
 *   loop getpid N          N x syscall(SYS_getpid)   (raw syscall: no libc caching)
 *   loop open N FILE       N x open(FILE) + read(4096) + close
 *
 * Runs N/10 untimed warm-up iterations, then N timed ones, and prints one line: the mean
 * nanoseconds per iteration, measured with CLOCK_MONOTONIC inside the program (so start-up
 * and exit costs of the runner are not included). Exit status 1 if a call fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];

static int once(const char *mode, const char *path) {
    if (strcmp(mode, "getpid") == 0)
        return syscall(SYS_getpid) > 0 ? 0 : -1;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf) < 0)
        return -1;
    return close(fd);
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[1], "open") == 0 && argc < 4)) {
        fprintf(stderr, "usage: loop getpid N | loop open N FILE\n");
        return 2;
    }
    const char *mode = argv[1], *path = argc > 3 ? argv[3] : NULL;
    long n = atol(argv[2]);
    if (n <= 0 || (strcmp(mode, "getpid") != 0 && strcmp(mode, "open") != 0)) {
        fprintf(stderr, "loop: bad mode or N\n");
        return 2;
    }
    for (long i = 0; i < n / 10; i++)
        if (once(mode, path) < 0) {
            perror("loop: warm-up");
            return 1;
        }
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (once(mode, path) < 0) {
            perror("loop");
            return 1;
        }
    long long t1 = now_ns();
    printf("%.1f\n", (double)(t1 - t0) / n);
    return 0;
}
