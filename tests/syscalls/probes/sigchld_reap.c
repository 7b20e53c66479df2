// Children of a process whose SIGCHLD is SIG_IGN or has SA_NOCLDWAIT are never zombies:
// waitpid gets ECHILD, a blocked waitpid ends with ECHILD when the last one exits (not
// EINTR, even with a handler), SA_NOCLDWAIT is inherited by fork and cleared by exec;
// SIG_IGN set with a signal number whose high bits the kernel drops, or by a process
// sharing the dispositions (CLONE_SIGHAND); rt_sigaction's errno cases for SIGCHLD and
// others.
// covers: rt_sigaction, wait4
// area: processes
// usage: sigchld_reap SCRATCH   (unused; "exec-child" re-runs it after an exec)
#include "probe.h"
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_chld(int s) { (void)s; }

/* The kernel's struct sigaction, for rt_sigaction made directly. */
struct ksigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static long raw_chld(unsigned long signo, void (*h)(int)) {
    struct ksigaction sa = {.handler = h};
    return syscall(SYS_rt_sigaction, signo, &sa, NULL, 8);
}

static char clone_stack[1 << 16] __attribute__((aligned(16)));

static int ignore_chld(void *arg) {
    (void)arg;
    return (int)raw_chld(SIGCHLD, SIG_IGN);
}

/* Returns once the child has exited, without reaping it (its pidfd turns readable;
 * ESRCH: it is gone already, reaped automatically). */
static void wait_exit(pid_t c) {
    int fd = (int)syscall(SYS_pidfd_open, c, 0);
    if (fd < 0 && errno == ESRCH) return;
    if (fd < 0) {
        printf("pidfd_open: %s\n", probe_errname(errno));
        return;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    close(fd);
}

static void set_chld(void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(SIGCHLD, &sa, NULL);
}

static void show_wait(const char *what, pid_t child, pid_t w, const int *status) {
    int st = *status;
    if (w < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else if (w == 0)
        printf("%s: 0\n", what);
    else
        printf("%s: %s status %d\n", what, w == child ? "the child" : "another",
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A child that exits at once: is it a zombie (WNOHANG takes it) or reaped already? (Any
 * child: the caller has no other.) */
static void one_child(const char *what) {
    int st = 0;
    pid_t c = fork();
    if (c == 0) _exit(7);
    wait_exit(c);
    errno = 0;
    show_wait(what, c, waitpid(-1, &st, WNOHANG), &st);
}

static void reaping(const char *label, void (*h)(int), int flags) {
    char what[96];
    int st = 0;
    set_chld(h, flags);
    pid_t c = fork();
    if (c == 0) _exit(3);
    wait_exit(c);
    errno = 0;
    snprintf(what, sizeof what, "%s: WNOHANG after the exit", label);
    show_wait(what, c, waitpid(c, &st, WNOHANG), &st);
    c = fork();
    if (c == 0) {
        usleep(200000);
        _exit(4);
    }
    errno = 0;
    snprintf(what, sizeof what, "%s: blocked until the exit", label);
    show_wait(what, c, waitpid(-1, &st, 0), &st);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && strcmp(argv[2], "exec-child") == 0) {
        /* After an exec: SA_NOCLDWAIT is gone, so the child is a zombie again. */
        int st = 0;
        pid_t c = fork();
        if (c == 0) _exit(5);
        wait_exit(c);
        show_wait("after exec: WNOHANG", c, waitpid(c, &st, WNOHANG), &st);
        return 0;
    }
    reaping("SIG_IGN", SIG_IGN, 0);
    reaping("SA_NOCLDWAIT with a handler", on_chld, SA_NOCLDWAIT);
    reaping("SA_NOCLDWAIT with SIG_DFL", SIG_DFL, SA_NOCLDWAIT);
    reaping("SIG_DFL", SIG_DFL, 0);

    /* Inherited across fork. */
    set_chld(SIG_DFL, SA_NOCLDWAIT);
    pid_t mid = fork();
    if (mid == 0) {
        int st = 0;
        pid_t c = fork();
        if (c == 0) _exit(6);
        wait_exit(c);
        show_wait("forked child: WNOHANG", c, waitpid(c, &st, WNOHANG), &st);
        _exit(0);
    }
    /* The parent still has SA_NOCLDWAIT: its blocked wait ends with ECHILD at the exit. */
    int st = 0;
    errno = 0;
    show_wait("parent: blocked wait for the forked child", mid, waitpid(mid, &st, 0), &st);

    /* Cleared by exec. */
    set_chld(SIG_DFL, SA_NOCLDWAIT);
    mid = fork();
    if (mid == 0) {
        char *args[] = {argv[0], argc > 1 ? argv[1] : "x", "exec-child", NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    errno = 0;
    show_wait("parent: blocked wait for the exec child", mid, waitpid(mid, &st, 0), &st);
    set_chld(SIG_DFL, 0);

    /* SIGCHLD named with high bits set: the kernel reads the low 32. */
    SHOW("rt_sigaction (1<<32)|SIGCHLD SIG_IGN", raw_chld(1UL << 32 | SIGCHLD, SIG_IGN));
    one_child("high-bits SIG_IGN: WNOHANG");
    SHOW("rt_sigaction (1<<32)|SIGCHLD SIG_DFL", raw_chld(1UL << 32 | SIGCHLD, SIG_DFL));
    one_child("high-bits SIG_DFL: WNOHANG");

    /* Dispositions shared with a clone (CLONE_SIGHAND, not a thread): its SIG_IGN is ours. */
    pid_t sh = clone(ignore_chld, clone_stack + sizeof clone_stack,
                     CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
    errno = 0;
    show_wait("CLONE_SIGHAND child that set SIG_IGN: blocked wait", sh, waitpid(sh, &st, 0),
              &st);
    one_child("after the sharer's SIG_IGN: WNOHANG");
    set_chld(SIG_DFL, 0);
    one_child("SIG_DFL again: WNOHANG");

    /* errno cases */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    SHOW("rt_sigaction SIGCHLD sigsetsize 4", syscall(SYS_rt_sigaction, SIGCHLD, &sa, NULL, 4));
    SHOW("rt_sigaction SIGCHLD bad act", syscall(SYS_rt_sigaction, SIGCHLD, (void *)8, NULL, 8));
    SHOW("rt_sigaction SIGCHLD bad oact",
         syscall(SYS_rt_sigaction, SIGCHLD, NULL, (void *)8, 8));
    SHOW("rt_sigaction SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8));
    SHOW("rt_sigaction 0", syscall(SYS_rt_sigaction, 0, &sa, NULL, 8));
    SHOW("rt_sigaction 65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8));
    return 0;
}
