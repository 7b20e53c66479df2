// build: -static
// Found by the fuzzer: poll for an event a host stdio fd never signals (POLLPRI on
// /dev/null or a regular file) parked the task on the host fd, and the loop's epoll refused
// that fd (EPERM): the Sentry died. Linux: such files have no poll method and are always
// POLLIN|POLLOUT, so the call waits for its timeout (0), like a select with an exception set.
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <sys/select.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct pollfd p[2] = {{0, POLLPRI, 0}, {1, POLLPRI, 0}};
    int r = poll(p, 2, 50);
    printf("poll POLLPRI on stdin and stdout: %d revents %#x %#x\n", r, p[0].revents,
           p[1].revents);
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(0, &ex);
    struct timeval tv = {0, 50000};
    printf("select exceptfds on stdin: %d\n", select(1, NULL, NULL, &ex, &tv));
    return 0;
}
