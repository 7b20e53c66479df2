// build: -static
// A signal that lands while the Sentry lets the host run a call (ptrace platform: fork and
// every allow-listed call are re-run under PTRACE_SYSCALL) must still find its handler's
// calls trapped. Three other processes send SIGUSR1 as fast as it can while this one forks;
// the handler asks getuid with a raw syscall: the Sentry says the guest's uid (0 under
// `do` as root), the host says 65534. Bounded: 5000 forks or about 3 s, for the senders too.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static volatile long host_uid = -1000, hits;
static long raw0(long nr) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
    return r;
}
static void on_usr1(int s) {
    (void)s;
    long u = raw0(SYS_getuid);
    hits++;
    if (u != 0) host_uid = u;  /* the Sentry says 0; the host says 65534 */
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    printf("guest uid: %ld\n", raw0(SYS_getuid));
    pid_t parent = getpid();
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t killers[3];
    for (int k = 0; k < 3; k++) {
        killers[k] = fork();
        if (killers[k] == 0) {
            struct timespec k0, kn;
            clock_gettime(CLOCK_MONOTONIC, &k0);
            do { /* bounded: about 3 s of kills */
                kill(parent, SIGUSR1);
                clock_gettime(CLOCK_MONOTONIC, &kn);
            } while (kn.tv_sec - k0.tv_sec < 3);
            _exit(0);
        }
    }
    for (int i = 0; i < 5000 && host_uid == -1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 3)
            break; /* bounded: about 3 s of forks */
        pid_t c = fork();
        if (c == 0) _exit(0);
        waitpid(c, NULL, 0);
    }
    for (int k = 0; k < 3; k++) {
        kill(killers[k], SIGKILL);
        waitpid(killers[k], NULL, 0);
    }
    printf("handler ran: %s\n", hits ? "yes" : "no");
    printf("getuid in a handler: %s\n", host_uid == -1000 ? "the guest's" : "the HOST's");
    return 0;
}
