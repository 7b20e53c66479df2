// build: -static
// Resource exhaustion from inside, bounded by limits, the Sentry and the host unharmed:
//   memory  mmap and brk bombs under RLIMIT_AS / RLIMIT_DATA: ENOMEM, not the host's OOM
//   fds     open/dup/pipe until RLIMIT_NOFILE: EMFILE
//   fork    a fork bomb as a non-root user under RLIMIT_NPROC: EAGAIN
//   deep    a deep directory tree and long symlink chains: ENAMETOOLONG and ELOOP, and the
//           Sentry walks it all without recursing itself to death
// As root, under `do`'s limits (test_exhaustion.py passes small ones):
//   fork-root, threads-root, fork-tree   EAGAIN at --pids-limit, root or not
//   memory-root  a child eats memory: the memory cgroup's OOM killer kills it (--memory)
//   upper        writes into the root's upper layer: ENOSPC at --overlay-size
// Each mode prints what a native run prints (except fork: the host has other processes).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Forks children that wait in pause() until fork fails (or 1001 of them); their count. */
static int fork_until_refused(void) {
    int n = 0;
    pid_t pid;
    while ((pid = fork()) >= 0) {
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (++n > 1000) break;
    }
    return n;
}

static void fork_bomb(void) {
    limit(RLIMIT_NPROC, 20);
    if (setuid(1000) < 0) perror("setuid");
    int n = fork_until_refused();
    printf("fork bomb: %s after %d children\n", strerrorname_np(errno), n);
    kill(0, SIGTERM);
}

/* Run with `do --pids-limit 50`: the sandbox holds at most 50 tasks, root or not. */
static void fork_root(void) {
    int n = fork_until_refused();
    printf("root fork bomb: %s after %d children\n", strerrorname_np(errno), n);
    kill(-1, SIGKILL);  /* every other process of the PID namespace */
    while (wait(NULL) > 0) {}
    printf("all reaped: %s\n", errno == ECHILD ? "yes" : strerrorname_np(errno));
    /* The slots are free again. */
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    printf("fork after: %s\n", pid > 0 ? "ok" : strerrorname_np(errno));
    waitpid(pid, NULL, 0);
}

static void *sleeper(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

static void threads_root(void) {
    int n = 0, err;
    pthread_t th;
    while ((err = pthread_create(&th, NULL, sleeper, NULL)) == 0)
        if (++n > 1000) break;
    printf("root thread bomb: %s after %d threads\n", strerrorname_np(err), n);
}

static int count_tasks(void) {
    DIR *d = opendir("/proc");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/task", e->d_name);
        DIR *t = opendir(path);
        if (!t) continue;
        struct dirent *x;
        while ((x = readdir(t)))
            if (x->d_name[0] != '.') n++;
        closedir(t);
    }
    closedir(d);
    return n;
}

/* The classic bomb: every process forks on; each one pauses at its first EAGAIN. */
static void fork_tree(void) {
    int p[2];
    if (pipe(p) < 0) return;
    pid_t init = getpid();
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) {
            if (errno != EAGAIN) printf("fork: %s\n", strerrorname_np(errno));
            if (getpid() != init) {
                char c = 'x';
                if (write(p[1], &c, 1) < 0) _exit(1);
                for (;;) pause();
            }
            break;
        }
    }
    /* Until the count stops changing: then every process reached its EAGAIN. */
    int n = 0;
    for (int same = 0; same < 20;) {
        int now = count_tasks();
        same = now == n ? same + 1 : 0;
        n = now;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("tree bomb: EAGAIN, %s\n", n <= 50 ? "at most 50 tasks" : "too many tasks");
    kill(-1, SIGKILL);
    while (wait(NULL) > 0) {}
}

/* Run with `do --memory 64m`: the memory cgroup's OOM killer kills the hog (the bomb is
 * capped at 4 GiB in case no limit applies). */
static void memory_root(void) {
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t got = 0; got < 4096 * MiB; got += 16 * MiB) {
            char *p = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) _exit(3);
            memset(p, 1, 16 * MiB);
        }
        _exit(4);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("memory bomb: killed by %s\n", sigabbrev_np(WTERMSIG(st)));
    else printf("memory bomb: exited %d\n", WEXITSTATUS(st));
    /* The parent lives on; memory is free again. */
    char *p = malloc(8 * MiB);
    printf("parent alive, malloc after: %s\n", p && memset(p, 1, 8 * MiB) ? "ok" : "failed");
    /* Pages of a (sparse) file of the upper layer dirtied through a shared mapping are the
     * workload's too (its page faults allocate them): the same OOM killer. The file is
     * unlinked at once, so that its pages go with the killed child (else they would keep
     * the cgroup at its limit). */
    pid = fork();
    if (pid == 0) {
        int fd = open("/shared-bomb", O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || unlink("/shared-bomb") < 0 || ftruncate(fd, 4096 * MiB) < 0) _exit(2);
        char *m = mmap(NULL, 4096 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) _exit(3);
        memset(m, 1, 4096 * MiB);
        _exit(4);
    }
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("shared mapping bomb: killed by %s\n", sigabbrev_np(WTERMSIG(st)));
    else printf("shared mapping bomb: exited %d\n", WEXITSTATUS(st));
    p = malloc(8 * MiB);
    printf("malloc after: %s\n", p && memset(p, 1, 8 * MiB) ? "ok" : "failed");
}

/* Run with `do --overlay-size 1m`: writes into the root's upper layer get ENOSPC, as in a
 * tmpfs of size=1m (-DUPPER_DIR='"/mnt"' runs it natively in one). */
#ifndef UPPER_DIR
#define UPPER_DIR ""
#endif
static void upper(const char *big) {
    int fd = open(UPPER_DIR "/upper-bomb", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("open");
        return;
    }
    static char buf[64 * 1024];
    memset(buf, 'x', sizeof buf);
    long total = 0;
    ssize_t w;
    while ((w = write(fd, buf, sizeof buf)) > 0) total += w;
    printf("write: %s after %ld KiB\n", w < 0 ? strerrorname_np(errno) : "0", total / 1024);
    printf("fallocate 1 MiB more: %s\n",
           fallocate(fd, 0, total, MiB) < 0 ? strerrorname_np(errno) : "ok");
    printf("ftruncate to 1 GiB (sparse): %s\n", ftruncate(fd, 1024 * MiB) < 0 ? strerrorname_np(errno) : "ok");
    close(fd);
    printf("unlink: %s\n", unlink(UPPER_DIR "/upper-bomb") < 0 ? strerrorname_np(errno) : "ok");
    fd = open(UPPER_DIR "/upper-again", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("write after unlink: %s\n", write(fd, buf, sizeof buf) == sizeof buf ? "ok" : strerrorname_np(errno));
    close(fd);
    if (!big) return;
    /* A host file bigger than the layer: its copy-up (opening it for writing) cannot fit. */
    fd = open(big, O_WRONLY | O_APPEND);
    printf("copy-up of a 2 MiB file: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
    fd = open(big, O_RDONLY);
    printf("still readable: %s\n", fd >= 0 && read(fd, buf, 16) == 16 ? "yes" : "no");
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
    else if (!strcmp(m, "fork-root")) fork_root();
    else if (!strcmp(m, "threads-root")) threads_root();
    else if (!strcmp(m, "fork-tree")) fork_tree();
    else if (!strcmp(m, "memory-root")) memory_root();
    else if (!strcmp(m, "upper")) upper(argc > 2 ? argv[2] : NULL);
    else return 2;
    printf("end\n");
    return 0;
}
