// epoll edge-triggered: EPOLLET on pipes (both ends), eventfd, unix and TCP loopback
// sockets, host stdio; EPOLLONESHOT with EPOLLET; EPOLL_CTL_MOD re-arming; two sets on one file.
// covers: epoll_ctl, epoll_wait, epoll_create1
// area: I/O and readiness
#include "probe_epoll.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static void drain(int fd) {
    char b[4096];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, b, sizeof b) > 0) {
    }
    fcntl(fd, F_SETFL, fl);
}

static void pipe_read_end(void) {
    int p[2];
    char b[64];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 1};
    int ep = watch(p[0], ev.events, 1);
    show_wait("pipe ET: empty", ep, 0);
    write(p[1], "a", 1);
    show_wait("pipe ET: a write", ep, 0);
    show_wait("pipe ET: again, data unread", ep, 0);
    write(p[1], "b", 1);
    show_wait("pipe ET: a second write, not drained", ep, 0);
    write(p[1], "c", 1);
    write(p[1], "d", 1);
    show_wait("pipe ET: two writes, one report", ep, 0);
    show_wait("pipe ET: again", ep, 0);
    read(p[0], b, 1);
    show_wait("pipe ET: a partial read is no edge", ep, 0);
    SHOW("pipe ET: ctl MOD", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    show_wait("pipe ET: MOD re-arms (data left)", ep, 0);
    show_wait("pipe ET: again", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    show_wait("pipe ET: two MODs, one report", ep, 0);
    read(p[0], b, sizeof b);
    show_wait("pipe ET: drained", ep, 0);
    write(p[1], "e", 1);
    write(p[1], "", 0);
    show_wait("pipe ET: a write then an empty one", ep, 0);
    write(p[1], "", 0);
    show_wait("pipe ET: an empty write is no edge", ep, 0);
    close(p[1]);
    show_wait("pipe ET: writer closed", ep, 0);
    show_wait("pipe ET: again", ep, 0);
    close(p[0]);
    close(ep);
}

static void pipe_write_end(void) {
    int p[2];
    char b[4096];
    pipe(p);
    int ep = watch(p[1], EPOLLOUT | EPOLLET, 2);
    show_wait("pipe write end ET: added while writable", ep, 0);
    show_wait("pipe write end ET: again", ep, 0);
    write(p[1], "x", 1);
    show_wait("pipe write end ET: after a write", ep, 0);
    read(p[0], b, 1);
    show_wait("pipe write end ET: a read of a pipe not full", ep, 0);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    int total = 0, r;
    memset(b, 'f', sizeof b);
    while ((r = write(p[1], b, sizeof b)) > 0) total += r;
    printf("pipe write end ET: filled %d\n", total);
    show_wait("pipe write end ET: full", ep, 0);
    read(p[0], b, 50);
    show_wait("pipe write end ET: a read frees no page", ep, 0);
    read(p[0], b, 4096 - 50);
    show_wait("pipe write end ET: a read frees a page", ep, 0);
    close(p[0]);
    show_wait("pipe write end ET: reader closed", ep, 0);
    close(p[1]);
    close(ep);
}

static void oneshot_and_two_sets(void) {
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLONESHOT, .data.u64 = 3};
    int ep = watch(p[0], ev.events, 3);
    write(p[1], "a", 1);
    show_wait("ET|ONESHOT: fires", ep, 0);
    write(p[1], "a", 1);
    show_wait("ET|ONESHOT: disabled, new write", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    show_wait("ET|ONESHOT: MOD re-arms, data unread", ep, 0);
    show_wait("ET|ONESHOT: again", ep, 0);
    write(p[1], "a", 1);
    show_wait("ET|ONESHOT: disabled again", ep, 0);
    drain(p[0]);
    close(ep);

    int et = watch(p[0], EPOLLIN | EPOLLET, 4), lt = watch(p[0], EPOLLIN, 5);
    write(p[1], "z", 1);
    show_wait("two sets: ET", et, 0);
    show_wait("two sets: LT", lt, 0);
    show_wait("two sets: ET again", et, 0);
    show_wait("two sets: LT again", lt, 0);
    struct epoll_event dup_ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 6};
    int d = dup(p[0]);
    SHOW("two fds of one pipe in a set", epoll_ctl(et, EPOLL_CTL_ADD, d, &dup_ev));
    write(p[1], "y", 1);
    show_wait("two fds: both report", et, 0);
    close(d);
    write(p[1], "y", 1);
    show_wait("one fd closed, the file still open: both report", et, 0);
    SHOW("ctl DEL via the closed fd", epoll_ctl(et, EPOLL_CTL_DEL, d, &dup_ev));
    close(p[0]);
    close(p[1]);
    close(et);
    close(lt);
}

static void eventfd_et(void) {
    int efd = eventfd(0, EFD_NONBLOCK);
    int ep = watch(efd, EPOLLIN | EPOLLOUT | EPOLLET, 7);
    unsigned long long v;
    show_wait("eventfd ET: added", ep, 0);
    show_wait("eventfd ET: again", ep, 0);
    v = 1;
    write(efd, &v, 8);
    show_wait("eventfd ET: write 1", ep, 0);
    show_wait("eventfd ET: again", ep, 0);
    v = 0;
    write(efd, &v, 8);
    show_wait("eventfd ET: write 0 is an edge", ep, 0);
    read(efd, &v, 8);
    show_wait("eventfd ET: read", ep, 0);
    v = 0;
    write(efd, &v, 8);
    show_wait("eventfd ET: write 0 at count 0", ep, 0);
    close(efd);
    close(ep);
}

static void unix_et(void) {
    int sv[2];
    char b[64];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ep = watch(sv[0], EPOLLIN | EPOLLRDHUP | EPOLLET, 8);
    show_wait("unix ET: nothing", ep, 0);
    write(sv[1], "ab", 2);
    show_wait("unix ET: a send", ep, 0);
    show_wait("unix ET: again", ep, 0);
    write(sv[1], "c", 1);
    show_wait("unix ET: a second send, not drained", ep, 0);
    read(sv[0], b, 1);
    show_wait("unix ET: a partial read", ep, 0);
    shutdown(sv[1], SHUT_WR);
    show_wait("unix ET: peer shut down", ep, 0);
    show_wait("unix ET: again", ep, 0);
    read(sv[0], b, sizeof b);
    close(sv[1]);
    show_wait("unix ET: peer closed", ep, 0);
    show_wait("unix ET: again", ep, 0);
    close(sv[0]);
    close(ep);
}

static void tcp_et(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    char b[64];
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 8);
    getsockname(ls, (struct sockaddr *)&a, &alen);
    int lep = watch(ls, EPOLLIN | EPOLLET, 9);
    show_wait("tcp ET: listener, nobody", lep, 0);
    int c1 = socket(AF_INET, SOCK_STREAM, 0);
    connect(c1, (struct sockaddr *)&a, sizeof a);
    show_wait("tcp ET: a connection", lep, 2000);
    show_wait("tcp ET: again, not accepted", lep, 0);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    connect(c2, (struct sockaddr *)&a, sizeof a);
    show_wait("tcp ET: a second connection", lep, 2000);
    int s1 = accept(ls, NULL, NULL);
    show_wait("tcp ET: one accepted", lep, 0);
    int ep = watch(s1, EPOLLIN | EPOLLRDHUP | EPOLLET, 10);
    show_wait("tcp ET: accepted socket, no data", ep, 0);
    write(c1, "ab", 2);
    show_wait("tcp ET: data", ep, 2000);
    show_wait("tcp ET: again", ep, 0);
    write(c1, "c", 1);
    show_wait("tcp ET: more data, not drained", ep, 2000);
    read(s1, b, 1);
    show_wait("tcp ET: a partial read", ep, 0);
    shutdown(c1, SHUT_WR);
    show_wait("tcp ET: peer shut down", ep, 2000);
    show_wait("tcp ET: again", ep, 0);
    close(c1);
    close(c2);
    close(s1);
    close(ls);
    close(ep);
    close(lep);
}

/* EPOLLOUT edges: a unix stream writer's when a read frees a whole sent chunk, a
 * datagram writer's at each read, a TCP writer's only after it ran out of room. */
static void sockets_out(void) {
    char b[64];
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ep = watch(sv[1], EPOLLOUT | EPOLLET, 12);
    show_wait("unix out ET: added", ep, 0);
    show_wait("unix out ET: again", ep, 0);
    write(sv[1], "abc", 3);
    show_wait("unix out ET: after a send", ep, 0);
    read(sv[0], b, 1);
    show_wait("unix out ET: the peer reads part of it", ep, 0);
    read(sv[0], b, 2);
    show_wait("unix out ET: the peer reads the rest", ep, 0);
    close(sv[0]);
    close(sv[1]);
    close(ep);

    int dv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
    ep = watch(dv[1], EPOLLOUT | EPOLLET, 13);
    int rep = watch(dv[0], EPOLLIN | EPOLLET, 14);
    show_wait("unix dgram out ET: added", ep, 0);
    write(dv[1], "a", 1);
    write(dv[1], "b", 1);
    show_wait("unix dgram out ET: after two sends", ep, 0);
    show_wait("unix dgram in ET: two datagrams, one report", rep, 0);
    read(dv[0], b, sizeof b);
    show_wait("unix dgram out ET: the peer reads one", ep, 0);
    show_wait("unix dgram in ET: one read, one left", rep, 0);
    close(dv[0]);
    close(dv[1]);
    close(ep);
    close(rep);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 8);
    getsockname(ls, (struct sockaddr *)&a, &alen);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ep = watch(c, EPOLLOUT | EPOLLET, 15);
    show_wait("tcp out ET: not connected", ep, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    show_wait("tcp out ET: connected", ep, 2000);
    show_wait("tcp out ET: again", ep, 0);
    int s = accept(ls, NULL, NULL);
    write(c, "abc", 3);
    read(s, b, 3);
    show_wait("tcp out ET: the peer read, the writer had room", ep, 0);
    int sep = watch(s, EPOLLIN | EPOLLOUT | EPOLLET, 16);
    show_wait("tcp server ET: added", sep, 0);
    close(c);
    show_wait("tcp server ET: the peer closed", sep, 2000);
    show_wait("tcp server ET: again", sep, 0);
    close(s);
    close(ls);
    close(ep);
    close(sep);
}

/* The standard streams are host files in the sandbox (a pipe, /dev/null or a file here,
 * the same natively): epoll takes their edges from the host. */
static void host_stdio(void) {
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u64 = 11};
    errno = 0;
    int r = epoll_ctl(ep, EPOLL_CTL_ADD, 1, &ev);
    int e = errno;
    struct epoll_event out[2];
    int first = epoll_wait(ep, out, 2, 0);
    int second = epoll_wait(ep, out, 2, 0);
    write(1, "", 0);
    int third = epoll_wait(ep, out, 2, 0);
    printf("stdout ET: ADD %d %s, waits %d %d %d\n", r, r < 0 ? probe_errname(e) : "", first, second, third);
    ev.events = EPOLLIN | EPOLLET;
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    printf("stdin ET: ADD %d %s\n", r, r < 0 ? probe_errname(errno) : "");
    close(ep);
}

int main(void) {
    pipe_read_end();
    pipe_write_end();
    oneshot_and_two_sets();
    eventfd_et();
    unix_et();
    tcp_et();
    sockets_out();
    host_stdio();
    return 0;
}
