// epoll: ctl errno cases, level-triggered readiness, ONESHOT, blocking wait, close drops.
// covers: epoll_create, epoll_create1, epoll_ctl, epoll_wait
// area: I/O and readiness
#include "probe.h"
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_wait(const char *what, int ep, int maxev, int timeout) {
    struct epoll_event evs[4];
    errno = 0;
    int n = epoll_wait(ep, evs, maxev, timeout);
    printf("%s: %d", what, n);
    if (n < 0) printf(" %s", probe_errname(errno));
    for (int i = 0; i < n; i++) printf(" [%#x data=%llu]", evs[i].events, (unsigned long long)evs[i].data.u64);
    printf("\n");
}

int main(int argc, char **argv) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    YESNO("epoll_create1", ep >= 0);
    SHOW("epoll_create1(bad flags)", epoll_create1(1));
    SHOW("epoll_create(0)", epoll_create(0));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    SHOW("ctl ADD read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    SHOW("ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    SHOW("ctl MOD unknown", epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev));
    SHOW("ctl DEL unknown", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], &ev));
    SHOW("ctl ADD itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    SHOW("ctl ADD bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
    SHOW("ctl on a pipe as epfd", epoll_ctl(p[0], EPOLL_CTL_ADD, q[0], &ev));
    char path[512];
    const char *dir = argc > 1 ? argv[1] : "epoll-scratch";
    mkdir(dir, 0700);  // the harness names a directory that does not exist yet
    snprintf(path, sizeof path, "%s/epoll-file", dir);
    int f = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    SHOW("ctl ADD regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
    show_wait("wait, nothing ready", ep, 4, 0);
    show_wait("wait, maxevents 0", ep, 0, 0);
    write(p[1], "ab", 2);
    show_wait("wait after a write", ep, 4, 0);
    show_wait("again (level-triggered)", ep, 4, 0);
    char b[2];
    read(p[0], b, 2);
    show_wait("drained", ep, 4, 0);
    struct epoll_event wev = {.events = EPOLLOUT | EPOLLONESHOT, .data.u64 = 9};
    SHOW("ctl ADD write end ONESHOT", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &wev));
    show_wait("oneshot fires", ep, 4, 0);
    show_wait("oneshot disabled", ep, 4, 0);
    SHOW("ctl MOD re-arms", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &wev));
    show_wait("fires again", ep, 4, 0);
    SHOW("ctl DEL write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        write(p[1], "x", 1);
        _exit(0);
    }
    show_wait("blocking wait, child writes", ep, 4, 5000);
    waitpid(c, 0, 0);
    read(p[0], b, 1);
    close(p[1]);
    show_wait("writer closed (HUP)", ep, 4, 0);
    close(p[0]);
    show_wait("read end closed: registration gone", ep, 4, 0);
    unlink(path);
    return 0;
}
