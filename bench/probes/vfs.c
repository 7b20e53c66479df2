/* File-system probe for bench/test_vfs.py (what bench/probes/loop.c does not cover):
 *
 *   vfs seqread N FILE      N x read(1 MiB) going through FILE, back to 0 at its end
 *   vfs seqwrite N FILE     N x write(1 MiB), truncating FILE to 0 every 64 MiB
 *   vfs getdents N DIR      N x open(DIR) + getdents64 until the end + close
 *
 * Runs N/10 untimed warm-up iterations, then N timed ones, and prints the mean nanoseconds
 * per iteration (CLOCK_MONOTONIC, inside the program). Exit status 1 if a call fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MIB (1 << 20)
static char *buf;
static int fd = -1;
static long written;

static int once(const char *mode, const char *path) {
    long r;
    if (strcmp(mode, "seqread") == 0) {
        r = read(fd, buf, MIB);
        if (r == 0) {
            lseek(fd, 0, SEEK_SET);
            r = read(fd, buf, MIB);
        }
        return r > 0 ? 0 : -1;
    }
    if (strcmp(mode, "seqwrite") == 0) {
        if (written >= 64L * MIB) {
            if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
                return -1;
            written = 0;
        }
        r = write(fd, buf, MIB);
        written += r;
        return r == MIB ? 0 : -1;
    }
    if (strcmp(mode, "getdents") == 0) {
        int d = open(path, O_RDONLY | O_DIRECTORY);
        if (d < 0)
            return -1;
        while ((r = syscall(SYS_getdents64, d, buf, 32768)) > 0) {
        }
        close(d);
        return r < 0 ? -1 : 0;
    }
    return -1;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: vfs MODE N PATH\n");
        return 2;
    }
    const char *mode = argv[1], *path = argv[3];
    long n = atol(argv[2]);
    buf = malloc(MIB);
    memset(buf, 'x', MIB);
    if (!strcmp(mode, "seqread"))
        fd = open(path, O_RDONLY);
    else if (!strcmp(mode, "seqwrite"))
        fd = open(path, O_RDWR | O_CREAT, 0600);
    for (long i = 0; i < n / 10; i++)
        if (once(mode, path)) {
            perror(mode);
            return 1;
        }
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (once(mode, path)) {
            perror(mode);
            return 1;
        }
    long long t1 = now_ns();
    printf("%.1f\n", (double)(t1 - t0) / (double)n);
    return 0;
}
