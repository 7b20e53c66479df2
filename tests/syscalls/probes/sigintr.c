// Signals vs a blocked call: EINTR without SA_RESTART, the call resumed with it; poll and
// select end with EINTR after a handler even under SA_RESTART (-ERESTARTNOHAND).
// covers: read, poll, select, ppoll, pselect6, kill, rt_sigaction, setitimer
// area: signals and time
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void alarm_handler(int s) {
    (void)s;
}

/* An alarm 50 ms into a wait that nothing else ends (or ends in 5 s). */
static void arm(void) {
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
}

static void never_restarted(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alarm_handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    int p[2];
    pipe(p);
    struct pollfd pf = {p[0], POLLIN, 0};
    fd_set s;
    struct timeval tv = {5, 0};
    struct timespec ts = {5, 0};
    arm();
    SHOW("poll(-1), SA_RESTART handler", poll(&pf, 1, -1));
    arm();
    SHOW("poll(5000), SA_RESTART handler", poll(&pf, 1, 5000));
    arm();
    SHOW("ppoll(NULL mask), SA_RESTART handler", ppoll(&pf, 1, &ts, NULL));
    FD_ZERO(&s);
    FD_SET(p[0], &s);
    arm();
    SHOW("select(NULL), SA_RESTART handler", syscall(SYS_select, p[0] + 1, &s, 0, 0, NULL));
    FD_ZERO(&s);
    FD_SET(p[0], &s);
    arm();
    SHOW("select(5 s), SA_RESTART handler", select(p[0] + 1, &s, 0, 0, &tv));
    FD_ZERO(&s);
    FD_SET(p[0], &s);
    arm();
    SHOW("pselect6(NULL mask), SA_RESTART handler", pselect(p[0] + 1, &s, 0, 0, &ts, NULL));
    close(p[0]);
    close(p[1]);
}

static void handler(int s) {
    (void)s;
    write(1, "handler ran\n", 12);
}

int main(void) {
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGINT, &sa, 0);
        int data[2], ready[2];
        char b;
        pipe(data);
        pipe(ready);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {  // waits until the parent is about to block, then interrupts it
            read(ready[0], &b, 1);
            usleep(150000);
            kill(getppid(), SIGINT);
            usleep(150000);
            write(data[1], "x", 1);
            _exit(0);
        }
        write(ready[1], "r", 1);
        printf("SA_RESTART=%d\n", restart);
        fflush(stdout);
        long r = SHOW("read (blocked, then SIGINT)", read(data[0], &b, 1));
        struct pollfd pf = {data[0], POLLIN, 0};
        if (r < 0)
            SHOW("poll until the data", poll(&pf, 1, -1));
        SHOW("waitpid", waitpid(c, 0, 0) == c);
        close(data[0]); close(data[1]); close(ready[0]); close(ready[1]);
    }
    never_restarted();
    return 0;
}
