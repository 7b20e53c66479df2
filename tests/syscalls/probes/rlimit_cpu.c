// RLIMIT_CPU: SIGXCPU at the soft limit, which the kernel then raises by a second (up to
// the hard limit): getrlimit and prlimit64 show the raised value. Burns ~1 s of CPU.
// covers: prlimit64, rt_sigaction
// area: processes and credentials
#include "probe.h"
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int got;
static void handler(int s) {
    (void)s;
    got++;
}

int main(void) {
    fflush(stdout);
    signal(SIGXCPU, handler);
    struct rlimit r = {1, 3}, now;
    SHOW("setrlimit CPU 1/3", setrlimit(RLIMIT_CPU, &r));
    while (!got) {
    }
    printf("SIGXCPU: %d\n", got);
    SHOW("getrlimit", getrlimit(RLIMIT_CPU, &now));
    printf("soft %ld hard %ld\n", (long)now.rlim_cur, (long)now.rlim_max);
    SHOW("prlimit", prlimit(0, RLIMIT_CPU, 0, &now));
    printf("soft %ld hard %ld\n", (long)now.rlim_cur, (long)now.rlim_max);
    return 0;
}
