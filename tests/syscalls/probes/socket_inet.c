// TCP and UDP on loopback: bind/listen/connect errno cases, ephemeral ports, backlog and
// non-blocking connect (EINPROGRESS, EALREADY, SO_ERROR), half close, FIN vs RST, poll bits,
// v4-mapped IPv6, IPV6_V6ONLY, socket options, UDP connect and ECONNREFUSED.
// covers: socket, bind, listen, accept, accept4, connect, shutdown, sendto, recvfrom, getsockname, getpeername, getsockopt, setsockopt
// area: sockets
#include "probe.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void msleep(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int pollbits(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static struct sockaddr_in lo(int port) {
    struct sockaddr_in a = {AF_INET, htons(port), {htonl(INADDR_LOOPBACK)}};
    return a;
}

/* A listener on an ephemeral loopback port; *a gets its address. */
static int listener(struct sockaddr_in *a, int backlog) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    *a = lo(0);
    bind(l, (struct sockaddr *)a, sizeof *a);
    listen(l, backlog);
    socklen_t len = sizeof *a;
    getsockname(l, (struct sockaddr *)a, &len);
    return l;
}

static int sockerr(int fd) {
    int e = 0;
    socklen_t len = sizeof e;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
    return e;
}

static void creation(void) {
    SHOW("socket raw", socket(AF_INET, SOCK_SEQPACKET, 0));
    SHOW("socket tcp proto udp", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    SHOW("socket udp proto tcp", socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    printf("fresh tcp poll=%#x\n", pollbits(s));
    int v;
    socklen_t len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
    printf("SO_TYPE=%d\n", v);
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len);
    printf("SO_PROTOCOL=%d\n", v);
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    printf("TCP_NODELAY=%d\n", v);
    v = 5;
    SHOW("set TCP_NODELAY", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    printf("TCP_NODELAY=%d\n", v);
    SHOW("set TCP_KEEPCNT 0", setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &(int){0}, sizeof v));
    SHOW("set SO_KEEPALIVE", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &(int){1}, sizeof v));
    getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
    printf("SO_KEEPALIVE=%d\n", v);
    SHOW("set SO_RCVBUF", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &(int){10000}, sizeof v));
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
    printf("SO_RCVBUF=%d\n", v);
    struct linger lg = {1, 0};
    SHOW("set SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    len = sizeof lg;
    getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
    printf("SO_LINGER=%d,%d len=%d\n", lg.l_onoff, lg.l_linger, len);
    SHOW("setsockopt short", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
    len = 2;
    v = 0;
    SHOW("getsockopt short", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
    printf("short len=%d\n", len);
    char c;
    SHOW("recv unconnected", recv(s, &c, 1, 0));
    sigpipes = 0;
    SHOW("send unconnected", send(s, "x", 1, 0));
    printf("sigpipes=%d\n", sigpipes);
    struct sockaddr_in a;
    len = sizeof a;
    SHOW("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &len));
    len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("unbound name len=%d port=%d\n", len, ntohs(a.sin_port));
    SHOW("accept unbound", accept(s, NULL, NULL));
    SHOW("shutdown unconnected", shutdown(s, SHUT_WR));
    close(s);
}

static void binding(void) {
    struct sockaddr_in a = lo(0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind short", bind(s, (struct sockaddr *)&a, 8));
    struct sockaddr_in bad = {AF_INET, 0, {htonl(0x0a000001)}};
    SHOW("bind non-local", bind(s, (struct sockaddr *)&bad, sizeof bad));
    struct sockaddr_in6 a6 = {AF_INET6};
    SHOW("bind v6 addr on v4", bind(s, (struct sockaddr *)&a6, sizeof a6));
    SHOW("bind", bind(s, (struct sockaddr *)&a, sizeof a));
    SHOW("bind again", bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("ephemeral in range=%d\n", ntohs(a.sin_port) >= 1024);
    int s2 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind EADDRINUSE", bind(s2, (struct sockaddr *)&a, sizeof a));
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    SHOW("bind both SO_REUSEADDR", bind(s2, (struct sockaddr *)&a, sizeof a));
    SHOW("listen first", listen(s, 1));
    SHOW("listen second EADDRINUSE", listen(s2, 1));
    int s3 = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    SHOW("bind next to listener", bind(s3, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in any = {AF_INET, a.sin_port, {0}};
    int s4 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("bind wildcard same port", bind(s4, (struct sockaddr *)&any, sizeof any));
    close(s);
    close(s2);
    close(s3);
    close(s4);
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = lo(0);
    bind(u1, (struct sockaddr *)&ua, sizeof ua);
    len = sizeof ua;
    getsockname(u1, (struct sockaddr *)&ua, &len);
    SHOW("udp bind EADDRINUSE", bind(u2, (struct sockaddr *)&ua, sizeof ua));
    close(u1);
    close(u2);
}

static void stream(void) {
    struct sockaddr_in a;
    int l = listener(&a, 4);
    printf("listener poll=%#x\n", pollbits(l));
    int v;
    socklen_t len = sizeof v;
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    printf("SO_ACCEPTCONN=%d\n", v);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
    SHOW("connect again", connect(c, (struct sockaddr *)&a, sizeof a));
    printf("listener pending poll=%#x\n", pollbits(l));
    struct sockaddr_in peer, me;
    socklen_t plen = sizeof peer;
    int x = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    len = sizeof me;
    getsockname(c, (struct sockaddr *)&me, &len);
    printf("accept: peer is client=%d plen=%d cloexec=%d\n",
           peer.sin_port == me.sin_port && peer.sin_addr.s_addr == me.sin_addr.s_addr, plen,
           !!(fcntl(x, F_GETFD) & FD_CLOEXEC));
    printf("client local=%s\n", inet_ntoa(me.sin_addr));
    printf("connected poll=%#x\n", pollbits(c));
    char buf[64];
    SHOW("send", send(c, "hello world", 11, 0));
    int n = 0;
    ioctl(x, FIONREAD, &n);
    printf("FIONREAD=%d\n", n);
    SHOW("recv peek", recv(x, buf, 5, MSG_PEEK));
    SHOW("recv 5", recv(x, buf, 5, 0));
    SHOW("recv rest", recv(x, buf, sizeof buf, 0));
    SHOW("recv dontwait", recv(x, buf, sizeof buf, MSG_DONTWAIT));
    struct timeval tv = {0, 20000};
    setsockopt(x, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SHOW("recv SO_RCVTIMEO", recv(x, buf, sizeof buf, 0));
    len = sizeof tv;
    getsockopt(x, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
    printf("SO_RCVTIMEO=%ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
    /* half close */
    SHOW("shutdown WR", shutdown(c, SHUT_WR));
    printf("after peer SHUT_WR poll=%#x\n", pollbits(x));
    SHOW("recv eof", recv(x, buf, sizeof buf, 0));
    SHOW("send back after half close", send(x, "back", 4, 0));
    SHOW("recv on half-closed", recv(c, buf, sizeof buf, 0));
    SHOW("send after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
    /* MSG_WAITALL across two sends from a child */
    if (fork() == 0) {
        msleep(20);
        send(x, "abc", 3, 0);
        msleep(20);
        send(x, "def", 3, 0);
        _exit(0);
    }
    SHOW("recv WAITALL", recv(c, buf, 6, MSG_WAITALL));
    wait(NULL);
    close(x);
    printf("peer closed poll=%#x\n", pollbits(c));
    SHOW("recv after FIN", recv(c, buf, sizeof buf, 0));
    close(c);

    /* RST: closing with unread data */
    c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    x = accept(l, NULL, NULL);
    send(x, "data", 4, 0);
    send(c, "unread", 6, 0);
    close(x);
    printf("reset poll=%#x\n", pollbits(c));
    SHOW("recv buffered before reset", recv(c, buf, sizeof buf, 0));
    SHOW("recv reset", recv(c, buf, sizeof buf, 0));
    SHOW("recv after reset", recv(c, buf, sizeof buf, 0));
    SHOW("send after reset", send(c, "x", 1, MSG_NOSIGNAL));
    close(c);

    /* writing to a peer that closed: one send goes out, the RST makes the next EPIPE */
    c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    x = accept(l, NULL, NULL);
    close(x);
    msleep(5);
    SHOW("send to closed peer", send(c, "x", 1, MSG_NOSIGNAL));
    msleep(5);
    printf("after RST poll=%#x\n", pollbits(c));
    sigpipes = 0;
    SHOW("send EPIPE", send(c, "x", 1, 0));
    printf("sigpipes=%d\n", sigpipes);
    SHOW("recv after EPIPE", recv(c, buf, sizeof buf, 0));
    close(c);
    close(l);
}

static void nonblocking(void) {
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int cs[3];
    for (int i = 0; i < 3; i++) {
        cs[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        printf("nb connect %d: ", i);
        SHOW("", connect(cs[i], (struct sockaddr *)&a, sizeof a));
        msleep(5);
        printf("  poll=%#x err=%d\n", pollbits(cs[i]), sockerr(cs[i]));
        printf("  again: ");
        SHOW("", connect(cs[i], (struct sockaddr *)&a, sizeof a));
    }
    SHOW("connect third time", connect(cs[0], (struct sockaddr *)&a, sizeof a));
    /* (Linux establishes the waiting ones at the SYN retransmit; the Sentry at accept) */
    close(accept(l, NULL, NULL));
    for (int i = 0; i < 3; i++)
        close(cs[i]);
    close(l);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in closed = lo(1);
    SHOW("nb connect refused", connect(c, (struct sockaddr *)&closed, sizeof closed));
    msleep(5);
    printf("  poll=%#x err=%d err again=%d\n", pollbits(c), sockerr(c), sockerr(c));
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c, (struct sockaddr *)&closed, sizeof closed);
    msleep(5);
    SHOW("connect after refusal", connect(c, (struct sockaddr *)&closed, sizeof closed));
    SHOW("and again", connect(c, (struct sockaddr *)&closed, sizeof closed));
    close(c);
    c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("blocking connect refused", connect(c, (struct sockaddr *)&closed, sizeof closed));
    printf("  poll=%#x\n", pollbits(c));
    close(c);
}

static void inet6(void) {
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {AF_INET6, 0};
    SHOW("bind ::", bind(l, (struct sockaddr *)&a6, sizeof a6));
    socklen_t len = sizeof a6;
    getsockname(l, (struct sockaddr *)&a6, &len);
    printf("v6 name len=%d\n", len);
    listen(l, 4);
    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = lo(ntohs(a6.sin6_port));
    SHOW("v4 connect to dual-stack", connect(c4, (struct sockaddr *)&a4, sizeof a4));
    struct sockaddr_in6 peer;
    len = sizeof peer;
    int x = accept(l, (struct sockaddr *)&peer, &len);
    char txt[64];
    inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt);
    printf("v4-mapped peer=%s len=%d\n", txt, len);
    close(x);
    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo6 = {AF_INET6, a6.sin6_port};
    lo6.sin6_addr = in6addr_loopback;
    SHOW("v6 connect ::1", connect(c6, (struct sockaddr *)&lo6, sizeof lo6));
    x = accept(l, (struct sockaddr *)&peer, &len);
    inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof txt);
    printf("v6 peer=%s\n", txt);
    close(x);
    SHOW("v6 connect with sockaddr_in", connect(socket(AF_INET6, SOCK_STREAM, 0),
                                                (struct sockaddr *)&a4, sizeof a4));
    int only = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1;
    SHOW("IPV6_V6ONLY", setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    struct sockaddr_in6 any6 = {AF_INET6, 0};
    bind(only, (struct sockaddr *)&any6, sizeof any6);
    SHOW("IPV6_V6ONLY after bind", setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    len = sizeof any6;
    getsockname(only, (struct sockaddr *)&any6, &len);
    listen(only, 1);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = lo(ntohs(any6.sin6_port));
    SHOW("v4 connect to V6ONLY", connect(c, (struct sockaddr *)&to, sizeof to));
    close(c);
    /* UDP on a dual-stack IPv6 socket: an IPv4 sender shows as v4-mapped */
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 ua6 = {AF_INET6, 0};
    bind(u6, (struct sockaddr *)&ua6, sizeof ua6);
    len = sizeof ua6;
    getsockname(u6, (struct sockaddr *)&ua6, &len);
    int u4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in u6as4 = lo(ntohs(ua6.sin6_port));
    SHOW("udp v4 to dual-stack", sendto(u4, "m", 1, 0, (struct sockaddr *)&u6as4, sizeof u6as4));
    struct sockaddr_in6 from6;
    socklen_t flen6 = sizeof from6;
    char b1[4];
    SHOW("udp6 recvfrom", recvfrom(u6, b1, sizeof b1, 0, (struct sockaddr *)&from6, &flen6));
    inet_ntop(AF_INET6, &from6.sin6_addr, txt, sizeof txt);
    printf("udp6 from=%s len=%d\n", txt, flen6);
    struct sockaddr_in6 to6 = {AF_INET6, ua6.sin6_port};
    to6.sin6_addr = in6addr_loopback;
    SHOW("udp6 to ::1", sendto(u4, "m", 1, 0, (struct sockaddr *)&to6, sizeof to6));
    int v6c = socket(AF_INET6, SOCK_DGRAM, 0);
    SHOW("udp6 sendto ::1", sendto(v6c, "n", 1, 0, (struct sockaddr *)&to6, sizeof to6));
    flen6 = sizeof from6;
    SHOW("udp6 recvfrom ::1", recvfrom(u6, b1, sizeof b1, 0, (struct sockaddr *)&from6, &flen6));
    inet_ntop(AF_INET6, &from6.sin6_addr, txt, sizeof txt);
    printf("udp6 from=%s\n", txt);
    close(v6c);
    close(u4);
    close(u6);
    close(only);
    close(c4);
    close(c6);
    close(l);
}

static void udp(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    printf("udp fresh poll=%#x\n", pollbits(s));
    struct sockaddr_in a = lo(0);
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("udp send unconnected", send(c, "x", 1, 0));
    SHOW("udp sendto", sendto(c, "abcdef", 6, 0, (struct sockaddr *)&a, sizeof a));
    SHOW("udp sendto 2", sendto(c, "gh", 2, 0, (struct sockaddr *)&a, sizeof a));
    int n = 0;
    ioctl(s, FIONREAD, &n);
    printf("udp FIONREAD=%d\n", n);
    char buf[64];
    struct sockaddr_in from, cme;
    socklen_t flen = sizeof from;
    SHOW("udp recvfrom trunc", recvfrom(s, buf, 3, 0, (struct sockaddr *)&from, &flen));
    len = sizeof cme;
    getsockname(c, (struct sockaddr *)&cme, &len);
    printf("from is sender=%d flen=%d\n", from.sin_port == cme.sin_port, flen);
    SHOW("udp recv MSG_TRUNC", recv(s, buf, 1, MSG_TRUNC));
    SHOW("udp recv empty", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    static char big[70000];
    SHOW("udp EMSGSIZE", sendto(c, big, 65508, 0, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in bc = {AF_INET, a.sin_port, {htonl(INADDR_BROADCAST)}};
    SHOW("udp broadcast without SO_BROADCAST", sendto(c, "b", 1, 0, (struct sockaddr *)&bc, sizeof bc));
    struct sockaddr_in closed = lo(1);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("udp connect", connect(u, (struct sockaddr *)&closed, sizeof closed));
    len = sizeof cme;
    getsockname(u, (struct sockaddr *)&cme, &len);
    printf("udp connected local=%s\n", inet_ntoa(cme.sin_addr));
    SHOW("udp send to closed port", send(u, "x", 1, 0));
    msleep(5);
    printf("udp refused poll=%#x\n", pollbits(u));
    SHOW("udp send refused", send(u, "x", 1, 0));
    SHOW("udp send after", send(u, "x", 1, 0));
    msleep(5);
    SHOW("udp recv refused", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("udp shutdown", shutdown(u, SHUT_RDWR));
    struct sockaddr_in unspec = {AF_UNSPEC};
    SHOW("udp disconnect", connect(u, (struct sockaddr *)&unspec, sizeof unspec));
    len = sizeof cme;
    SHOW("udp getpeername after disconnect", getpeername(u, (struct sockaddr *)&cme, &len));
    /* connected receiver filters other senders */
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ra = lo(0);
    bind(r, (struct sockaddr *)&ra, sizeof ra);
    len = sizeof ra;
    getsockname(r, (struct sockaddr *)&ra, &len);
    len = sizeof cme;
    getsockname(c, (struct sockaddr *)&cme, &len);
    connect(r, (struct sockaddr *)&cme, sizeof cme);
    sendto(s, "other", 5, 0, (struct sockaddr *)&ra, sizeof ra);
    sendto(c, "peer", 4, 0, (struct sockaddr *)&ra, sizeof ra);
    SHOW("connected receiver gets its peer only", recv(r, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("and nothing else", recv(r, buf, sizeof buf, MSG_DONTWAIT));
    close(r);
    close(u);
    close(c);
    close(s);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, on_sigpipe);
    creation();
    binding();
    stream();
    nonblocking();
    inet6();
    udp();
    return 0;
}
