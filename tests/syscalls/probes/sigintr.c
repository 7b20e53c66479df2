// Signals vs a blocked call: EINTR without SA_RESTART, the call resumed with it.
// covers: read, poll, kill, rt_sigaction
// area: signals and time
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    return 0;
}
