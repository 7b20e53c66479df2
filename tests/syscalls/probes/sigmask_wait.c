// The temporary signal mask of ppoll, pselect6, epoll_pwait and epoll_pwait2 (signal(7),
// kernel/signal.c set_user_sigmask): a signal it unblocks ends the wait with EINTR (never
// restarted, SA_RESTART or not) and its handler runs with that mask in force, the frame
// saving the caller's own mask; ready fds or a timeout restore the own mask and run nothing.
// covers: ppoll, pselect6, epoll_pwait, epoll_pwait2, rt_sigprocmask, rt_sigaction, setitimer
// area: signals and time
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

enum { PPOLL, PSELECT, EPWAIT, EPWAIT2, NCALLS };
static const char *names[NCALLS] = {"ppoll", "pselect6", "epoll_pwait", "epoll_pwait2"};
static int rfd, wfd, ep;

/* One handler run: the signal, the mask in force in the handler, the mask its frame saved. */
struct run { int sig; sigset_t in, saved; };
static struct run runs[8];
static volatile int nruns;

static void handler(int sig, siginfo_t *si, void *uc) {
    (void)si;
    if (nruns < 8) {
        runs[nruns].sig = sig;
        sigprocmask(SIG_SETMASK, NULL, &runs[nruns].in);
        runs[nruns].saved = ((ucontext_t *)uc)->uc_sigmask;
        nruns++;
    }
}

static const int shown[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCHLD};

static void print_set(const char *what, const sigset_t *s) {
    printf("  %s:", what);
    for (unsigned i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (sigismember(s, shown[i]))
            printf(" %s", sigabbrev_np(shown[i]));
    printf("\n");
}

static void report(void) {
    printf("  handlers: %d\n", nruns);
    for (int i = 0; i < nruns; i++) {
        printf("  ran %s\n", sigabbrev_np(runs[i].sig));
        print_set("mask in handler", &runs[i].in);
        print_set("mask in frame", &runs[i].saved);
    }
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    print_set("mask after", &now);
    sigpending(&now);
    print_set("pending after", &now);
    nruns = 0;
}

static sigset_t set_of(int a, int b, int c) {
    sigset_t s;
    sigemptyset(&s);
    if (a) sigaddset(&s, a);
    if (b) sigaddset(&s, b);
    if (c) sigaddset(&s, c);
    return s;
}

/* Waits with `call` for the pipe to be readable, with the temporary mask `tmp`. */
static long wait_call(int call, const sigset_t *tmp, long ms) {
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    switch (call) {
    case PPOLL: {
        struct pollfd p = {rfd, POLLIN, 0};
        return syscall(SYS_ppoll, &p, 1, &ts, tmp, 8);
    }
    case PSELECT: {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(rfd, &r);
        struct { const sigset_t *m; long n; } data = {tmp, 8};
        return syscall(SYS_pselect6, rfd + 1, &r, NULL, NULL, &ts, &data);
    }
    case EPWAIT: {
        struct epoll_event ev;
        return syscall(SYS_epoll_pwait, ep, &ev, 1, ms, tmp, 8);
    }
    default: {
        struct epoll_event ev;
        return syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, tmp, 8);
    }
    }
}

static void catch(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static void set_mask(sigset_t s) { sigprocmask(SIG_SETMASK, &s, NULL); }

static void drain(int sig) {
    sigset_t s = set_of(sig, 0, 0);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&s, NULL, &zero) == sig)
        ;
}

static void arm_timer(long ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, ms % 1000 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
    int p[2];
    pipe(p);
    rfd = p[0], wfd = p[1];
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
    catch(SIGUSR1, SA_RESTART);
    catch(SIGUSR2, 0);
    catch(SIGALRM, SA_RESTART);
    sigset_t own, tmp;

    for (int c = 0; c < NCALLS; c++) {
        const char *n = names[c];
        char what[96];

        /* A pending signal only the temporary mask unblocks (its handler has SA_RESTART). */
        own = set_of(SIGUSR1, SIGTERM, 0), tmp = set_of(SIGHUP, 0, 0);
        set_mask(own);
        raise(SIGUSR1);
        snprintf(what, sizeof what, "%s: pending USR1 only the call's mask unblocks", n);
        SHOW(what, wait_call(c, &tmp, 20000));
        report();

        /* Two of them: both handlers run, the second nested in the first. */
        own = set_of(SIGUSR1, SIGUSR2, SIGTERM), tmp = set_of(SIGHUP, 0, 0);
        set_mask(own);
        raise(SIGUSR2);
        raise(SIGUSR1);
        snprintf(what, sizeof what, "%s: USR1 and USR2 pending", n);
        SHOW(what, wait_call(c, &tmp, 20000));
        report();

        /* A signal both masks allow, arriving during the wait. */
        own = set_of(SIGTERM, 0, 0), tmp = set_of(SIGHUP, 0, 0);
        set_mask(own);
        arm_timer(250); /* long after the wait has begun */
        snprintf(what, sizeof what, "%s: ALRM both masks allow, during the wait", n);
        SHOW(what, wait_call(c, &tmp, 20000));
        report();

        /* A signal the temporary mask blocks: the wait goes on to its timeout, then the
         * handler runs under the own mask. */
        own = set_of(0, 0, 0), tmp = set_of(SIGALRM, 0, 0);
        set_mask(own);
        arm_timer(50);
        snprintf(what, sizeof what, "%s: ALRM only the call's mask blocks", n);
        SHOW(what, wait_call(c, &tmp, 400));
        report();

        /* Ready fds win over a pending signal the temporary mask unblocks: no handler. */
        own = set_of(SIGUSR1, 0, 0), tmp = set_of(0, 0, 0);
        set_mask(own);
        raise(SIGUSR1);
        write(wfd, "x", 1);
        snprintf(what, sizeof what, "%s: ready fd and pending USR1", n);
        SHOW(what, wait_call(c, &tmp, 20000));
        report();
        char b;
        read(rfd, &b, 1);
        drain(SIGUSR1);

        /* A zero timeout with such a signal pending: poll and select look at signals
         * first, epoll at the timeout. */
        raise(SIGUSR1);
        snprintf(what, sizeof what, "%s: zero timeout, pending USR1", n);
        SHOW(what, wait_call(c, &tmp, 0));
        report();
        drain(SIGUSR1);

        /* A pending ignored signal the temporary mask unblocks: poll and select restart
         * (no handler) and time out; epoll returns EINTR. */
        signal(SIGUSR2, SIG_IGN);
        own = set_of(SIGUSR2, 0, 0);
        set_mask(own);
        raise(SIGUSR2);
        snprintf(what, sizeof what, "%s: pending ignored USR2", n);
        SHOW(what, wait_call(c, &tmp, 200));
        report();
        catch(SIGUSR2, 0);

        /* A SIGCHLD whose action is the default (discarded when sent) does not end it. */
        set_mask(set_of(0, 0, 0));
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0)
            _exit(0);
        snprintf(what, sizeof what, "%s: a child exits, SIGCHLD default", n);
        SHOW(what, wait_call(c, &tmp, 300));
        waitpid(kid, NULL, 0);
        report();
    }

    /* Errors: a bad sigset size. */
    sigset_t none = set_of(0, 0, 0);
    struct pollfd pf = {rfd, POLLIN, 0};
    struct timespec zero = {0, 0};
    SHOW("ppoll(sigsetsize 4)", syscall(SYS_ppoll, &pf, 1, &zero, &none, 4));
    struct epoll_event out;
    SHOW("epoll_pwait(sigsetsize 16)", syscall(SYS_epoll_pwait, ep, &out, 1, 0, &none, 16));
    return 0;
}
