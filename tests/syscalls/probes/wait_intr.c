// A blocked wait4/waitid and signals: EINTR without SA_RESTART, restarted with it (the
// Sentry parks the call; on seccomp it is moved from its seccomp stop to its exit stop).
// covers: wait4, waitid, kill, rt_sigaction
// area: signals and time
#include "probe.h"
#include <signal.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void handler(int s) { (void)s; }

static long wait_any(int how, int *code) {
    if (how == 0) {
        int st = 0;
        long r = syscall(SYS_wait4, -1, &st, 0, NULL);
        *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return r;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r = syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL);
    *code = si.si_status;
    return r < 0 ? r : si.si_pid;
}

int main(void) {
    static const char *names[] = {"wait4(-1)", "waitid(P_ALL)"};
    for (int how = 0; how < 2; how++) {
        for (int restart = 0; restart < 2; restart++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = handler;
            sa.sa_flags = restart ? SA_RESTART : 0;
            sigaction(SIGUSR1, &sa, 0);
            int stop[2];
            if (pipe(stop) < 0) return 2;
            fflush(stdout);
            pid_t c = fork();
            if (c == 0) {
                /* Without SA_RESTART: signal until the parent has seen its EINTR. With
                 * it: a few signals, then exit; the parent's wait must never see EINTR. */
                close(stop[1]);
                for (int i = 0; restart ? i < 4 : 1; i++) {
                    kill(getppid(), SIGUSR1);
                    struct timeval tv = {0, 50000};
                    fd_set fds;
                    FD_ZERO(&fds);
                    FD_SET(stop[0], &fds);
                    if (select(stop[0] + 1, &fds, NULL, NULL, &tv) > 0) break;
                }
                _exit(7);
            }
            close(stop[0]);
            int code = -1, eintr = 0;
            long r;
            errno = 0;
            while ((r = wait_any(how, &code)) < 0 && errno == EINTR) {
                if (!restart && !eintr) write(stop[1], "s", 1);  /* once: it may be gone */
                eintr = 1;
            }
            printf("%s SA_RESTART=%d: EINTR %s, then %s, code %d\n", names[how], restart,
                   eintr ? "seen" : "not seen", r == c ? "the child" : "something else",
                   code);
            close(stop[1]);
        }
    }
    return 0;
}
