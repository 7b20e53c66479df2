// Many children die at once while the parent waits for any of them: every child is
// reaped exactly once, with its own status, and a last wait gets ECHILD (the Sentry's
// choice and the host's reap must never diverge).
// covers: wait4, waitid
// area: processes and credentials
#include "probe.h"
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 12
#define KIDS 24

/* Forks KIDS children that block on a pipe and exit with their index once it closes. */
static void spawn(pid_t *pids) {
    int p[2];
    if (pipe(p) < 0) exit(2);
    for (int i = 0; i < KIDS; i++) {
        pids[i] = fork();
        if (pids[i] < 0) exit(3);
        if (pids[i] == 0) {
            char c;
            close(p[1]);
            while (read(p[0], &c, 1) < 0 && errno == EINTR) {}
            for (int k = 0; k < (KIDS - i) * 20; k++)  /* the oldest die last */
                sched_yield();
            _exit(i);
        }
    }
    close(p[0]);
    close(p[1]);  /* every child's read returns 0 now: they die together */
}

/* Reaps one child with the round's call; returns its pid (-1 ECHILD) and its status. */
static pid_t reap_any(int how, int *status) {
    if (how == 0) {
        struct rusage ru;
        return (pid_t)syscall(SYS_wait4, -1, status, 0, &ru);
    }
    if (how == 1)
        return (pid_t)syscall(SYS_wait4, 0, status, 0, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL) < 0)
        return -1;
    *status = si.si_status << 8;
    return si.si_pid;
}

int main(void) {
    static const char *names[] = {"wait4(-1)", "wait4(0)", "waitid(P_ALL)"};
    for (int how = 0; how < 3; how++) {
        int bad = 0, reaped = 0;
        for (int r = 0; r < ROUNDS; r++) {
            pid_t pids[KIDS];
            int seen[KIDS] = {0};
            spawn(pids);
            for (int turn = 0;; turn++) {
                int st = 0, i = 0;
                pid_t got;
                errno = 0;
                if (turn % 2 == 0) {
                    got = reap_any(how, &st);
                } else {  /* the youngest child not reaped yet, by its pid */
                    int j = KIDS - 1;
                    while (j >= 0 && seen[j]) j--;
                    if (j < 0) continue;
                    got = (pid_t)syscall(SYS_wait4, pids[j], &st, 0, NULL);
                    if (got < 0) {
                        bad++;  /* an unreaped child of ours is not ECHILD */
                        seen[j] = 1;
                        continue;
                    }
                }
                if (got < 0) {
                    if (errno != ECHILD) bad++;
                    break;
                }
                while (i < KIDS && pids[i] != got) i++;
                if (i == KIDS || seen[i]++ || !WIFEXITED(st) || WEXITSTATUS(st) != i) bad++;
                reaped++;
            }
            for (int i = 0; i < KIDS; i++)
                if (seen[i] != 1) bad++;
            errno = 0;
            if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) bad++;
        }
        printf("%s: %d children reaped, %d problems\n", names[how], reaped, bad);
    }
    return 0;
}
