// Host-side timers and usage: alarm() interrupts a blocked read; getrusage, times, itimers.
// covers: alarm, setitimer, getitimer, pause, getrusage, times
// area: signals and time
#include "probe.h"
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

static volatile int fired;
static void handler(int s) { (void)s; fired++; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;  // no SA_RESTART: the blocked read returns EINTR
    sigaction(SIGALRM, &sa, 0);
    int p[2];
    char b;
    pipe(p);
    SHOW("alarm(1)", alarm(1));
    SHOW("read (blocked until SIGALRM)", read(p[0], &b, 1));
    printf("handler ran: %d\n", fired);
    struct itimerval it = {{0, 0}, {0, 200000}}, old;
    SHOW("setitimer(ITIMER_REAL, 200 ms)", setitimer(ITIMER_REAL, &it, 0));
    SHOW("getitimer", getitimer(ITIMER_REAL, &old));
    YESNO("timer armed", old.it_value.tv_sec == 0 && old.it_value.tv_usec > 0);
    SHOW("pause", pause());
    printf("handler ran: %d\n", fired);
    struct rusage ru;
    SHOW("getrusage(RUSAGE_SELF)", getrusage(RUSAGE_SELF, &ru));
    SHOW("getrusage(bad who)", getrusage(42, &ru));
    struct tms t;
    YESNO("times", times(&t) != (clock_t)-1);
    return 0;
}
