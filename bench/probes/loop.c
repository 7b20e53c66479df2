/* The in-guest timing driver of the benchmarks: runs one operation N times and prints the
 * mean nanoseconds per iteration, measured with CLOCK_MONOTONIC inside the program, so the
 * runner's start-up and exit costs are not included.
 *
 *   loop MODE N [ARG]
 *
 * Per-call latency (one iteration = one operation):
 *   getpid                  syscall(SYS_getpid)         (raw: no libc caching)
 *   clock_gettime           syscall(SYS_clock_gettime)  (raw: the vDSO would skip the kernel)
 *   stat FILE               stat(FILE)
 *   openclose FILE          open(FILE) + close
 *   open FILE               open(FILE) + read(4096) + close
 *   read4k FILE             pread(fd, 4096, 0)
 *   write4k FILE            pwrite(fd, 4096, 0)
 *   pipe                    ping-pong of one byte with a child over two pipes (round trip)
 *   unix                    the same over a socketpair(AF_UNIX, SOCK_STREAM)
 *   mmap                    mmap(64 KiB anonymous) + touch one page + munmap
 *   mmapfile FILE           mmap(4 KiB of FILE) + read one byte + munmap
 *   fork                    fork + child _exit + waitpid
 *   forkexec PROG           fork + execve(PROG) + waitpid
 * Throughput (one iteration = 1 MiB moved, in 64 KiB calls):
 *   fileread FILE           pread 1 MiB of FILE (which must hold 1 MiB)
 *   filewrite FILE          pwrite 1 MiB to FILE
 *   pipethru                write 1 MiB into a pipe a child drains (timed until it has read it all)
 *
 * N/10 untimed warm-up iterations come first. Exit status 1 if a call fails, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1 << 20)
#define CHUNK (64 << 10)

static char buf[CHUNK];
static const char *arg;
static int fd = -1, to_child[2], from_child[2];
static pid_t child;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A child that echoes each byte back (ping-pong), or drains its input and acks each MiB. */
static int start_child(int drain) {
    child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        long got = 0;
        close(to_child[1]); /* so the parent's close is EOF here */
        for (;;) {
            ssize_t n = read(to_child[0], buf, drain ? CHUNK : 1);
            if (n <= 0)
                _exit(n < 0);
            if (!drain && write(from_child[1], buf, 1) != 1)
                _exit(1);
            got += n;
            if (drain && got >= MIB) {
                got -= MIB;
                if (write(from_child[1], "k", 1) != 1)
                    _exit(1);
            }
        }
    }
    return 0;
}

static int setup(const char *mode) {
    if (!strcmp(mode, "read4k") || !strcmp(mode, "fileread") || !strcmp(mode, "mmapfile"))
        fd = open(arg, O_RDONLY);
    else if (!strcmp(mode, "write4k") || !strcmp(mode, "filewrite"))
        fd = open(arg, O_WRONLY | O_CREAT, 0644);
    else if (!strcmp(mode, "pipe") || !strcmp(mode, "pipethru")) {
        if (pipe(to_child) < 0 || pipe(from_child) < 0)
            return -1;
        return start_child(!strcmp(mode, "pipethru"));
    } else if (!strcmp(mode, "unix")) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            return -1;
        to_child[0] = from_child[1] = sv[1];
        to_child[1] = from_child[0] = sv[0];
        return start_child(0);
    } else
        return 0;
    return fd < 0 ? -1 : 0;
}

static int once(const char *mode) {
    if (!strcmp(mode, "getpid"))
        return syscall(SYS_getpid) > 0 ? 0 : -1;
    if (!strcmp(mode, "clock_gettime")) {
        struct timespec t;
        return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    }
    if (!strcmp(mode, "stat")) {
        struct stat st;
        return stat(arg, &st);
    }
    if (!strcmp(mode, "openclose") || !strcmp(mode, "open")) {
        int f = open(arg, O_RDONLY);
        if (f < 0 || (mode[4] == 0 && read(f, buf, 4096) < 0))
            return -1;
        return close(f);
    }
    if (!strcmp(mode, "read4k"))
        return pread(fd, buf, 4096, 0) == 4096 ? 0 : -1;
    if (!strcmp(mode, "write4k"))
        return pwrite(fd, buf, 4096, 0) == 4096 ? 0 : -1;
    if (!strcmp(mode, "pipe") || !strcmp(mode, "unix"))
        return write(to_child[1], "x", 1) == 1 && read(from_child[0], buf, 1) == 1 ? 0 : -1;
    if (!strcmp(mode, "mmap")) {
        char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        p[0] = 1;
        return munmap(p, 16 * 4096);
    }
    if (!strcmp(mode, "mmapfile")) {
        volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
            return -1;
        (void)p[0];
        return munmap((void *)p, 4096);
    }
    if (!strcmp(mode, "fork") || !strcmp(mode, "forkexec")) {
        pid_t pid = fork();
        if (pid == 0) {
            if (mode[4])
                execl(arg, arg, (char *)NULL);
            _exit(mode[4] ? 127 : 0);
        }
        int st;
        return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
    }
    if (!strcmp(mode, "fileread") || !strcmp(mode, "filewrite")) {
        for (int off = 0; off < MIB; off += CHUNK) {
            ssize_t n = mode[4] == 'r' ? pread(fd, buf, CHUNK, off) : pwrite(fd, buf, CHUNK, off);
            if (n != CHUNK)
                return -1;
        }
        return 0;
    }
    if (!strcmp(mode, "pipethru")) {
        for (int off = 0; off < MIB;) {
            ssize_t n = write(to_child[1], buf, CHUNK);
            if (n <= 0)
                return -1;
            off += n;
        }
        return read(from_child[0], buf, 1) == 1 ? 0 : -1;
    }
    return -2;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: loop MODE N [ARG] (see the source)\n");
        return 2;
    }
    const char *mode = argv[1];
    long n = atol(argv[2]);
    arg = argc > 3 ? argv[3] : NULL;
    memset(buf, 'b', sizeof buf);
    if (n <= 0) {
        fprintf(stderr, "loop: bad N\n");
        return 2;
    }
    if (setup(mode) < 0) {
        perror("loop: setup");
        return 1;
    }
    for (long i = 0; i < n / 10; i++) {
        int r = once(mode);
        if (r == -2) {
            fprintf(stderr, "loop: unknown mode %s\n", mode);
            return 2;
        }
        if (r < 0) {
            perror("loop: warm-up");
            return 1;
        }
    }
    long long t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (once(mode) < 0) {
            perror("loop");
            return 1;
        }
    long long t1 = now_ns();
    if (child > 0) {
        close(to_child[1]);
        waitpid(child, NULL, 0);
    }
    printf("%.1f\n", (double)(t1 - t0) / n);
    return 0;
}
