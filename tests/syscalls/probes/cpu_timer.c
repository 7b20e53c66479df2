// POSIX timers on CPU-time clocks: CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and
// clock_getcpuclockid's clock of another process fire once that CPU time is used, not
// while the process sleeps; intervals, timer_gettime, TIMER_ABSTIME and the errors;
// clock_nanosleep on another process's CPU clock.
// covers: timer_create, timer_settime, timer_gettime, timer_delete, clock_gettime, clock_getres, clock_nanosleep
// area: signals and time
#include "probe.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static volatile sig_atomic_t fired, code, value;
static volatile long long proc_at, thread_at;  // the CPU times when the signal came

static long long now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_sig(int sig, siginfo_t *si, void *uc) {
    if (!fired) {
        proc_at = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        thread_at = now_ns(CLOCK_THREAD_CPUTIME_ID);
    }
    fired++;
    code = si->si_code;
    value = si->si_value.sival_int;
}

static timer_t make(clockid_t c, int val) {
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
                           .sigev_value.sival_int = val};
    timer_t id;
    if (timer_create(c, &sev, &id) < 0) {
        printf("timer_create: -1 %s\n", probe_errname(errno));
        exit(1);
    }
    return id;
}

static void arm(timer_t id, long long value_ns, long long interval_ns, int flags) {
    struct itimerspec its = {{interval_ns / 1000000000LL, interval_ns % 1000000000LL},
                             {value_ns / 1000000000LL, value_ns % 1000000000LL}};
    timer_settime(id, flags, &its, NULL);
}

// Spins until `n` signals came (bounded by 30 s of wall time); the CPU time it took.
static long long spin_until(int n, clockid_t c) {
    long long start = now_ns(c), wall = now_ns(CLOCK_MONOTONIC);
    while (fired < n && now_ns(CLOCK_MONOTONIC) - wall < 30000 * MS)
        ;
    return now_ns(c) - start;
}

static volatile int spin_stop;

static void *spinner(void *arg) {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);  // the timer's signal goes to main
    while (!spin_stop)
        ;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);

    // The process clock: no signal while it sleeps, one after 50 ms of CPU.
    timer_t id = make(CLOCK_PROCESS_CPUTIME_ID, 1);
    long long armed = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    arm(id, 50 * MS, 0, 0);
    struct itimerspec cur;
    timer_gettime(id, &cur);
    YESNO("armed: 0 < remaining <= 50 ms", (cur.it_value.tv_sec || cur.it_value.tv_nsec)
                                              && cur.it_value.tv_sec == 0
                                              && cur.it_value.tv_nsec <= 50 * MS);
    struct timespec nap = {0, 200 * MS};
    nanosleep(&nap, NULL);
    printf("after sleeping 200 ms: %d signals\n", fired);
    long long used = spin_until(1, CLOCK_PROCESS_CPUTIME_ID);
    printf("process clock: %d signal, code %d value %d\n", fired, code, value);
    YESNO("not before 50 ms of CPU", proc_at - armed >= 50 * MS);
    YESNO("spun less than 10 s", used < 10000 * MS);
    timer_gettime(id, &cur);
    printf("disarmed: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    // An interval: the signal comes again every 20 ms of CPU.
    fired = 0;
    arm(id, 20 * MS, 20 * MS, 0);
    spin_until(3, CLOCK_PROCESS_CPUTIME_ID);
    printf("interval: at least 3 signals: %s\n", fired >= 3 ? "yes" : "no");
    timer_gettime(id, &cur);
    printf("interval kept: %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    arm(id, 0, 0, 0);
    timer_delete(id);

    // TIMER_ABSTIME: an absolute CPU time; one already passed fires at once.
    fired = 0;
    id = make(CLOCK_PROCESS_CPUTIME_ID, 2);
    long long start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    arm(id, start + 30 * MS, 0, TIMER_ABSTIME);
    spin_until(1, CLOCK_PROCESS_CPUTIME_ID);
    YESNO("abstime: not before its CPU time", fired == 1 && proc_at >= start + 30 * MS);
    fired = 0;
    arm(id, 1 * MS, 0, TIMER_ABSTIME);
    spin_until(1, CLOCK_PROCESS_CPUTIME_ID);
    printf("abstime in the past: %d signal\n", fired);
    timer_delete(id);

    // The thread clock.
    fired = 0;
    id = make(CLOCK_THREAD_CPUTIME_ID, 3);
    armed = now_ns(CLOCK_THREAD_CPUTIME_ID);
    arm(id, 40 * MS, 0, 0);
    spin_until(1, CLOCK_THREAD_CPUTIME_ID);
    printf("thread clock: %d signal, value %d\n", fired, value);
    YESNO("not before 40 ms of thread CPU", thread_at - armed >= 40 * MS);
    timer_delete(id);
    clockid_t tc;
    pthread_getcpuclockid(pthread_self(), &tc);
    timer_t tid;
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    SHOW("timer_create pthread_getcpuclockid", timer_create(tc, &sev, &tid));
    timer_delete(tid);

    // Another thread's clock: read, and a timer on it fires once that thread has run.
    pthread_t th;
    pthread_create(&th, NULL, spinner, NULL);
    pthread_getcpuclockid(th, &tc);
    fired = 0;
    id = make(tc, 5);
    arm(id, 30 * MS, 0, 0);
    sigset_t none;
    sigemptyset(&none);
    while (!fired)
        sigsuspend(&none);
    printf("other thread's clock: %d signal, value %d\n", fired, value);
    struct timespec ts;
    SHOW("clock_gettime other thread", clock_gettime(tc, &ts));
    YESNO("  it ran 30 ms", ts.tv_sec * 1000000000LL + ts.tv_nsec >= 30 * MS);
    SHOW("clock_getres other thread", clock_getres(tc, &ts));
    printf("  %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    spin_stop = 1;
    pthread_join(th, NULL);
    timer_delete(id);

    // Another process's clock: fires once the child has used 60 ms of CPU.
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(p[0], &c, 1);  // idle until the parent has armed the timer
        for (;;)
            ;
    }
    clockid_t cc;
    SHOW("clock_getcpuclockid child", clock_getcpuclockid(child, &cc));
    fired = 0;
    id = make(cc, 4);
    arm(id, 60 * MS, 0, 0);
    nanosleep(&nap, NULL);
    printf("child idle: %d signals\n", fired);
    write(p[1], "g", 1);
    while (!fired)
        sigsuspend(&none);
    clock_gettime(cc, &ts);
    printf("child clock: %d signal, value %d\n", fired, value);
    YESNO("child used 60 ms", ts.tv_sec * 1000000000LL + ts.tv_nsec >= 60 * MS);

    // Sleeping on the child's clock: until it has used that much more CPU.
    long long before = now_ns(cc);
    struct timespec req = {0, 50 * MS};
    SHOW("clock_nanosleep child clock", clock_nanosleep(cc, 0, &req, NULL));
    YESNO("  the child ran 50 ms meanwhile", now_ns(cc) - before >= 50 * MS);
    req.tv_nsec = 1 * MS;
    SHOW("clock_nanosleep child clock, abstime passed", clock_nanosleep(cc, TIMER_ABSTIME,
                                                                        &req, NULL));
    req.tv_nsec = -1;
    SHOW("clock_nanosleep bad time", clock_nanosleep(cc, 0, &req, NULL));
    req.tv_nsec = 1 * MS;
    SHOW("clock_nanosleep thread clock", clock_nanosleep(tc, 0, &req, NULL));

    // Interrupted by a handler: EINTR, with the time left (nothing else runs meanwhile).
    kill(child, SIGSTOP);
    struct sigaction alrm = {0};
    alrm.sa_sigaction = on_sig;
    alrm.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGALRM, &alrm, NULL);
    struct itimerval it = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    req.tv_sec = 1;
    req.tv_nsec = 0;
    struct timespec left = {0, 0};
    SHOW("clock_nanosleep stopped child's clock, SIGALRM", clock_nanosleep(cc, 0, &req, &left));
    YESNO("  rem: about 1 s", left.tv_sec == 1 || (left.tv_sec == 0 && left.tv_nsec > 900 * MS));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    timer_delete(id);

    // A thread clock of another process: EINVAL (only the caller's threads).
    clockid_t other = ((~(clockid_t)child) << 3) | 6;
    SHOW("timer_create other's thread clock", timer_create(other, &sev, &tid));
    SHOW("timer_create gone process clock", timer_create(cc, &sev, &tid));
    return 0;
}
