// TCP and UDP on loopback, the rest of issue 5's list: SO_DOMAIN/SO_SNDBUF/SO_REUSEPORT,
// the rest of 127.0.0.0/8, MSG_TRUNC on TCP (discards), TCP_CORK and MSG_MORE (held until
// uncork, FIN or the 200 ms ceiling), SO_LINGER {1, 0} (RST), broadcast on lo to
// 127.255.255.255, sendmmsg/recvmmsg on UDP with names, epoll bits of TCP (RDHUP, ERR|HUP),
// urgent data (MSG_OOB, the mark, SIOCATMARK, POLLPRI, SO_OOBINLINE).
// Nothing here depends on timing: a corked send is only observed once it must have left.
// covers: socket, bind, listen, accept, connect, shutdown, sendto, recvfrom, recvmsg, sendmmsg, recvmmsg, getsockname, getsockopt, setsockopt, epoll_ctl, epoll_wait
// area: sockets
#include "probe.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int pollbits(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static struct sockaddr_in ip4(unsigned addr, int port) {
    struct sockaddr_in a = {AF_INET, htons(port), {htonl(addr)}};
    return a;
}

static int getint(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return -errno;
    return v;
}

/* A listener on an ephemeral port of addr; *a gets its address. */
static int listener(unsigned addr, struct sockaddr_in *a) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    *a = ip4(addr, 0);
    bind(l, (struct sockaddr *)a, sizeof *a);
    listen(l, 8);
    socklen_t len = sizeof *a;
    getsockname(l, (struct sockaddr *)a, &len);
    return l;
}

/* A connected pair: *c the client, the return value the accepted end. */
static int pair(int l, struct sockaddr_in *a, int *c) {
    *c = socket(AF_INET, SOCK_STREAM, 0);
    connect(*c, (struct sockaddr *)a, sizeof *a);
    return accept(l, NULL, NULL);
}

static void options(void) {
    int t = socket(AF_INET, SOCK_STREAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    printf("SO_DOMAIN tcp=%d udp6=%d\n", getint(t, SOL_SOCKET, SO_DOMAIN),
           getint(u6, SOL_SOCKET, SO_DOMAIN));
    printf("SO_TYPE udp6=%d SO_ACCEPTCONN udp6=%d\n", getint(u6, SOL_SOCKET, SO_TYPE),
           getint(u6, SOL_SOCKET, SO_ACCEPTCONN));
    SHOW("set SO_SNDBUF 10000", setsockopt(t, SOL_SOCKET, SO_SNDBUF, &(int){10000}, sizeof(int)));
    printf("SO_SNDBUF=%d\n", getint(t, SOL_SOCKET, SO_SNDBUF));
    setsockopt(t, SOL_SOCKET, SO_SNDBUF, &(int){1}, sizeof(int));
    printf("SO_SNDBUF min=%d\n", getint(t, SOL_SOCKET, SO_SNDBUF));
    setsockopt(t, SOL_SOCKET, SO_RCVBUF, &(int){1}, sizeof(int));
    printf("SO_RCVBUF min=%d\n", getint(t, SOL_SOCKET, SO_RCVBUF));
    printf("SO_REUSEPORT=%d\n", getint(t, SOL_SOCKET, SO_REUSEPORT));
    setsockopt(t, SOL_SOCKET, SO_REUSEPORT, &(int){7}, sizeof(int));
    printf("SO_REUSEPORT set=%d\n", getint(t, SOL_SOCKET, SO_REUSEPORT));
    printf("TCP_CORK=%d\n", getint(t, IPPROTO_TCP, TCP_CORK));
    setsockopt(t, IPPROTO_TCP, TCP_CORK, &(int){3}, sizeof(int));
    printf("TCP_CORK set=%d\n", getint(t, IPPROTO_TCP, TCP_CORK));
    SHOW("TCP_CORK on udp", setsockopt(u6, IPPROTO_TCP, TCP_CORK, &(int){1}, sizeof(int)));
    printf("IPV6_V6ONLY udp6=%d\n", getint(u6, IPPROTO_IPV6, IPV6_V6ONLY));
    close(t);
    close(u6);
}

static void loopback_net(void) {
    struct sockaddr_in a;
    int l = listener(0x7f000002, &a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in other = ip4(INADDR_LOOPBACK, ntohs(a.sin_port));
    SHOW("connect 127.0.0.1 where 127.0.0.2 listens", connect(c, (struct sockaddr *)&other,
                                                              sizeof other));
    close(c);
    c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect 127.0.0.2", connect(c, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    getsockname(c, (struct sockaddr *)&me, &len);
    printf("client local=%s\n", inet_ntoa(me.sin_addr));
    struct sockaddr_in peer;
    len = sizeof peer;
    int x = accept(l, (struct sockaddr *)&peer, &len);
    printf("peer=%s\n", inet_ntoa(peer.sin_addr));
    len = sizeof me;
    getsockname(x, (struct sockaddr *)&me, &len);
    printf("accepted local=%s\n", inet_ntoa(me.sin_addr));
    close(x);
    close(c);
    close(l);
    /* a client bound to 127.1.2.3 first */
    l = listener(INADDR_LOOPBACK, &a);
    c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = ip4(0x7f010203, 0);
    SHOW("bind client 127.1.2.3", bind(c, (struct sockaddr *)&src, sizeof src));
    connect(c, (struct sockaddr *)&a, sizeof a);
    len = sizeof peer;
    x = accept(l, (struct sockaddr *)&peer, &len);
    printf("peer=%s\n", inet_ntoa(peer.sin_addr));
    close(x);
    close(c);
    close(l);
}

static void reuseport(void) {
    int one = 1, s[3];
    for (int i = 0; i < 3; i++)
        s[i] = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s[0], SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(s[1], SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = ip4(INADDR_LOOPBACK, 0);
    bind(s[0], (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s[0], (struct sockaddr *)&a, &len);
    SHOW("SO_REUSEPORT second bind", bind(s[1], (struct sockaddr *)&a, sizeof a));
    SHOW("SO_REUSEPORT listen 1", listen(s[0], 4));
    SHOW("SO_REUSEPORT listen 2", listen(s[1], 4));
    SHOW("bind without SO_REUSEPORT", bind(s[2], (struct sockaddr *)&a, sizeof a));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect to the group", connect(c, (struct sockaddr *)&a, sizeof a));
    struct pollfd p[2] = {{s[0], POLLIN, 0}, {s[1], POLLIN, 0}};
    printf("one listener has it: %d\n", poll(p, 2, 10000));
    for (int i = 0; i < 3; i++)
        close(s[i]);
    close(c);
    int u[2];
    for (int i = 0; i < 2; i++) {
        u[i] = socket(AF_INET, SOCK_DGRAM, 0);
        setsockopt(u[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    struct sockaddr_in ua = ip4(INADDR_LOOPBACK, 0);
    bind(u[0], (struct sockaddr *)&ua, sizeof ua);
    len = sizeof ua;
    getsockname(u[0], (struct sockaddr *)&ua, &len);
    SHOW("udp SO_REUSEPORT second bind", bind(u[1], (struct sockaddr *)&ua, sizeof ua));
    close(u[0]);
    close(u[1]);
}

static void trunc_stream(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x = pair(l, &a, &c);
    char buf[64];
    send(c, "abcdefghij", 10, 0);
    struct pollfd p = {x, POLLIN, 0};
    poll(&p, 1, 10000);
    SHOW("tcp recv MSG_TRUNC|MSG_PEEK NULL", recv(x, NULL, 2, MSG_TRUNC | MSG_PEEK));
    SHOW("tcp recv MSG_TRUNC NULL", recv(x, NULL, 3, MSG_TRUNC));
    struct iovec io = {NULL, 4};
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    SHOW("tcp recvmsg MSG_TRUNC NULL iov", recvmsg(x, &m, MSG_TRUNC));
    printf("msg_flags=%#x\n", m.msg_flags);
    long n = recv(x, buf, sizeof buf, 0);
    printf("rest: %.*s\n", (int)(n > 0 ? n : 0), buf);
    close(x);
    close(c);
    close(l);
}

static void cork(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x = pair(l, &a, &c), one = 1, zero = 0;
    char buf[64];
    /* the ceiling: a corked partial segment leaves on its own (Linux: 200 ms) */
    setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    SHOW("corked send", send(c, "cork", 4, 0));
    SHOW("blocking recv gets it", recv(x, buf, sizeof buf, 0));
    /* uncorking sends what is held */
    send(c, "ab", 2, 0);
    send(c, "cd", 2, 0);
    setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
    SHOW("after uncork WAITALL", recv(x, buf, 4, MSG_WAITALL));
    /* MSG_MORE then a plain send */
    SHOW("send MSG_MORE", send(c, "m", 1, MSG_MORE));
    SHOW("send plain", send(c, "n", 1, 0));
    SHOW("recv WAITALL 2", recv(x, buf, 2, MSG_WAITALL));
    /* a FIN pushes the held bytes out first */
    setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    send(c, "held", 4, 0);
    SHOW("shutdown WR while corked", shutdown(c, SHUT_WR));
    long n = recv(x, buf, sizeof buf, MSG_WAITALL);
    printf("recv until FIN: %ld %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    SHOW("then EOF", recv(x, buf, sizeof buf, 0));
    close(x);
    close(c);
    /* a close pushes them out too */
    x = pair(l, &a, &c);
    setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    send(c, "bye", 3, 0);
    close(c);
    n = recv(x, buf, sizeof buf, MSG_WAITALL);
    printf("recv after corked close: %ld %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    close(x);
    close(l);
}

static void timeouts(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x;
    struct timeval tv = {0, 30000};
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SHOW("accept with SO_RCVTIMEO", accept(l, NULL, NULL));
    x = pair(l, &a, &c);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static char big[1 << 16];
    long total = 0, r;
    while ((r = send(c, big, sizeof big, 0)) > 0)
        total += r;
    printf("send with SO_SNDTIMEO stops: %s (some=%d)\n", probe_errname(errno), total > 0);
    printf("full sender poll=%#x\n", pollbits(c) & POLLOUT);
    close(x);
    close(c);
    close(l);
}

static void linger0(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x = pair(l, &a, &c);
    char buf[64];
    struct linger lg = {1, 0};
    SHOW("SO_LINGER {1,0}", setsockopt(x, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    send(x, "last", 4, 0);
    SHOW("close", close(x));
    struct pollfd p = {c, POLLIN, 0};
    poll(&p, 1, 10000);
    printf("after linger-0 close poll=%#x\n", pollbits(c));
    SHOW("recv after RST", recv(c, buf, sizeof buf, 0));
    SHOW("recv again", recv(c, buf, sizeof buf, 0));
    close(c);
    close(l);
}

static void broadcast(void) {
    int one = 1, r[3], s = socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < 3; i++) {
        r[i] = socket(AF_INET, SOCK_DGRAM, 0);
        setsockopt(r[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    struct sockaddr_in any = ip4(INADDR_ANY, 0);
    bind(r[0], (struct sockaddr *)&any, sizeof any);
    socklen_t len = sizeof any;
    getsockname(r[0], (struct sockaddr *)&any, &len);
    SHOW("second wildcard receiver", bind(r[1], (struct sockaddr *)&any, sizeof any));
    struct sockaddr_in lo = ip4(INADDR_LOOPBACK, ntohs(any.sin_port));
    SHOW("receiver on 127.0.0.1", bind(r[2], (struct sockaddr *)&lo, sizeof lo));
    struct sockaddr_in bc = ip4(0x7fffffff, ntohs(any.sin_port));
    SHOW("to 127.255.255.255 without SO_BROADCAST", sendto(s, "b", 1, 0, (struct sockaddr *)&bc,
                                                           sizeof bc));
    setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    printf("SO_BROADCAST=%d\n", getint(s, SOL_SOCKET, SO_BROADCAST));
    SHOW("to 127.255.255.255", sendto(s, "bcast", 5, 0, (struct sockaddr *)&bc, sizeof bc));
    char buf[16];
    struct sockaddr_in from, me;
    for (int i = 0; i < 3; i++) {
        socklen_t flen = sizeof from;
        printf("receiver %d: ", i);
        long n = recvfrom(r[i], buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
        len = sizeof me;
        getsockname(s, (struct sockaddr *)&me, &len);
        if (n < 0)
            printf("%s\n", probe_errname(errno));
        else
            printf("%ld from=%s sender port=%d\n", n, inet_ntoa(from.sin_addr),
                   from.sin_port == me.sin_port);
    }
    for (int i = 0; i < 3; i++)
        close(r[i]);
    close(s);
}

static void mmsg_udp(void) {
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = ip4(INADDR_LOOPBACK, 0), me;
    bind(r, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &len);
    struct mmsghdr out[3];
    struct iovec oio[3] = {{"one", 3}, {"two!", 4}, {"three", 5}};
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out[i].msg_hdr.msg_iov = &oio[i];
        out[i].msg_hdr.msg_iovlen = 1;
        out[i].msg_hdr.msg_name = &a;
        out[i].msg_hdr.msg_namelen = sizeof a;
    }
    SHOW("udp sendmmsg", sendmmsg(s, out, 3, 0));
    printf("sent lens %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);
    len = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &len);
    char bufs[3][4];
    struct iovec iio[3];
    struct sockaddr_in names[3];
    struct mmsghdr in[3];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        iio[i].iov_base = bufs[i];
        iio[i].iov_len = sizeof bufs[i];
        in[i].msg_hdr.msg_iov = &iio[i];
        in[i].msg_hdr.msg_iovlen = 1;
        in[i].msg_hdr.msg_name = &names[i];
        in[i].msg_hdr.msg_namelen = sizeof names[i];
    }
    SHOW("udp recvmmsg", recvmmsg(r, in, 3, MSG_DONTWAIT, NULL));
    for (int i = 0; i < 3; i++)
        printf("  msg %d: len=%u trunc=%d namelen=%u from=%s sender port=%d\n", i, in[i].msg_len,
               !!(in[i].msg_hdr.msg_flags & MSG_TRUNC), in[i].msg_hdr.msg_namelen,
               inet_ntoa(names[i].sin_addr),
               names[i].sin_port == me.sin_port);
    SHOW("udp recvmmsg empty", recvmmsg(r, in, 3, MSG_DONTWAIT, NULL));
    close(r);
    close(s);
}

static void epoll_tcp(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x = pair(l, &a, &c);
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN | EPOLLOUT | EPOLLRDHUP, {.u32 = 1}}, got[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    int n = epoll_wait(ep, got, 2, 0);
    printf("epoll connected: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    send(x, "a", 1, 0);
    n = epoll_wait(ep, got, 2, 10000);
    printf("epoll data: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    shutdown(x, SHUT_WR);
    n = epoll_wait(ep, got, 2, 10000);
    printf("epoll peer FIN: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    close(x);
    close(c);
    x = pair(l, &a, &c);
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    send(c, "unread", 6, 0);
    struct pollfd p = {x, POLLIN, 0};
    poll(&p, 1, 10000);
    close(x);
    n = epoll_wait(ep, got, 2, 10000);
    printf("epoll peer RST: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    close(c);
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    epoll_ctl(ep, EPOLL_CTL_ADD, fresh, &ev);
    n = epoll_wait(ep, got, 2, 0);
    printf("epoll unconnected: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    close(fresh);
    close(ep);
    close(l);
}

static int pribits(int fd) {
    struct pollfd p = {fd, POLLIN | POLLPRI, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static int atmark(int fd) {
    int v = -1;
    return ioctl(fd, SIOCATMARK, &v) < 0 ? -errno : v;
}

static void rd(const char *what, int fd, int n, int flags) {
    char b[64];
    long r = recv(fd, b, n, flags);
    if (r < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %ld '%.*s'\n", what, r, (int)r, b);
}

/* Waits until the urgent byte is there (POLLPRI). */
static void wait_pri(int fd) {
    struct pollfd p = {fd, POLLPRI, 0};
    poll(&p, 1, 10000);
}

static void urgent(void) {
    struct sockaddr_in a;
    int l = listener(INADDR_LOOPBACK, &a), c, x = pair(l, &a, &c), one = 1, zero = 0, n;
    rd("recv OOB, none", x, 10, MSG_OOB | MSG_DONTWAIT);
    printf("SIOCATMARK fresh=%d\n", atmark(x));
    SHOW("send MSG_OOB", send(c, "abc", 3, MSG_OOB));
    wait_pri(x);
    ioctl(x, FIONREAD, &n);
    printf("FIONREAD=%d poll=%#x atmark=%d\n", n, pribits(x), atmark(x));
    rd("peek OOB", x, 10, MSG_OOB | MSG_PEEK);
    rd("normal read stops at the mark", x, 10, 0);
    printf("poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("OOB", x, 10, MSG_OOB);
    printf("poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("OOB again", x, 10, MSG_OOB);
    send(c, "de", 2, 0);
    rd("normal skips the urgent byte", x, 10, 0);
    send(c, "fgh", 3, MSG_OOB);
    send(c, "ij", 2, 0);
    wait_pri(x);
    rd("normal 1", x, 10, 0);
    printf("poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("normal 2", x, 10, 0);
    printf("poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("OOB after it was skipped", x, 10, MSG_OOB | MSG_DONTWAIT);
    send(c, "kl", 2, MSG_OOB);
    send(c, "mn", 2, MSG_OOB);
    wait_pri(x);
    rd("OOB of two", x, 10, MSG_OOB);
    rd("normal of two", x, 10, 0);
    rd("and nothing", x, 10, MSG_DONTWAIT);
    setsockopt(x, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
    send(c, "op", 2, MSG_OOB);
    send(c, "q", 1, 0);
    wait_pri(x);
    printf("inline poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("inline OOB", x, 10, MSG_OOB);
    rd("inline normal", x, 10, 0);
    printf("inline poll=%#x atmark=%d\n", pribits(x), atmark(x));
    rd("inline normal 2", x, 10, MSG_DONTWAIT);
    setsockopt(x, SOL_SOCKET, SO_OOBINLINE, &zero, sizeof zero);
    send(c, "r", 1, MSG_OOB);
    wait_pri(x);
    rd("OOB into 0 bytes", x, 0, MSG_OOB);
    rd("OOB after", x, 10, MSG_OOB);
    close(x);
    close(c);
    close(l);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = ip4(INADDR_LOOPBACK, 0);
    bind(u, (struct sockaddr *)&ua, sizeof ua);
    socklen_t len = sizeof ua;
    getsockname(u, (struct sockaddr *)&ua, &len);
    SHOW("udp send MSG_OOB", sendto(u, "x", 1, MSG_OOB, (struct sockaddr *)&ua, sizeof ua));
    printf("udp SIOCATMARK=%d\n", atmark(u));
    close(u);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    options();
    loopback_net();
    reuseport();
    trunc_stream();
    cork();
    timeouts();
    linger0();
    broadcast();
    mmsg_udp();
    epoll_tcp();
    urgent();
    return 0;
}
