// build: -static
// Resource exhaustion from inside, bounded by limits, the Sentry and the host unharmed:
//   memory  mmap and brk bombs under RLIMIT_AS / RLIMIT_DATA: ENOMEM, not the host's OOM
//   fds     open/dup/pipe until RLIMIT_NOFILE: EMFILE
//   fork    a fork bomb as a non-root user under RLIMIT_NPROC: EAGAIN
//   deep    a deep directory tree and long symlink chains: ENAMETOOLONG and ELOOP, and the
//           Sentry walks it all without recursing itself to death
// Each mode prints what a native run prints (except fork: the host has other processes).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1UL << 20)

static void limit(int res, rlim_t n) {
    struct rlimit r = {n, n};
    if (setrlimit(res, &r) < 0) perror("setrlimit");
}

static void memory(void) {
    limit(RLIMIT_AS, 512 * MiB);
    size_t got = 0;
    for (;;) {
        char *p = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap bomb: %s below RLIMIT_AS: %s\n", strerrorname_np(errno),
                   got < 512 * MiB ? "yes" : "no");
            break;
        }
        memset(p, 1, 16 * MiB);
        got += 16 * MiB;
    }
    limit(RLIMIT_DATA, 64 * MiB);
    long n = 0;
    while (sbrk(4 * MiB) != (void *)-1) n++;
    printf("brk bomb: %s after %s\n", strerrorname_np(errno), n < 16 ? "< 64 MiB" : "too much");
}

static void fds(void) {
    limit(RLIMIT_NOFILE, 64);
    int n = 0, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) n++;
    printf("open: %s after %d (+3 stdio)\n", strerrorname_np(errno), n);
    printf("dup: %s\n", dup(0) < 0 ? strerrorname_np(errno) : "ok");
    int p[2];
    printf("pipe: %s\n", pipe(p) < 0 ? strerrorname_np(errno) : "ok");
    close(3);
    printf("pipe with one free: %s\n", pipe(p) < 0 ? strerrorname_np(errno) : "ok");
}

static void fork_bomb(void) {
    limit(RLIMIT_NPROC, 20);
    if (setuid(1000) < 0) perror("setuid");
    int n = 0;
    pid_t pid;
    while ((pid = fork()) >= 0) {
        if (pid == 0) {
            pause();
            _exit(0);
        }
        n++;
        if (n > 1000) break;
    }
    printf("fork bomb: %s after %d children\n", strerrorname_np(errno), n);
    kill(0, SIGTERM);
}

static void deep(void) {
    if (chdir("/tmp") < 0 || mkdir("deep", 0755) < 0 || chdir("deep") < 0) {
        perror("deep");
        return;
    }
    int depth = 0;
    while (depth < 3000 && mkdir("dddddddd", 0755) == 0 && chdir("dddddddd") == 0) depth++;
    char buf[8192];
    printf("depth %d, getcwd: %s\n", depth, getcwd(buf, sizeof buf) ? "ok" : strerrorname_np(errno));
    char *p = buf;
    for (int i = 0; i < 600; i++) p += sprintf(p, "../");
    printf("stat ../ x600: %s\n", access(buf, F_OK) == 0 ? "ok" : strerrorname_np(errno));
    printf("chdir to /tmp/deep by 5 x ../: %s\n", chdir("../../../../..") == 0 ? "ok" : strerrorname_np(errno));
    p = buf;
    for (int i = 0; i < 500; i++) p += sprintf(p, "dddddddd/");
    printf("open a 4500-byte path: %s\n", open(buf, O_RDONLY) < 0 ? strerrorname_np(errno) : "ok");
    if (chdir("/tmp") < 0) perror("chdir");
    symlink("loop-b", "loop-a");
    symlink("loop-a", "loop-b");
    printf("open a symlink loop: %s\n", open("loop-a", O_RDONLY) < 0 ? strerrorname_np(errno) : "ok");
    char name[32], target[32];
    for (int i = 1; i <= 45; i++) {
        snprintf(name, sizeof name, "chain%d", i);
        snprintf(target, sizeof target, i == 1 ? "/tmp" : "chain%d", i - 1);
        symlink(target, name);
    }
    /* chainN -> chain(N-1) ... chain1 -> /tmp: N links to follow; Linux follows 40. */
    printf("40 links: %s\n", access("chain40", F_OK) == 0 ? "ok" : strerrorname_np(errno));
    printf("41 links: %s\n", access("chain41", F_OK) == 0 ? "ok" : strerrorname_np(errno));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "memory")) memory();
    else if (!strcmp(m, "fds")) fds();
    else if (!strcmp(m, "fork")) fork_bomb();
    else if (!strcmp(m, "deep")) deep();
    else return 2;
    printf("end\n");
    return 0;
}
