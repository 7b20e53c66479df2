// build: -static
// Found by the fuzzer (seccomp platform): a signal arriving while a notify-lane call waits
// for the Sentry to *receive* it ends the call in the host kernel with -ERESTARTSYS; with a
// handler without SA_RESTART, getppid() returned EINTR, which Linux never does, and
// syscall(-1) returned -512 (the kernel does not restart a negative number). The Sentry now
// turns such a call into a transparent restart (or ENOSYS for -1) at the signal stop.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile long alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static long raw(long nr) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
    return r;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long n = argc > 1 ? atol(argv[1]) : 20000;
    /* The timer's period (us): the ptrace platform needs more than 200 us to take one
     * signal stop under load, and would then only ever handle signals (a livelock). */
    long period = argc > 2 ? atol(argv[2]) : 200;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, period}, {0, period}};
    setitimer(ITIMER_REAL, &it, NULL);
    long ppid = raw(SYS_getppid), bad_ppid = 0, bad_neg = 0;
    for (long i = 0; i < n; i++) {
        bad_ppid += raw(SYS_getppid) != ppid;
        bad_neg += raw(-1) != -38;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("getppid other than the parent: %ld\n", bad_ppid);
    printf("syscall(-1) other than ENOSYS: %ld\n", bad_neg);
    printf("signals handled: %s\n", alarms > 0 ? "some" : "none");
    return 0;
}
