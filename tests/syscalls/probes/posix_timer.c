// POSIX timers: timer_create (SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE, the default),
// timer_settime/gettime (relative, TIMER_ABSTIME, intervals), timer_getoverrun, timer_delete,
// errno cases; clock_nanosleep with TIMER_ABSTIME.
// covers: timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete, clock_nanosleep
// area: signals and time
#include "probe.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static long raw_create(clockid_t c, struct sigevent *sev, timer_t *id) {
    int k;
    long r = syscall(SYS_timer_create, c, sev, &k);
    if (r == 0 && id) *id = (timer_t)(long)k;
    return r;
}

static void arm(timer_t id, long value_ms, long interval_ms, int flags) {
    struct itimerspec its = {{interval_ms / 1000, interval_ms % 1000 * 1000000},
                             {value_ms / 1000, value_ms % 1000 * 1000000}};
    if (timer_settime(id, flags, &its, NULL)) perror("settime");
}

static siginfo_t wait_sig(int sig) {
    sigset_t set;
    siginfo_t si;
    sigemptyset(&set);
    sigaddset(&set, sig);
    memset(&si, 0, sizeof si);
    sigwaitinfo(&set, &si);
    return si;
}

static pid_t waiter_tid;
static volatile int waiter_ready;

static void *waiter(void *p) {
    waiter_tid = gettid();
    waiter_ready = 1;
    siginfo_t si = wait_sig(SIGRTMIN + 1);
    printf("thread got it: %s code %d value %d\n", gettid() == waiter_tid ? "yes" : "no",
           si.si_code, si.si_value.sival_int);
    return p;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);  // a child prints too
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    timer_t a, b, c;
    SHOW("timer_create default", raw_create(CLOCK_MONOTONIC, NULL, &a));
    printf("first id: %ld\n", (long)a);
    arm(a, 20, 0, 0);
    siginfo_t si = wait_sig(SIGALRM);
    printf("SIGALRM: code %d timerid %d value %d\n", si.si_code, si.si_timerid,
           si.si_value.sival_int);

    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 77;
    SHOW("timer_create SIGEV_SIGNAL realtime", raw_create(CLOCK_REALTIME, &sev, &b));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec its = {{0, 0}, {now.tv_sec, now.tv_nsec + 30000000}};
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    SHOW("timer_settime ABSTIME", timer_settime(b, TIMER_ABSTIME, &its, NULL));
    si = wait_sig(SIGUSR1);
    printf("SIGUSR1: code %d value %d overrun %d\n", si.si_code, si.si_value.sival_int,
           si.si_overrun);

    SHOW("timer_getoverrun", timer_getoverrun(b));
    // An interval timer keeps firing (its overrun count is not compared: see posix_timers.py).
    arm(b, 10, 10, 0);
    for (int i = 0; i < 3; i++) wait_sig(SIGUSR1);
    printf("three expirations\n");
    struct itimerspec cur;
    SHOW("timer_gettime", timer_gettime(b, &cur));
    YESNO("interval kept", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 10000000);
    YESNO("armed", cur.it_value.tv_sec || cur.it_value.tv_nsec);
    arm(b, 0, 0, 0);
    SHOW("timer_gettime disarmed", timer_gettime(b, &cur));
    printf("value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    // SIGEV_NONE: no signal, but the timer runs.
    sev.sigev_notify = SIGEV_NONE;
    SHOW("timer_create SIGEV_NONE", raw_create(CLOCK_BOOTTIME, &sev, &c));
    arm(c, 5000, 0, 0);
    SHOW("timer_gettime SIGEV_NONE", timer_gettime(c, &cur));
    YESNO("counting down", cur.it_value.tv_sec == 4 || cur.it_value.tv_sec == 5);
    SHOW("timer_delete", timer_delete(c));
    SHOW("timer_delete again", timer_delete(c));
    SHOW("timer_gettime deleted", timer_gettime(c, &cur));

    // SIGEV_THREAD_ID: to one thread.
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    while (!waiter_ready) usleep(1000);
    timer_t d;
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGRTMIN + 1;
    sev.sigev_value.sival_int = 5;
    sev.sigev_notify_thread_id = waiter_tid;
    SHOW("timer_create SIGEV_THREAD_ID", raw_create(CLOCK_MONOTONIC, &sev, &d));
    arm(d, 20, 0, 0);
    pthread_join(th, NULL);

    // errno cases.
    sev.sigev_notify_thread_id = 0x3ffffff0;
    SHOW("SIGEV_THREAD_ID bad tid", raw_create(CLOCK_MONOTONIC, &sev, NULL));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = 0;
    SHOW("signo 0", raw_create(CLOCK_MONOTONIC, &sev, NULL));
    sev.sigev_signo = 65;
    SHOW("signo 65", raw_create(CLOCK_MONOTONIC, &sev, NULL));
    sev.sigev_signo = SIGUSR1;
    sev.sigev_notify = 3;
    SHOW("bad notify", raw_create(CLOCK_MONOTONIC, &sev, NULL));
    SHOW("bad clock", raw_create(99, NULL, NULL));
    SHOW("bad sevp", syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &(int){0}));
    its.it_value.tv_nsec = 1000000000;
    SHOW("settime bad nsec", timer_settime(a, 0, &its, NULL));
    SHOW("settime bad id", timer_settime((timer_t)1234, 0, &cur, NULL));
    SHOW("getoverrun bad id", timer_getoverrun((timer_t)1234));

    // fork: timers are not inherited.
    pid_t p = fork();
    if (p == 0) {
        SHOW("child: timer_gettime inherited", timer_gettime(a, &cur));
        fflush(stdout);
        _exit(0);
    }
    waitpid(p, NULL, 0);

    // clock_nanosleep TIMER_ABSTIME in the past returns at once; in the future it waits.
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct timespec past = {now.tv_sec - 1, 0}, later = now;
    later.tv_nsec += 20000000;
    if (later.tv_nsec >= 1000000000) {
        later.tv_sec++;
        later.tv_nsec -= 1000000000;
    }
    SHOW("clock_nanosleep abs past", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
    SHOW("clock_nanosleep abs", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &later, NULL));
    clock_gettime(CLOCK_MONOTONIC, &now);
    YESNO("woke after the deadline", now.tv_sec > later.tv_sec ||
          (now.tv_sec == later.tv_sec && now.tv_nsec >= later.tv_nsec));
    return 0;
}
