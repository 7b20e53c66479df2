// clone3 (argument checks, fork-like and vfork-like children, CLONE_PIDFD,
// CLONE_CLEAR_SIGHAND) and legacy clone's CLONE_PIDFD.
// covers: clone3, clone, pidfd_send_signal, waitid
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct args3 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        set_tid, set_tid_size, cgroup;
};

static long clone3(struct args3 *a, size_t size) { return syscall(SYS_clone3, a, size); }

/* Runs clone3 with `a`; a child exits at once with status 3. Prints the call's result
 * and, for a child, how it ended. */
static void try3(const char *what, struct args3 *a, size_t size) {
    fflush(stdout);
    errno = 0;
    long r = clone3(a, size);
    if (r == 0)
        syscall(SYS_exit, 3);
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    int st = 0;
    pid_t w = waitpid(r, &st, a->exit_signal == SIGCHLD ? 0 : __WALL);
    printf("%s: child, reaped %s, exit %d\n", what, w == r ? "yes" : "no",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void no_child_left(const char *what) {
    errno = 0;
    pid_t w = waitpid(-1, NULL, WNOHANG | __WALL);
    printf("%s: no child: %s\n", what, w < 0 && errno == ECHILD ? "yes" : "no");
}

static void on_usr1(int sig) { (void)sig; }

int main(void) {
    static char page[8192];
    struct args3 a;

    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    try3("clone3(fork)", &a, 64);
    try3("clone3(size 88)", &a, 88);
    try3("clone3(size 4096, zero tail)", (struct args3 *)memcpy(page, &a, sizeof a), 4096);
    page[200] = 1;
    try3("clone3(size 4096, non-zero tail)", (struct args3 *)page, 4096);
    try3("clone3(size 4097)", &a, 4097);
    try3("clone3(size 63)", &a, 63);
    SHOW("clone3(bad pointer)", clone3((struct args3 *)8, 64));
    no_child_left("clone3(bad pointer)");

    a.exit_signal = 65;
    try3("clone3(exit_signal 65)", &a, 64);
    a.exit_signal = SIGCHLD | (1ULL << 32);
    try3("clone3(exit_signal high bits)", &a, 64);
    a.exit_signal = 0;
    a.flags = SIGCHLD;
    try3("clone3(a signal in flags)", &a, 64);
    a.flags = CLONE_DETACHED;
    try3("clone3(CLONE_DETACHED)", &a, 64);
    a.flags = 1ULL << 40;
    try3("clone3(unknown flag)", &a, 64);
    a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND;
    try3("clone3(CLONE_SIGHAND|CLONE_CLEAR_SIGHAND)", &a, 64);
    a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
    a.exit_signal = SIGCHLD;
    try3("clone3(CLONE_THREAD with exit_signal)", &a, 64);
    a.flags = CLONE_PARENT;
    try3("clone3(CLONE_PARENT with exit_signal)", &a, 64);
    a.flags = CLONE_THREAD;
    a.exit_signal = 0;
    try3("clone3(CLONE_THREAD without CLONE_SIGHAND)", &a, 64);
    a.flags = CLONE_NEWNS | CLONE_FS;
    try3("clone3(CLONE_NEWNS|CLONE_FS)", &a, 64);
    a.flags = 0;
    a.exit_signal = SIGCHLD;
    a.stack = (uintptr_t)page;
    try3("clone3(stack without size)", &a, 64);
    a.stack = 0;
    a.stack_size = 4096;
    try3("clone3(size without stack)", &a, 64);
    a.stack_size = 0;
    a.set_tid_size = 33;
    try3("clone3(set_tid_size 33)", &a, 80);
    a.set_tid_size = 1;
    try3("clone3(set_tid_size without set_tid)", &a, 80);
    pid_t want = 4242;
    a.set_tid = (uintptr_t)&want;
    a.set_tid_size = 0;
    try3("clone3(set_tid without set_tid_size)", &a, 80);
    a.set_tid = 0;
    a.flags = CLONE_INTO_CGROUP;
    a.cgroup = 1ULL << 31;
    try3("clone3(CLONE_INTO_CGROUP, cgroup > INT_MAX)", &a, 88);
    a.cgroup = 0;
    try3("clone3(CLONE_INTO_CGROUP, size 80)", &a, 80);
    int p[2];
    pipe(p);
    a.cgroup = p[0];
    try3("clone3(CLONE_INTO_CGROUP, a pipe)", &a, 88);
    a.cgroup = 99;
    try3("clone3(CLONE_INTO_CGROUP, no such fd)", &a, 88);
    a.flags = 0;
    a.cgroup = 0;

    /* The caller sleeps until its CLONE_VFORK child has exited. */
    a.flags = CLONE_VFORK;
    try3("clone3(CLONE_VFORK)", &a, 64);
    /* exit_signal 0: only __WALL waits for it. */
    a.flags = 0;
    a.exit_signal = 0;
    try3("clone3(exit_signal 0)", &a, 64);
    a.exit_signal = SIGCHLD;

    /* CLONE_PIDFD: the pidfd goes where args.pidfd points, close-on-exec. */
    int pidfd = -1, ptid = 0;
    a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    a.pidfd = (uintptr_t)&pidfd;
    a.parent_tid = (uintptr_t)&ptid;
    fflush(stdout);
    long c = clone3(&a, 64);
    if (c == 0) {
        pause();
        _exit(0);
    }
    printf("clone3(CLONE_PIDFD): %s\n", c > 0 ? "ok" : probe_errname(errno));
    if (c > 0) {
        YESNO("clone3(CLONE_PIDFD) gave a pidfd", pidfd >= 0);
        YESNO("clone3(CLONE_PIDFD) parent_tid is the child", ptid == c);
        SHOW("clone3(CLONE_PIDFD) pidfd FD_CLOEXEC", fcntl(pidfd, F_GETFD));
        SHOW("clone3(CLONE_PIDFD) pidfd flags", fcntl(pidfd, F_GETFL) & O_ACCMODE);
        struct pollfd pf = {.fd = pidfd, .events = POLLIN};
        SHOW("clone3(CLONE_PIDFD) poll while it runs", poll(&pf, 1, 0));
        SHOW("pidfd_send_signal(SIGTERM)", syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0));
        SHOW("clone3(CLONE_PIDFD) poll after the signal", poll(&pf, 1, 5000));
        siginfo_t si = {0};
        SHOW("waitid(P_PIDFD)", waitid(P_PIDFD, pidfd, &si, WEXITED));
        printf("waitid(P_PIDFD) code %d status %d\n", si.si_code, si.si_status);
        close(pidfd);
    }
    a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    a.parent_tid = a.pidfd;
    try3("clone3(CLONE_PIDFD, parent_tid at the same place)", &a, 64);
    a.flags = CLONE_PIDFD | CLONE_DETACHED;
    try3("clone3(CLONE_PIDFD|CLONE_DETACHED)", &a, 64);
    a.flags = CLONE_PIDFD;
    a.pidfd = 8;
    try3("clone3(CLONE_PIDFD, bad pointer)", &a, 64);
    no_child_left("clone3(CLONE_PIDFD, bad pointer)");
    a.pidfd = (uintptr_t)&pidfd;
    a.flags = 0;

    /* Legacy clone: the pidfd goes where parent_tid points. */
    pidfd = -1;
    fflush(stdout);
    c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0);
    if (c == 0)
        _exit(5);
    printf("clone(CLONE_PIDFD): %s\n", c > 0 ? "ok" : probe_errname(errno));
    if (c > 0) {
        YESNO("clone(CLONE_PIDFD) gave a pidfd", pidfd >= 0);
        SHOW("clone(CLONE_PIDFD) pidfd FD_CLOEXEC", fcntl(pidfd, F_GETFD));
        siginfo_t si = {0};
        SHOW("waitid(P_PIDFD) of clone's child", waitid(P_PIDFD, pidfd, &si, WEXITED));
        printf("waitid(P_PIDFD) of clone's child: status %d\n", si.si_status);
        close(pidfd);
    }
    SHOW("clone(CLONE_PIDFD|CLONE_PARENT_SETTID)",
         syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, NULL, &pidfd, NULL, 0));
    SHOW("clone(CLONE_PIDFD|CLONE_DETACHED)",
         syscall(SYS_clone, CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, NULL, &pidfd, NULL, 0));
    SHOW("clone(CLONE_PIDFD, bad pointer)", syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, 8, NULL, 0));
    no_child_left("clone(CLONE_PIDFD, bad pointer)");

    /* CLONE_CLEAR_SIGHAND: handlers back to SIG_DFL, SIG_IGN kept, flags cleared. */
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    struct sigaction ign = {.sa_handler = SIG_IGN, .sa_flags = SA_RESTART};
    sigaction(SIGUSR2, &ign, NULL);
    a.flags = CLONE_CLEAR_SIGHAND;
    fflush(stdout);
    c = clone3(&a, 64);
    if (c == 0) {
        struct sigaction o1, o2;
        sigaction(SIGUSR1, NULL, &o1);
        sigaction(SIGUSR2, NULL, &o2);
        int code = (o1.sa_handler == SIG_DFL) | (o1.sa_flags & SA_RESTART ? 0 : 2) |
                   (o2.sa_handler == SIG_IGN ? 4 : 0) | (o2.sa_flags & SA_RESTART ? 0 : 8);
        _exit(code);
    }
    if (c < 0) {
        printf("clone3(CLONE_CLEAR_SIGHAND): -1 %s\n", probe_errname(errno));
    } else {
        int st = 0;
        waitpid(c, &st, 0);
        printf("clone3(CLONE_CLEAR_SIGHAND) child: usr1 dfl %d, usr1 flags cleared %d, usr2 ign %d, "
               "usr2 flags cleared %d\n", WEXITSTATUS(st) & 1, !!(WEXITSTATUS(st) & 2),
               !!(WEXITSTATUS(st) & 4), !!(WEXITSTATUS(st) & 8));
    }
    struct sigaction o;
    sigaction(SIGUSR1, NULL, &o);
    YESNO("clone3(CLONE_CLEAR_SIGHAND) parent keeps its handler", o.sa_handler == on_usr1);
    return 0;
}
