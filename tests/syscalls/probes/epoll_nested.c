// epoll sets inside epoll sets (readiness, edges, blocking, poll/select on an epoll fd),
// the nesting errors (itself, loops, chains longer than EP_MAX_NESTS) and EPOLLEXCLUSIVE's.
// covers: epoll_ctl, epoll_wait, epoll_create1, poll, pselect6
// area: I/O and readiness
#include "probe_epoll.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static long add(int ep, int fd, unsigned events, unsigned long long data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void show_poll(const char *what, int fd) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLOUT};
    int n = poll(&pfd, 1, 0);
    printf("%s: %d %#x\n", what, n, pfd.revents);
}

static void readiness(void) {
    int p[2];
    pipe(p);
    int inner = epoll_create1(0), outer = epoll_create1(0), lt = epoll_create1(0);
    add(inner, p[0], EPOLLIN, 1);
    SHOW("ADD an epoll set (ET) into another", add(outer, inner, EPOLLIN | EPOLLET, 2));
    SHOW("ADD it into a third (LT)", add(lt, inner, EPOLLIN | EPOLLOUT, 3));
    show_wait("outer: inner empty", outer, 0);
    show_poll("poll(inner): empty", inner);
    write(p[1], "a", 1);
    show_poll("poll(inner): a pipe ready", inner);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(inner, &r);
    struct timeval tv = {0, 0};
    printf("select(inner): %d %d\n", select(inner + 1, &r, NULL, NULL, &tv), FD_ISSET(inner, &r));
    show_wait("outer (ET): inner ready", outer, 0);
    show_wait("outer (ET): again", outer, 0);
    show_wait("lt (LT): inner ready", lt, 0);
    show_wait("lt (LT): again", lt, 0);
    write(p[1], "b", 1);
    show_wait("outer (ET): a new event in inner", outer, 0);
    show_wait("inner: the pipe", inner, 0);
    show_wait("outer (ET): inner reported, nothing new", outer, 0);
    char b[8];
    read(p[0], b, sizeof b);
    show_poll("poll(inner): drained", inner);
    show_wait("lt (LT): inner drained", lt, 0);

    int q[2];
    pipe(q);
    write(q[1], "x", 1);
    SHOW("ADD a ready pipe into inner", add(inner, q[0], EPOLLIN, 4));
    show_wait("outer (ET): inner got a ready entry", outer, 0);
    read(q[0], b, 1);

    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        write(p[1], "c", 1);
        _exit(0);
    }
    show_wait("outer: blocking, a child writes to the inner pipe", outer, 5000);
    waitpid(c, NULL, 0);
    read(p[0], b, 1);

    close(inner);
    write(p[1], "d", 1);
    show_wait("lt: inner closed, its registration gone", lt, 0);
    show_wait("outer: the same", outer, 0);
    close(outer);
    close(lt);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static void nesting_errors(void) {
    int e[12];
    for (int i = 0; i < 12; i++) e[i] = epoll_create1(0);
    SHOW("ADD a set into itself", add(e[0], e[0], EPOLLIN, 0));
    int d = dup(e[0]);
    SHOW("ADD a set into itself through a dup", add(e[0], d, EPOLLIN, 0));
    close(d);
    add(e[0], e[1], EPOLLIN, 0);
    add(e[1], e[2], EPOLLIN, 0);
    SHOW("ADD closing a loop of three", add(e[2], e[0], EPOLLIN, 0));
    SHOW("ADD closing a loop of two", add(e[1], e[0], EPOLLIN, 0));
    SHOW("ADD an existing link", add(e[0], e[1], EPOLLIN, 0));
    /* e0 <- e1 <- e2 holds; grow the chain at the bottom, then at the top */
    SHOW("a chain of 3 links", add(e[2], e[3], EPOLLIN, 0));
    SHOW("a chain of 4 links", add(e[3], e[4], EPOLLIN, 0));
    SHOW("a chain of 5 links, grown at the top", add(e[5], e[0], EPOLLIN, 0));
    SHOW("a chain of 5 links, grown at the bottom", add(e[4], e[5], EPOLLIN, 0));
    /* two chains of 2 joined by a link: 5 links */
    add(e[6], e[7], EPOLLIN, 0);
    add(e[8], e[9], EPOLLIN, 0);
    add(e[9], e[10], EPOLLIN, 0);
    SHOW("joining 1 + 1 + 2 links", add(e[7], e[8], EPOLLIN, 0));
    SHOW("a second parent in the middle", add(e[11], e[8], EPOLLIN, 0));
    SHOW("a fifth link below the joined chain", add(e[10], e[5], EPOLLIN, 0));
    for (int i = 0; i < 12; i++) close(e[i]);

    int a = epoll_create1(0), b = epoll_create1(0), efd = eventfd(0, 0);
    SHOW("EXCLUSIVE on an epoll target", add(a, b, EPOLLIN | EPOLLEXCLUSIVE, 0));
    SHOW("EXCLUSIVE with ONESHOT", add(a, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0));
    SHOW("EXCLUSIVE with RDNORM", add(a, efd, EPOLLIN | EPOLLRDNORM | EPOLLEXCLUSIVE, 0));
    SHOW("EXCLUSIVE with ET", add(a, efd, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, 0));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    SHOW("MOD with EXCLUSIVE", epoll_ctl(a, EPOLL_CTL_MOD, efd, &ev));
    ev.events = EPOLLIN;
    SHOW("MOD of an EXCLUSIVE entry", epoll_ctl(a, EPOLL_CTL_MOD, efd, &ev));
    SHOW("DEL of an EXCLUSIVE entry", epoll_ctl(a, EPOLL_CTL_DEL, efd, &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    SHOW("MOD with EXCLUSIVE, no entry", epoll_ctl(a, EPOLL_CTL_MOD, efd, &ev));
    SHOW("op 0", epoll_ctl(a, 0, efd, &ev));
    SHOW("op 4", epoll_ctl(a, 4, efd, &ev));
    SHOW("ctl with a bad event pointer", epoll_ctl(a, EPOLL_CTL_ADD, 999, (void *)8));
    SHOW("DEL ignores the event pointer", epoll_ctl(a, EPOLL_CTL_DEL, efd, (void *)8));
    SHOW("ctl on an eventfd as epfd", epoll_ctl(efd, EPOLL_CTL_ADD, b, &ev));
    unsigned long long one = 1;
    write(efd, &one, 8);
    SHOW("EXCLUSIVE ADD", add(a, efd, EPOLLIN | EPOLLEXCLUSIVE, 9));
    show_wait("EXCLUSIVE entry reports", a, 0);
    close(a);
    close(b);
    close(efd);
}

int main(void) {
    readiness();
    nesting_errors();
    return 0;
}
