// AF_UNIX sockets: socketpair, stream/dgram/seqpacket, path and abstract names, errno cases,
// poll bits, peer close (EOF, EPIPE + SIGPIPE, ECONNRESET), SCM_RIGHTS, SO_PEERCRED/PASSCRED,
// SCM_CREDENTIALS the sender states (checked: EPERM, ESRCH, EINVAL).
// covers: socket, socketpair, bind, listen, accept, accept4, connect, shutdown, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, getsockname, getpeername, getsockopt, setsockopt
// area: sockets
// usage: socket_unix SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void show_poll(const char *what, int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    printf("%s: poll=%#x\n", what, p.revents);
}

static socklen_t mkaddr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void creation(void) {
    SHOW("socket bad type", socket(AF_UNIX, 77, 0));
    SHOW("socket bad proto", socket(AF_UNIX, SOCK_STREAM, 5));
    SHOW("socket bad family", socket(4242, SOCK_STREAM, 0));
    SHOW("socket bad flags", socket(AF_UNIX, SOCK_STREAM | 0x1000000, 0));
    int sv[2];
    SHOW("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    printf("flags nonblock=%d cloexec=%d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK),
           !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
    struct stat st;
    fstat(s, &st);
    printf("fstat sock=%d perm=0%o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
    char link[64], want[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", s);
    long n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
    YESNO("proc fd link socket:[ino]", strcmp(link, want) == 0);
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len);
    printf("SO_TYPE=%d len=%d\n", v, len);
    getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len);
    printf("SO_DOMAIN=%d\n", v);
    show_poll("fresh stream", s);
    char c;
    SHOW("recv unconnected", recv(s, &c, 1, 0));
    SHOW("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
    struct sockaddr_un a;
    len = sizeof a;
    SHOW("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &len));
    len = sizeof a;
    SHOW("getsockname unbound", getsockname(s, (struct sockaddr *)&a, &len));
    printf("unbound len=%d\n", len);
    SHOW("listen unbound", listen(s, 1));
    SHOW("accept unbound", accept(s, NULL, NULL));
    SHOW("shutdown unconnected", shutdown(s, SHUT_RD));
    SHOW("getsockopt bad level", getsockopt(s, 999, 1, &v, &len));
    SHOW("getsockopt bad name", getsockopt(s, SOL_SOCKET, 9999, &v, &len));
    SHOW("ENOTSOCK", getsockopt(0 + 100, SOL_SOCKET, SO_TYPE, &v, &len));
    int p[2];
    pipe(p);
    SHOW("ENOTSOCK pipe", listen(p[0], 1));
    close(p[0]);
    close(p[1]);
    close(s);
}

static void stream_pair(void) {
    int sv[2];
    char buf[64];
    SHOW("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    show_poll("pair idle", sv[0]);
    SHOW("send", send(sv[0], "hello", 5, 0));
    show_poll("pair readable", sv[1]);
    int n = 0;
    ioctl(sv[1], FIONREAD, &n);
    printf("FIONREAD=%d\n", n);
    SHOW("recv peek", recv(sv[1], buf, 3, MSG_PEEK));
    SHOW("recv", recv(sv[1], buf, sizeof buf, 0));
    SHOW("recv dontwait", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    SHOW("shutdown bad how", shutdown(sv[0], 7));
    SHOW("shutdown wr", shutdown(sv[0], SHUT_WR));
    show_poll("after peer SHUT_WR", sv[1]);
    show_poll("after own SHUT_WR", sv[0]);
    SHOW("recv eof", recv(sv[1], buf, sizeof buf, 0));
    SHOW("send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
    SHOW("send to SHUT_WR peer", send(sv[1], "x", 1, 0));
    close(sv[0]);
    close(sv[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    send(sv[0], "abc", 3, 0);
    close(sv[0]);
    show_poll("peer closed, data left", sv[1]);
    SHOW("read left", read(sv[1], buf, sizeof buf));
    SHOW("read eof", read(sv[1], buf, sizeof buf));
    sigpipes = 0;
    SHOW("write to closed peer", write(sv[1], "x", 1));
    printf("sigpipes=%d\n", sigpipes);
    SHOW("send MSG_NOSIGNAL", send(sv[1], "x", 1, MSG_NOSIGNAL));
    printf("sigpipes=%d\n", sigpipes);
    close(sv[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    send(sv[0], "unread", 6, 0);
    close(sv[1]);
    show_poll("closed with unread", sv[0]);
    SHOW("recv after reset", recv(sv[0], buf, sizeof buf, 0));
    SHOW("recv again", recv(sv[0], buf, sizeof buf, 0));
    close(sv[0]);

    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    static char big[65536];
    long total = 0, r;
    while ((r = send(sv[0], big, sizeof big, 0)) > 0)
        total += r;
    printf("fill stops: %s (some=%d)\n", probe_errname(errno), total > 0);
    show_poll("full writer", sv[0]);
    close(sv[0]);
    close(sv[1]);
}

static void dgram(const char *dir) {
    int sv[2];
    char buf[64];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    show_poll("dgram idle", sv[0]);
    send(sv[0], "abcdef", 6, 0);
    send(sv[0], "gh", 2, 0);
    int n = 0;
    ioctl(sv[1], FIONREAD, &n);
    printf("dgram FIONREAD=%d\n", n);
    SHOW("recv trunc", recv(sv[1], buf, 3, 0));
    SHOW("recv next", recv(sv[1], buf, sizeof buf, 0));
    send(sv[0], "abcdef", 6, 0);
    SHOW("recv MSG_TRUNC", recv(sv[1], buf, 2, MSG_TRUNC));
    struct msghdr m = {0};
    struct iovec io = {buf, 2};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    send(sv[0], "abcdef", 6, 0);
    SHOW("recvmsg trunc", recvmsg(sv[1], &m, 0));
    printf("msg_flags trunc=%d\n", !!(m.msg_flags & MSG_TRUNC));
    close(sv[1]);
    SHOW("send to closed dgram peer", send(sv[0], "x", 1, 0));
    close(sv[0]);

    char path[256];
    struct sockaddr_un a, from;
    snprintf(path, sizeof path, "%s/d1", dir);
    socklen_t alen = mkaddr(&a, path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("dgram bind", bind(s, (struct sockaddr *)&a, alen));
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("dgram send unconnected", send(c, "x", 1, 0));
    SHOW("dgram sendto family only", sendto(c, "x", 1, 0, (struct sockaddr *)&a, 2));
    SHOW("dgram sendto", sendto(c, "xyz", 3, 0, (struct sockaddr *)&a, alen));
    socklen_t flen = sizeof from;
    SHOW("recvfrom unbound sender", recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
    printf("from len=%d\n", flen);
    struct sockaddr_un ca;
    char cpath[256];
    snprintf(cpath, sizeof cpath, "%s/d2", dir);
    socklen_t calen = mkaddr(&ca, cpath);
    bind(c, (struct sockaddr *)&ca, calen);
    sendto(c, "q", 1, 0, (struct sockaddr *)&a, alen);
    flen = sizeof from;
    recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    YESNO("recvfrom names sender", flen == calen && strcmp(from.sun_path, cpath) == 0);
    SHOW("dgram connect", connect(c, (struct sockaddr *)&a, alen));
    SHOW("dgram send connected", send(c, "z", 1, 0));
    SHOW("dgram accept", accept(s, NULL, NULL));
    SHOW("dgram listen", listen(s, 1));
    int stream = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("stream connect to dgram name", connect(stream, (struct sockaddr *)&a, alen));
    close(stream);
    close(s);
    SHOW("send to closed bound target", send(c, "z", 1, 0));
    close(c);
}

static void named(const char *dir) {
    char path[256];
    struct sockaddr_un a;
    snprintf(path, sizeof path, "%s/s1", dir);
    socklen_t alen = mkaddr(&a, path);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect ENOENT", connect(c, (struct sockaddr *)&a, alen));
    SHOW("connect short len", connect(c, (struct sockaddr *)&a, 2));
    SHOW("connect bad len", connect(c, (struct sockaddr *)&a, 200));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind", bind(s, (struct sockaddr *)&a, alen));
    SHOW("bind again", bind(s, (struct sockaddr *)&a, alen));
    struct stat st;
    stat(path, &st);
    printf("bound file sock=%d\n", S_ISSOCK(st.st_mode));
    SHOW("open socket file", open(path, O_RDONLY));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind EADDRINUSE", bind(s2, (struct sockaddr *)&a, alen));
    SHOW("connect not listening", connect(c, (struct sockaddr *)&a, alen));
    int sq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    SHOW("listen", listen(s, 1));
    SHOW("connect EPROTOTYPE", connect(sq, (struct sockaddr *)&a, alen));
    int v;
    socklen_t len = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    printf("SO_ACCEPTCONN=%d\n", v);
    show_poll("listener idle", s);
    SHOW("connect", connect(c, (struct sockaddr *)&a, alen));
    SHOW("connect again", connect(c, (struct sockaddr *)&a, alen));
    show_poll("listener pending", s);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    int x = accept4(s, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
    printf("accept4 ok=%d peerlen=%d nonblock=%d\n", x >= 0, plen,
           !!(fcntl(x, F_GETFL) & O_NONBLOCK));
    SHOW("accept4 bad flags", accept4(s, NULL, NULL, 1));
    plen = sizeof peer;
    getsockname(x, (struct sockaddr *)&peer, &plen);
    YESNO("accepted getsockname is the path", plen == alen && !strcmp(peer.sun_path, path));
    plen = sizeof peer;
    getpeername(c, (struct sockaddr *)&peer, &plen);
    YESNO("client getpeername is the path", plen == alen && !strcmp(peer.sun_path, path));
    struct ucred cr;
    len = sizeof cr;
    getsockopt(x, SOL_SOCKET, SO_PEERCRED, &cr, &len);
    printf("SO_PEERCRED len=%d pid ok=%d uid ok=%d\n", len, cr.pid == getpid(), cr.uid == geteuid());
    len = sizeof cr;
    getsockopt(s2, SOL_SOCKET, SO_PEERCRED, &cr, &len);
    printf("SO_PEERCRED unconnected pid=%d uid=%d\n", cr.pid, (int)cr.uid);

    /* backlog: listen(s, 0) holds one pending connection; the next non-blocking one waits */
    SHOW("listen 0", listen(s, 0));
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("connect backlog 1", connect(c1, (struct sockaddr *)&a, alen));
    SHOW("connect backlog full", connect(c2, (struct sockaddr *)&a, alen));
    int y = accept(s, NULL, NULL);
    SHOW("connect after accept", connect(c2, (struct sockaddr *)&a, alen));
    close(y);
    close(c1);
    close(c2);
    close(x);
    close(c);
    close(s);
    close(s2);
    close(sq);
    SHOW("unlink", unlink(path));

    /* abstract names */
    struct sockaddr_un ab = {AF_UNIX, ""};
    memcpy(ab.sun_path, "\0probe-abstract-x", 17);
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 17;
    int as = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract", bind(as, (struct sockaddr *)&ab, ablen));
    int as2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract EADDRINUSE", bind(as2, (struct sockaddr *)&ab, ablen));
    listen(as, 4);
    int ac = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect abstract", connect(ac, (struct sockaddr *)&ab, ablen));
    plen = sizeof peer;
    getpeername(ac, (struct sockaddr *)&peer, &plen);
    YESNO("abstract peername", plen == ablen && !memcmp(peer.sun_path, ab.sun_path, 17));
    close(as);
    close(ac);
    int ac2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect closed abstract", connect(ac2, (struct sockaddr *)&ab, ablen));
    SHOW("autobind", bind(ac2, (struct sockaddr *)&ab, 2));
    plen = sizeof peer;
    getsockname(ac2, (struct sockaddr *)&peer, &plen);
    printf("autobind len=%d abstract=%d\n", plen, peer.sun_path[0] == 0);
    close(ac2);
    close(as2);
}

static void seqpacket(void) {
    int sv[2];
    char buf[64];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "first", 5, 0);
    send(sv[0], "second", 6, 0);
    SHOW("seqpacket recv short", recv(sv[1], buf, 2, 0));
    SHOW("seqpacket recv", recv(sv[1], buf, sizeof buf, 0));
    close(sv[0]);
    show_poll("seqpacket peer closed", sv[1]);
    SHOW("seqpacket eof", recv(sv[1], buf, sizeof buf, 0));
    SHOW("seqpacket send closed", send(sv[1], "x", 1, MSG_NOSIGNAL));
    close(sv[1]);
}

static long send_creds(int fd, pid_t pid, uid_t uid, gid_t gid) {
    struct ucred uc = {pid, uid, gid};
    char cb[CMSG_SPACE(sizeof uc)];
    struct iovec io = {"c", 1};
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = cb;
    m.msg_controllen = sizeof cb;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof uc);
    memcpy(CMSG_DATA(c), &uc, sizeof uc);
    return sendmsg(fd, &m, 0);
}

static void show_creds(const char *what, int fd) {
    char buf[8], cb[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec io = {buf, sizeof buf};
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = cb;
    m.msg_controllen = sizeof cb;
    long n = recvmsg(fd, &m, MSG_DONTWAIT);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (n < 0 || !c) {
        printf("%s: n=%ld %s\n", what, n, n < 0 ? probe_errname(errno) : "no cmsg");
        return;
    }
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(c), sizeof uc);
    printf("%s: n=%ld type=%d pid is self=%d uid is self=%d uid=%u gid=%u\n", what, n,
           c->cmsg_type, uc.pid == getpid(), uc.uid == getuid(),
           uc.uid == getuid() ? 0 : uc.uid, uc.gid == getgid() ? 0 : uc.gid);
}

/* SCM_CREDENTIALS the sender states: checked (EPERM/ESRCH/EINVAL), delivered with
 * SO_PASSCRED only. Other ids need CAP_SETUID (root here has it, as in the sandbox). */
static void explicit_creds(void) {
    int sv[2], one = 1;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    SHOW("own creds, no SO_PASSCRED", send_creds(sv[0], getpid(), getuid(), getgid()));
    show_creds("  received", sv[1]);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    SHOW("own creds", send_creds(sv[0], getpid(), getuid(), getgid()));
    show_creds("  received", sv[1]);
    SHOW("other ids", send_creds(sv[0], getpid(), 4321, 8765));
    show_creds("  received", sv[1]);
    SHOW("pid 0", send_creds(sv[0], 0, getuid(), getgid()));
    SHOW("missing pid", send_creds(sv[0], 0x3ffffff0, getuid(), getgid()));
    SHOW("uid -1", send_creds(sv[0], getpid(), (uid_t)-1, getgid()));
    show_creds("  nothing queued", sv[1]);
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    SHOW("stream other ids", send_creds(sv[0], getpid(), 4321, 8765));
    show_creds("  received", sv[1]);
    send(sv[0], "p", 1, 0);
    show_creds("  plain send received", sv[1]);
    close(sv[0]);
    close(sv[1]);
}

static void rights(const char *dir) {
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    struct msghdr m = {0};
    struct iovec io = {"F", 1};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int fds[2] = {p[0], 999};
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    SHOW("sendmsg bad fd", sendmsg(sv[0], &m, 0));
    fds[1] = p[1];
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    SHOW("sendmsg rights", sendmsg(sv[0], &m, 0));
    SHOW("sendmsg rights 2", sendmsg(sv[0], &m, 0));
    close(p[0]);
    close(p[1]);
    pid_t pid = fork();
    if (pid == 0) {
        char buf[8], cb[CMSG_SPACE(2 * sizeof(int))];
        struct msghdr r = {0};
        struct iovec rio = {buf, sizeof buf};
        r.msg_iov = &rio;
        r.msg_iovlen = 1;
        r.msg_control = cb;
        r.msg_controllen = sizeof cb;
        long n = recvmsg(sv[1], &r, MSG_CMSG_CLOEXEC);
        struct cmsghdr *c = CMSG_FIRSTHDR(&r);
        int got[2];
        memcpy(got, CMSG_DATA(c), sizeof got);
        printf("child recvmsg=%ld type=%d len=%d cloexec=%d\n", n, c->cmsg_type,
               (int)c->cmsg_len, !!(fcntl(got[0], F_GETFD) & FD_CLOEXEC));
        write(got[1], "via passed pipe", 15);
        char out[32] = {0};
        read(got[0], out, sizeof out - 1);
        printf("child read: %s\n", out);
        /* second message: a control buffer with room for one fd: MSG_CTRUNC */
        r.msg_controllen = CMSG_SPACE(sizeof(int));
        n = recvmsg(sv[1], &r, 0);
        printf("child ctrunc=%d controllen=%d\n", !!(r.msg_flags & MSG_CTRUNC),
               (int)r.msg_controllen);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    close(sv[0]);
    close(sv[1]);

    /* SO_PASSCRED: SCM_CREDENTIALS with the sender's pid */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int one = 1;
    SHOW("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
    send(sv[0], "c", 1, 0);
    char buf[8], cb[CMSG_SPACE(sizeof(struct ucred))];
    struct msghdr r = {0};
    struct iovec rio = {buf, sizeof buf};
    r.msg_iov = &rio;
    r.msg_iovlen = 1;
    r.msg_control = cb;
    r.msg_controllen = sizeof cb;
    SHOW("recvmsg creds", recvmsg(sv[1], &r, 0));
    struct cmsghdr *c = CMSG_FIRSTHDR(&r);
    struct ucred uc;
    memcpy(&uc, CMSG_DATA(c), sizeof uc);
    printf("creds type=%d pid ok=%d uid ok=%d\n", c->cmsg_type, uc.pid == getpid(),
           uc.uid == getuid());
    close(sv[0]);
    close(sv[1]);
    explicit_creds();
    (void)dir;
}

/* seqpacket records and names, socketpair credentials, SO_PASSCRED's autobind */
static void records_and_names(const char *dir) {
    int sv[2];
    char buf[16];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    struct ucred uc;
    socklen_t len = sizeof uc;
    SHOW("socketpair SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len));
    printf("pid is self=%d uid is self=%d\n", uc.pid == getpid(), uc.uid == geteuid());
    send(sv[0], "abcdef", 6, MSG_EOR);
    struct iovec io = {buf, 3};
    struct msghdr m = {0};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    SHOW("seqpacket recvmsg short", recvmsg(sv[1], &m, 0));
    printf("msg_flags trunc=%d eor=%d\n", !!(m.msg_flags & MSG_TRUNC), !!(m.msg_flags & MSG_EOR));
    send(sv[0], "abcdef", 6, 0);
    SHOW("seqpacket recv MSG_TRUNC", recv(sv[1], buf, 2, MSG_TRUNC));
    SHOW("seqpacket send 0", send(sv[0], "", 0, 0));
    SHOW("seqpacket recv 0-length record", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    SHOW("seqpacket recv empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);

    struct sockaddr_un a;
    char path[256];
    snprintf(path, sizeof path, "%s/sq", dir);
    socklen_t alen = mkaddr(&a, path);
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    SHOW("seqpacket bind", bind(l, (struct sockaddr *)&a, alen));
    SHOW("seqpacket listen", listen(l, 2));
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    SHOW("seqpacket connect", connect(c, (struct sockaddr *)&a, alen));
    int x = accept(l, NULL, NULL);
    send(c, "rec1", 4, 0);
    send(c, "rec2", 4, 0);
    SHOW("seqpacket accepted recv", recv(x, buf, sizeof buf, 0));
    close(c);
    SHOW("seqpacket recv after peer close (one left)", recv(x, buf, sizeof buf, 0));
    SHOW("seqpacket recv eof", recv(x, buf, sizeof buf, 0));
    close(x);
    close(l);

    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un au = {AF_UNIX};
    SHOW("autobind dgram", bind(d, (struct sockaddr *)&au, offsetof(struct sockaddr_un, sun_path)));
    len = sizeof au;
    getsockname(d, (struct sockaddr *)&au, &len);
    printf("autobind len=%d\n", len);
    int one = 1, plain = socket(AF_UNIX, SOCK_DGRAM, 0), pc = socket(AF_UNIX, SOCK_DGRAM, 0);
    setsockopt(pc, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    sendto(plain, "z", 1, 0, (struct sockaddr *)&au, len);
    recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("from an unbound sender: len=%d\n", flen);
    SHOW("sendto with SO_PASSCRED, unbound", sendto(pc, "z", 1, 0, (struct sockaddr *)&au, len));
    flen = sizeof from;
    recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("from the SO_PASSCRED sender: len=%d abstract=%d\n", flen, from.sun_path[0] == 0);
    int sc = socket(AF_UNIX, SOCK_STREAM, 0);
    setsockopt(sc, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    snprintf(path, sizeof path, "%s/nothing-here", dir);
    alen = mkaddr(&a, path);
    SHOW("stream connect with SO_PASSCRED to nothing", connect(sc, (struct sockaddr *)&a, alen));
    len = sizeof au;
    getsockname(sc, (struct sockaddr *)&au, &len);
    printf("it got a name anyway: len=%d\n", len);
    close(sc);
    close(pc);
    close(plain);
    close(d);
}

static void on_alarm(int sig) { (void)sig; }

static void epoll_and_select(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN | EPOLLOUT | EPOLLRDHUP, {.u32 = 7}}, got[4];
    SHOW("epoll_ctl socket", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
    int n = epoll_wait(ep, got, 4, 0);
    printf("epoll idle: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    send(sv[0], "x", 1, 0);
    shutdown(sv[0], SHUT_WR);
    n = epoll_wait(ep, got, 4, 0);
    printf("epoll after SHUT_WR: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    close(sv[0]);
    n = epoll_wait(ep, got, 4, 0);
    printf("epoll after close: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(sv[1], &r);
    FD_SET(sv[1], &w);
    struct timeval tv = {0, 0};
    n = select(sv[1] + 1, &r, &w, NULL, &tv);
    printf("select: n=%d r=%d w=%d\n", n, FD_ISSET(sv[1], &r), FD_ISSET(sv[1], &w));
    /* a blocked epoll_wait woken by data from a child */
    int sp[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev);
    if (fork() == 0) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        send(sp[1], "wake", 4, 0);
        _exit(0);
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, sv[1], NULL);
    n = epoll_wait(ep, got, 4, 10000);
    printf("epoll woken: n=%d events=%#x\n", n, n > 0 ? got[0].events : 0);
    wait(NULL);
    close(ep);
    close(sv[1]);
    close(sp[0]);
    close(sp[1]);
}

static void mmsg_and_signals(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct mmsghdr out[3];
    struct iovec oio[3] = {{"one", 3}, {"two!", 4}, {"three", 5}};
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out[i].msg_hdr.msg_iov = &oio[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    SHOW("sendmmsg", sendmmsg(sv[0], out, 3, 0));
    printf("sent lens %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);
    char bufs[4][16];
    struct iovec iio[4];
    struct mmsghdr in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        iio[i].iov_base = bufs[i];
        iio[i].iov_len = sizeof bufs[i];
        in[i].msg_hdr.msg_iov = &iio[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    SHOW("recvmmsg WAITFORONE", recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL));
    printf("recv lens %u %u %u\n", in[0].msg_len, in[1].msg_len, in[2].msg_len);
    SHOW("recvmmsg empty nonblocking", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
    close(sv[0]);
    close(sv[1]);

    /* a blocking recv and accept interrupted by a handler without SA_RESTART: EINTR */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    char c;
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    SHOW("recv interrupted", recv(sv[0], &c, 1, 0));
    /* with SA_RESTART the call goes on and gets the byte a child sends later */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
        send(sv[1], "r", 1, 0);
        _exit(0);
    }
    setitimer(ITIMER_REAL, &it, NULL);
    SHOW("recv restarted", recv(sv[0], &c, 1, 0));
    waitpid(pid, NULL, 0);
    /* ... but not one waiting within SO_RCVTIMEO: EINTR despite SA_RESTART */
    struct timeval rcv = {5, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv);
    setitimer(ITIMER_REAL, &it, NULL);
    SHOW("recv with SO_RCVTIMEO interrupted", recv(sv[0], &c, 1, 0));
    struct timeval tv = {0, 30000};
    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static char big[65536];
    long total = 0, r;
    while ((r = send(sv[0], big, sizeof big, 0)) > 0)
        total += r;
    printf("send with SO_SNDTIMEO stops: %s\n", probe_errname(errno));
    signal(SIGALRM, SIG_DFL);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, on_sigpipe);
    if (argc < 2 || mkdir(argv[1], 0700) < 0) {
        perror("scratch");
        return 1;
    }
    creation();
    stream_pair();
    dgram(argv[1]);
    named(argv[1]);
    seqpacket();
    records_and_names(argv[1]);
    rights(argv[1]);
    mmsg_and_signals();
    epoll_and_select();
    return 0;
}
