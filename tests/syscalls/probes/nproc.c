// RLIMIT_NPROC bounds a fork loop of a non-root user with EAGAIN (uid 0 would be exempt).
// covers: prlimit64, setresuid, clone, wait4
// area: processes and credentials
#include "probe.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        // A uid of its own that nothing else on the host runs as, so the count is ours.
        SHOW("setresuid(43210)", setresuid(43210, 43210, 43210));
        struct rlimit rl = {8, 8};
        SHOW("setrlimit(RLIMIT_NPROC, 8)", setrlimit(RLIMIT_NPROC, &rl));
        int made = 0, err = 0;
        pid_t kids[64];
        for (int i = 0; i < 64; i++) {
            pid_t c = fork();
            if (c == 0) {
                pause();
                _exit(0);
            }
            if (c < 0) {
                err = errno;
                break;
            }
            kids[made++] = c;
        }
        printf("forks before the limit: %d, then %s\n", made, err == EAGAIN ? "EAGAIN" : "?");
        for (int i = 0; i < made; i++) kill(kids[i], SIGKILL);
        for (int i = 0; i < made; i++) waitpid(kids[i], 0, 0);
        fflush(stdout);
        _exit(0);
    }
    SHOW("waitpid", waitpid(p, 0, 0) == p);
    return 0;
}
