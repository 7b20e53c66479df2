// The siginfo an SA_SIGINFO handler sees: si_code, si_pid and si_uid of signals another
// process sends (kill, tgkill, sigqueue, pidfd_send_signal, kill of a group), of SIGCHLD
// from a child's exit, of a raise() after setresuid, and of the signals the kernel
// sends itself (SIGPIPE, alarm's and setitimer's SIGALRM, a POSIX timer's).
// covers: kill, tgkill, rt_sigqueueinfo, pidfd_send_signal, setresuid, alarm, setitimer, timer_create
// area: signals and time
#include "probe.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UID 1234

static volatile sig_atomic_t got, code, spid, suid, status, value;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    got = sig;
    code = si->si_code;
    spid = si->si_pid;
    suid = si->si_uid;
    status = sig == SIGCHLD ? si->si_status : 0;
    value = si->si_code == SI_QUEUE || si->si_code == SI_TIMER ? si->si_value.sival_int : 0;
}

static const char *who(pid_t pid, pid_t child) {
    if (pid == 0) return "0";
    if (pid == getpid()) return "self";
    if (pid == child) return "child";
    return "other";
}

static void show(const char *what, pid_t child) {
    printf("%s: sig %d code %d pid %s uid %d", what, got, code, who(spid, child), suid);
    if (got == SIGCHLD) printf(" status %d", status);
    if (value) printf(" value %d", value);
    printf("\n");
    got = code = spid = suid = status = value = 0;
}

// Waits for a handler to run (signals from another process arrive asynchronously).
static void wait_sig(sigset_t *old) {
    while (!got)
        sigsuspend(old);
}

// A child that sends SIGUSR1 to its parent the way `how` says, as real uid UID (root's
// effective uid keeps the permission to signal root).
static void from_child(const char *how, sigset_t *old) {
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        if (setresuid(UID, 0, 0) < 0) _exit(2);
        if (!strcmp(how, "kill")) kill(parent, SIGUSR1);
        else if (!strcmp(how, "tgkill")) syscall(SYS_tgkill, parent, parent, SIGUSR1);
        else if (!strcmp(how, "sigqueue")) sigqueue(parent, SIGUSR1, (union sigval){.sival_int = 42});
        else if (!strcmp(how, "kill group")) kill(0, SIGUSR1);
        else if (!strcmp(how, "pidfd_send_signal")) {
            int fd = syscall(SYS_pidfd_open, parent, 0);
            syscall(SYS_pidfd_send_signal, fd, SIGUSR1, NULL, 0);
        }
        _exit(0);
    }
    wait_sig(old);
    show(how, child);
    waitpid(child, NULL, 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD) sigaction(s, &sa, NULL);
    setpgid(0, 0);
    // Only SIGUSR1 is blocked outside sigsuspend: the others arrive synchronously.
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &old);

    from_child("kill", &old);
    from_child("tgkill", &old);
    from_child("sigqueue", &old);
    from_child("kill group", &old);
    from_child("pidfd_send_signal", &old);

    // SIGCHLD from a child's exit: the child's pid and real uid, its status.
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t child = fork();
    if (child == 0) {
        setresuid(UID, 0, 0);
        _exit(7);
    }
    wait_sig(&old);
    show("SIGCHLD exit", child);
    waitpid(child, NULL, 0);
    child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    kill(child, SIGKILL);
    wait_sig(&old);
    show("SIGCHLD killed", child);
    waitpid(child, NULL, 0);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);

    // A process signalling itself, then one whose real uid changed.
    raise(SIGUSR2);
    show("raise", 0);
    kill(getpid(), SIGUSR2);
    show("kill self", 0);

    // SIGPIPE from a write to a pipe without readers: SI_USER from the writer itself.
    int p[2];
    pipe(p);
    close(p[0]);
    SHOW("write no reader", write(p[1], "x", 1));
    show("SIGPIPE", 0);
    close(p[1]);

    // The kernel's timers: alarm and ITIMER_REAL are SI_KERNEL, a POSIX timer SI_TIMER.
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    alarm(1);
    wait_sig(&old);
    show("alarm", 0);
    struct itimerval it = {.it_value = {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    wait_sig(&old);
    show("setitimer", 0);
    timer_t timer;
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM,
                           .sigev_value.sival_int = 5};
    timer_create(CLOCK_MONOTONIC, &sev, &timer);
    struct itimerspec its = {.it_value = {0, 10000000}};
    timer_settime(timer, 0, &its, NULL);
    wait_sig(&old);
    show("timer", 0);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);

    SHOW("setresuid", setresuid(UID, 0, 0));
    raise(SIGUSR2);
    show("raise as uid", 0);
    pipe(p);
    close(p[0]);
    SHOW("write no reader as uid", write(p[1], "x", 1));
    show("SIGPIPE as uid", 0);
    return 0;
}
