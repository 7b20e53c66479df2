/* Helpers of the epoll probes (epoll_edge, epoll_edge_files, epoll_nested). */
#ifndef PROBE_EPOLL_H
#define PROBE_EPOLL_H
#include "probe.h"
#include <sys/epoll.h>

/* Prints what one epoll_wait reports ("what: N [events data]..."). */
static inline void show_wait(const char *what, int ep, int timeout) {
    struct epoll_event evs[8];
    errno = 0;
    int n = epoll_wait(ep, evs, 8, timeout);
    printf("%s: %d", what, n);
    if (n < 0) printf(" %s", probe_errname(errno));
    for (int i = 0; i < n; i++) printf(" [%#x data=%llu]", evs[i].events, (unsigned long long)evs[i].data.u64);
    printf("\n");
}

/* A new epoll set watching fd for events, tagged with data. */
static inline int watch(int fd, unsigned events, unsigned long long data) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = events, .data.u64 = data};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) printf("watch %llu: %s\n", data, probe_errname(errno));
    return ep;
}

#endif
