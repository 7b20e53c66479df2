// The older and the newer forms of the readiness calls: select(2) by its own number,
// eventfd(2) without flags, epoll_pwait and epoll_pwait2 (timeouts, masks, errno cases).
// covers: select, eventfd, epoll_pwait, epoll_pwait2
// area: I/O and readiness
#include "probe.h"
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static void selects(void) {
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    SHOW("select(r: empty pipe, w: pipe)", syscall(SYS_select, p[1] + 1, &r, &w, NULL, &tv));
    YESNO("r set", FD_ISSET(p[0], &r));
    YESNO("w set", FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){5, 0};
    SHOW("select(r: data)", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
    YESNO("r set", FD_ISSET(p[0], &r));
    YESNO("timeout written back (3-4 s left)", tv.tv_sec >= 3 && tv.tv_sec <= 4);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    read(p[0], (char[1]){0}, 1);
    tv = (struct timeval){0, 20000};
    SHOW("select(timeout 20ms)", syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
    printf("timeout left: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
    FD_ZERO(&r);
    FD_SET(60, &r);
    tv = (struct timeval){0, 0};
    SHOW("select(closed fd)", syscall(SYS_select, 61, &r, NULL, NULL, &tv));
    SHOW("select(nfds < 0)", syscall(SYS_select, -1, NULL, NULL, NULL, &tv));
    tv.tv_usec = -1;
    SHOW("select(bad timeout)", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
    SHOW("select(bad set ptr)", syscall(SYS_select, 1, (void *)8, NULL, NULL, NULL));
    close(p[0]);
    close(p[1]);
}

static void eventfds(void) {
    int e = SHOW("eventfd(3)", syscall(SYS_eventfd, 3));
    uint64_t v = 0;
    SHOW("read", read(e, &v, 8));
    printf("value: %llu\n", (unsigned long long)v);
    SHOW("write(5)", write(e, &(uint64_t){5}, 8));
    SHOW("write(4 bytes)", write(e, &v, 4));
    SHOW("write(~0)", write(e, &(uint64_t){~0ULL}, 8));
    SHOW("read", read(e, &v, 8));
    printf("value: %llu\n", (unsigned long long)v);
    SHOW("read(4 bytes)", read(e, &v, 4));
    close(e);
}

static void epolls(void) {
    int ep = epoll_create1(0);
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    SHOW("epoll_pwait(empty, 0ms)", epoll_pwait(ep, out, 4, 0, NULL));
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    SHOW("epoll_pwait(empty, 20ms, mask)", epoll_pwait(ep, out, 4, 20, &mask));
    write(p[1], "x", 1);
    SHOW("epoll_pwait(ready)", epoll_pwait(ep, out, 4, 1000, &mask));
    printf("data: %u events: 0x%x\n", out[0].data.u32, out[0].events);
    SHOW("epoll_pwait(maxevents 0)", epoll_pwait(ep, out, 0, 0, NULL));
    SHOW("epoll_pwait(bad fd)", epoll_pwait(99, out, 4, 0, NULL));
    SHOW("epoll_pwait(not epoll)", epoll_pwait(p[0], out, 4, 0, NULL));
    SHOW("epoll_pwait(bad sigsetsize)", syscall(SYS_epoll_pwait, ep, out, 4, 0, &mask, 4));
    SHOW("epoll_pwait(bad events ptr)", syscall(SYS_epoll_pwait, ep, (void *)8, 4, 0, NULL, 8));
    struct timespec ts = {0, 0};
    SHOW("epoll_pwait2(ready, 0)", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
    read(p[0], (char[1]){0}, 1);
    ts.tv_nsec = 20000000;
    SHOW("epoll_pwait2(empty, 20ms)", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, &mask, 8));
    ts.tv_nsec = 1000000000;
    SHOW("epoll_pwait2(bad timeout)", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
    SHOW("epoll_pwait2(bad timeout ptr)", syscall(SYS_epoll_pwait2, ep, out, 4, (void *)8, NULL, 8));
    SHOW("epoll_pwait2(maxevents -1)", syscall(SYS_epoll_pwait2, ep, out, -1, NULL, NULL, 8));
    write(p[1], "y", 1);
    SHOW("epoll_pwait2(NULL timeout, ready)", syscall(SYS_epoll_pwait2, ep, out, 4, NULL, NULL, 8));
}

int main(void) {
    selects();
    eventfds();
    epolls();
    return 0;
}
