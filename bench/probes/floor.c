/* The floor of this trap design on this machine: what three of the latency benchmarks
 * would cost if the Sentry's Python took no time at all. The bench runs it as the runtime
 * `floor` beside the others (bench/test_latency.py).
 *
 *   floor MODE N [FILE]     MODE: getpid, stat FILE, open FILE (as bench/probes/loop.c)
 *
 * A child installs a seccomp filter that sends getpid, newfstatat, openat, read and close to
 * a supervisor (SECCOMP_RET_USER_NOTIF with synchronous wake-ups, as the seccomp platform
 * runs) and times loop.c's loop for MODE. The supervisor is a C stand-in for the Sentry
 * doing only what ours must: the round trip, a process_vm_readv of the path, the result
 * written with process_vm_writev, the file's data read with pread from a host fd kept open
 * (ours keeps it too), its attributes from a cache (ours caches them in exclusive mode),
 * under a seccomp filter of its own as the Sentry runs (sentry/platform/sentry_filter.py;
 * what that costs is the filtered syscall entry, not the list, which the kernel caches),
 * without glibc's rseq registration (as the Sentry's loop drops it: native/trap.c).
 * Prints the mean ns per iteration, as loop.c does. Not a sandbox: the supervisor trusts
 * the child and checks nothing.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define NOTIF_FD_SYNC_WAKE_UP 1
#define IOCTL_NOTIF_SET_FLAGS 0x40082104UL

static char data[4096];

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

/* loop.c's timed loop for MODE, N/10 warm-up iterations first; prints ns per iteration. */
static void run(const char *mode, const char *path, int n) {
    struct stat st;
    int stat_mode = strcmp(mode, "stat") == 0, open_mode = strcmp(mode, "open") == 0;
    double t0 = 0;
    for (int i = -n / 10; i < n; i++) {
        if (i == 0)
            t0 = now_ns();
        if (stat_mode) {
            if (stat(path, &st) != 0)
                fail("stat");
        } else if (open_mode) {
            int fd = open(path, O_RDONLY);
            if (fd < 0 || read(fd, data, sizeof data) != (ssize_t)sizeof data)
                fail("open+read");
            close(fd);
        } else {
            syscall(SYS_getpid);
        }
    }
    printf("%.1f\n", (now_ns() - t0) / n);
    fflush(stdout);
}

static void send_fd(int sock, int fd) {
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec io = {"x", 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(sock, &m, 0) != 1)
        fail("sendmsg");
}

static int recv_fd(int sock) {
    char cbuf[CMSG_SPACE(sizeof(int))], x;
    struct iovec io = {&x, 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf};
    int fd;
    if (recvmsg(sock, &m, 0) != 1)
        fail("recvmsg");
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
    return fd;
}

static void child(int sock, const char *mode, const char *path, int n) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail("no_new_privs");
    int listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                           SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0)
        fail("seccomp");
    send_fd(sock, listener);
    close(listener);
    run(mode, path, n);
    _exit(0);
}

extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

/* glibc's rseq registration of this thread undone (length 32 up to glibc 2.39). */
static void drop_rseq(void) {
    if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size == 0)
        return;
    void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    if (syscall(SYS_rseq, area, 32, 1, 0x53053053) != 0)
        syscall(SYS_rseq, area, __rseq_size, 1, 0x53053053);
}

/* The supervisor's own filter: every call allowed but kexec_load (the Sentry's kills on
 * everything outside its list; the calls made here are all on it). */
static void filter_self(void) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kexec_load, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        fail("supervisor's filter");
}

/* The stand-in Sentry: answers until the child is gone. fd 3 stands for the open file. */
static void supervise(int listener, const char *path) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    char buf[4096];
    struct stat cached;
    int host_fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (path && (host_fd < 0 || fstat(host_fd, &cached) != 0))
        fail(path);
    ioctl(listener, IOCTL_NOTIF_SET_FLAGS, NOTIF_FD_SYNC_WAKE_UP);
    drop_rseq();
    filter_self();
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            break;
        unsigned long long *a = req.data.args;
        struct iovec local = {buf, 256}, remote = {(void *)a[1], 256};
        long long val = 0;
        int err = 0;
        switch (req.data.nr) {
        case SYS_getpid:
            val = 1;
            break;
        case SYS_newfstatat:
        case SYS_openat:
            if (process_vm_readv(req.pid, &local, 1, &remote, 1, 0) <= 0) {
                err = -14;
            } else if (req.data.nr == SYS_openat) {
                val = 3;
            } else {
                local = (struct iovec){&cached, sizeof cached};
                remote = (struct iovec){(void *)a[2], sizeof cached};
                process_vm_writev(req.pid, &local, 1, &remote, 1, 0);
            }
            break;
        case SYS_read: {
            ssize_t got = pread(host_fd, buf, a[2] < sizeof buf ? a[2] : sizeof buf, 0);
            local = (struct iovec){buf, (size_t)got};
            remote = (struct iovec){(void *)a[1], (size_t)got};
            val = process_vm_writev(req.pid, &local, 1, &remote, 1, 0);
            break;
        }
        default: /* close */
            break;
        }
        resp = (struct seccomp_notif_resp){.id = req.id, .val = val, .error = err};
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int needs_file = strcmp(mode, "stat") == 0 || strcmp(mode, "open") == 0;
    if (argc != 3 + needs_file || (!needs_file && strcmp(mode, "getpid") != 0)) {
        fprintf(stderr, "usage: floor getpid N | floor stat N FILE | floor open N FILE\n");
        return 2;
    }
    const char *path = needs_file ? argv[3] : NULL;
    int n = atoi(argv[2]), sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        fail("socketpair");
    pid_t kid = fork();
    if (kid < 0)
        fail("fork");
    if (kid == 0)
        child(sv[1], mode, path, n);
    supervise(recv_fd(sv[0]), path);
    int status;
    waitpid(kid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
