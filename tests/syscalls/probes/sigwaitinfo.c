// The siginfo rt_sigtimedwait returns: si_code, si_pid and si_uid of blocked signals another
// process sends (kill, tgkill, sigqueue with a value), of SIGCHLD from a child's exit, of a
// kill to itself after setresuid, of alarm's SIGALRM; without a siginfo buffer; the errors
// (EAGAIN on timeout, EINTR by a handled signal, EINVAL, EFAULT); and a child's SIGCHLD at
// its default action, which does not end the wait (the host queues it for a tracee).
// covers: rt_sigtimedwait
// area: signals and time
#include "probe.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UID 1234

static const char *who(pid_t pid, pid_t child) {
    if (pid == 0) return "0";
    if (pid == getpid()) return "self";
    if (pid == child) return "child";
    return "other";
}

/* Waits for one of `sigs` (blocked) for up to 5 s and prints what the siginfo says. */
static void take(const char *what, sigset_t *sigs, pid_t child) {
    siginfo_t si;
    struct timespec ts = {5, 0};
    memset(&si, 0, sizeof si);
    int sig = sigtimedwait(sigs, &si, &ts);
    if (sig < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: sig %d signo %d code %d pid %s uid %d", what, sig, si.si_signo, si.si_code,
           who(si.si_pid, child), si.si_uid);
    if (sig == SIGCHLD) printf(" status %d", si.si_status);
    if (si.si_code == SI_QUEUE) printf(" value %d", si.si_value.sival_int);
    printf("\n");
}

/* A child that sends `sig` to its parent with `how`, then exits 3. */
static pid_t sender(int sig, const char *how) {
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        if (strcmp(how, "kill") == 0) {
            kill(parent, sig);
        } else if (strcmp(how, "tgkill") == 0) {
            syscall(SYS_tgkill, parent, parent, sig);
        } else {
            union sigval v = {.sival_int = 42};
            sigqueue(parent, sig, v);
        }
        _exit(3);
    }
    return c;
}

static void on_usr2(int sig) { (void)sig; }

int main(void) {
    sigset_t usr1, chld, alrm, all;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigfillset(&all);
    sigdelset(&all, SIGUSR2);
    sigprocmask(SIG_BLOCK, &all, NULL);

    const char *hows[] = {"kill", "tgkill", "sigqueue"};
    for (int i = 0; i < 3; i++) {
        pid_t c = sender(SIGUSR1, hows[i]);
        char what[64];
        snprintf(what, sizeof what, "%s from child", hows[i]);
        take(what, &usr1, c);
        take("child's exit", &chld, c);
        waitpid(c, NULL, 0);
    }

    // A real-time signal queued twice by a child: both taken, in order, with their values.
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        union sigval v = {.sival_int = 7};
        sigqueue(parent, SIGRTMIN + 1, v);
        v.sival_int = 8;
        sigqueue(parent, SIGRTMIN + 1, v);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    take("rt first", &rt, c);
    take("rt second", &rt, c);
    take("child's exit", &chld, c);

    // Without a siginfo buffer, then a second send: its siginfo is the second sender's.
    c = sender(SIGUSR1, "kill");
    waitpid(c, NULL, 0);
    struct timespec ts = {5, 0};
    SHOW("no buffer", sigtimedwait(&usr1, NULL, &ts));
    take("child's exit", &chld, c);
    c = sender(SIGUSR1, "sigqueue");
    waitpid(c, NULL, 0);
    take("after no buffer", &usr1, c);
    take("child's exit", &chld, c);

    // To itself, after changing its real uid (the uid is the sender's real one).
    if (setresuid(UID, UID, 0) == 0) {
        kill(getpid(), SIGUSR1);
        take("kill self as uid", &usr1, 0);
        setresuid(0, 0, 0);
    } else {
        printf("setresuid: -1 %s\n", probe_errname(errno));
    }

    alarm(1);
    take("alarm", &alrm, 0);

    // Errors.
    struct timespec none = {0, 1000000}, bad = {0, 1000000000};
    SHOW("timeout", sigtimedwait(&usr1, NULL, &none));
    SHOW("bad timeout", sigtimedwait(&usr1, NULL, &bad));
    SHOW("bad set", syscall(SYS_rt_sigtimedwait, (void *)8, NULL, &none, 8));
    SHOW("bad setsize", syscall(SYS_rt_sigtimedwait, &usr1, NULL, &none, 4));
    kill(getpid(), SIGUSR1);
    SHOW("bad info", syscall(SYS_rt_sigtimedwait, &usr1, (void *)8, &none, 8));
    struct sigaction sa = {.sa_handler = on_usr2};
    sigaction(SIGUSR2, &sa, NULL);
    c = fork();
    if (c == 0) {
        usleep(100000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    struct timespec long_ts = {10, 0};
    SHOW("interrupted", sigtimedwait(&usr1, NULL, &long_ts));
    waitpid(c, NULL, 0);
    // A child exiting during the wait: SIGCHLD at its default action (discarded) does not
    // end it; with a handler it does (EINTR).
    sigset_t chld_only;
    sigemptyset(&chld_only);
    sigaddset(&chld_only, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld_only, NULL);
    struct timespec short_ts = {0, 300000000};
    for (int handled = 0; handled < 2; handled++) {
        if (handled) {
            struct sigaction on_chld = {.sa_handler = on_usr2};
            sigaction(SIGCHLD, &on_chld, NULL);
        }
        c = fork();
        if (c == 0) {
            usleep(50000);
            _exit(0);
        }
        SHOW(handled ? "child exits, SIGCHLD handled" : "child exits, SIGCHLD default",
             sigtimedwait(&usr1, NULL, &short_ts));
        waitpid(c, NULL, 0);
    }
    // The SIGUSR1 the bad-info call dequeued before its EFAULT is gone, as on Linux.
    SHOW("after bad info", sigtimedwait(&usr1, NULL, &none));
    return 0;
}
