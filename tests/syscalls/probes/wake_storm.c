// Short sleeps while children stop and exit all the time: every sleep ends and every child
// is reaped. In the Sentry the sleeps are its timers and each child's exit a SIGCHLD of its
// own, so both wake-ups of its wait come together again and again (a wake-up lost there
// hangs the sandbox: the test's timeout fails it).
// covers: clock_nanosleep, wait4, kill, tgkill
// area: process
// usage: wake_storm SCRATCH
#include "probe.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 600

int main(void) {
    int slept = 0, reaped = 0, stopped = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pid_t kid = fork();
        if (kid == 0) {
            if (i % 10 == 0)
                raise(SIGSTOP);  /* until the parent has seen it stopped */
            volatile unsigned long spin = 0;
            for (unsigned long j = 0; j < 20000UL * (i % 7); j++)
                spin += j;  /* a little CPU, so the exit lands anywhere in the sleep */
            _exit(i % 256);
        }
        if (i % 10 == 0) {
            int st;
            if (waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st))
                stopped++;
            kill(kid, SIGCONT);
        }
        struct timespec ts = {0, 100000L * (1 + i % 5)};
        if ((i % 2 ? nanosleep(&ts, NULL) : clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL)) == 0)
            slept++;
        int st;
        if (waitpid(kid, &st, 0) == kid && WIFEXITED(st) && WEXITSTATUS(st) == i % 256)
            reaped++;
    }
    printf("slept %d of %d\n", slept, ROUNDS);
    printf("reaped %d of %d\n", reaped, ROUNDS);
    printf("stopped %d of %d\n", stopped, ROUNDS / 10);
    return 0;
}
