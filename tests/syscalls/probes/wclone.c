// wait4/waitid and children whose exit signal is not SIGCHLD ("clone" children): only
// __WCLONE waits see them, __WALL sees every child; the exit signal they send (none, or
// SIGUSR1 with the CLD_EXITED siginfo); no auto-reap of them under SIGCHLD's SIG_IGN.
// __WNOTHREAD: only the children the calling thread made.
// covers: clone, wait4, waitid
// area: processes
#include "probe.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, spid, suid, status;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    got = sig;
    code = si->si_code;
    spid = si->si_pid;
    suid = si->si_uid;
    status = si->si_status;
}

// A child (a fork with `exit_signal` as the raw clone's flags) that exits with `st`.
static pid_t child(int exit_signal, int st) {
    pid_t pid = syscall(SYS_clone, exit_signal, 0, 0, 0, 0);
    if (pid == 0)
        _exit(st);
    return pid;
}

// Waits until `pid` has exited, without reaping it.
static void exited(pid_t pid) {
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WALL);
}

static const char *who(pid_t r, pid_t a, pid_t b) {
    return r == a ? "a" : r == b ? "b" : r == 0 ? "0" : "other";
}

static void show_wait(const char *what, pid_t r, pid_t a, pid_t b, int st) {
    if (r < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %s status %#x\n", what, who(r, a, b), r > 0 ? st : 0);
}

static volatile pid_t thread_child;
static siginfo_t thread_si;
static long thread_r;
static volatile int ready, go;
static volatile pid_t forker_tid;

// Forks a child, then (told to go) waits for its own children only.
static void *forker(void *arg) {
    forker_tid = gettid();
    thread_child = fork();
    if (thread_child == 0)
        _exit(9);
    exited(thread_child);
    ready = 1;
    while (!go)
        usleep(1000);
    thread_r = waitid(P_ALL, 0, &thread_si, WEXITED | WNOHANG | WNOWAIT | __WNOTHREAD);
    return NULL;
}

#define W(what, call, a, b) do { st = 0; pid_t r_ = (call); show_wait(what, r_, a, b, st); } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int st = 0;

    // Exit signal 0: invisible to plain waits, found by __WCLONE and __WALL.
    pid_t a = child(0, 3);
    exited(a);
    W("waitpid a", waitpid(a, &st, WNOHANG), a, 0);
    W("wait4 -1", wait4(-1, &st, WNOHANG, NULL), a, 0);
    siginfo_t si = {0};
    SHOW("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    SHOW("waitid P_ALL __WCLONE", waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WCLONE));
    printf("  si_code %d status %d pid %s\n", si.si_code, si.si_status, who(si.si_pid, a, 0));
    W("waitpid a __WCLONE", waitpid(a, &st, __WCLONE), a, 0);
    W("waitpid a again", waitpid(a, &st, __WALL | WNOHANG), a, 0);

    // A SIGCHLD child and a SIGUSR1 child: each kind of wait takes its own.
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    a = child(SIGCHLD, 4);
    pid_t b = child(SIGUSR1, 5);
    exited(a);
    exited(b);
    while (!got)
        pause();
    printf("SIGUSR1: code %d pid %s uid %d status %d\n", code, who(spid, a, b), suid, status);
    W("wait4 __WCLONE", wait4(-1, &st, WNOHANG | __WCLONE, NULL), a, b);
    W("wait4 __WCLONE again", wait4(-1, &st, WNOHANG | __WCLONE, NULL), a, b);
    b = child(SIGUSR1, 6);
    exited(b);
    W("wait4 plain", wait4(-1, &st, WNOHANG, NULL), a, b);
    W("wait4 plain again", wait4(-1, &st, WNOHANG, NULL), a, b);
    W("wait4 __WALL", wait4(-1, &st, WNOHANG | __WALL, NULL), a, b);
    W("wait4 none left", wait4(-1, &st, WNOHANG | __WALL, NULL), a, b);

    // SIGCHLD ignored: a SIGCHLD child is reaped at once, a clone child stays a zombie.
    signal(SIGCHLD, SIG_IGN);
    a = child(0, 7);
    exited(a);
    W("ignored: waitpid a __WCLONE", waitpid(a, &st, __WCLONE | WNOHANG), a, 0);
    b = child(SIGUSR1, 8);
    exited(b);
    W("ignored: waitpid b __WALL", waitpid(b, &st, __WALL | WNOHANG), 0, b);
    SHOW("__WCLONE|__WALL|__WNOTHREAD bits", wait4(-1, &st, WNOHANG | __WALL | __WCLONE
                                                   | __WNOTHREAD, NULL));

    // __WNOTHREAD: a child another thread forked is not the caller's own; the thread that
    // forked it takes it; once that thread is gone, the first live thread of the process.
    signal(SIGCHLD, SIG_DFL);
    pthread_t th;
    pthread_create(&th, NULL, forker, NULL);
    while (!ready)
        usleep(1000);
    W("__WNOTHREAD, another thread's child", wait4(-1, &st, WNOHANG | __WNOTHREAD, NULL),
      thread_child, 0);
    siginfo_t si2 = {0};
    SHOW("no __WNOTHREAD, WNOWAIT", waitid(P_ALL, 0, &si2, WEXITED | WNOHANG | WNOWAIT));
    printf("  pid %s\n", who(si2.si_pid, thread_child, 0));
    go = 1;
    pthread_join(th, NULL);
    printf("__WNOTHREAD in the forking thread: %ld pid %s\n", thread_r,
           who(thread_si.si_pid, thread_child, 0));
    while (syscall(SYS_tgkill, getpid(), forker_tid, 0) == 0)  // gone for good, not just joined
        usleep(1000);
    W("__WNOTHREAD, forker gone", wait4(-1, &st, WNOHANG | __WNOTHREAD, NULL), thread_child, 0);
    return 0;
}
