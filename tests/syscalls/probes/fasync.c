// O_ASYNC: F_SETOWN/F_SETOWN_EX/F_SETSIG and the signals pipes, sockets, inotify and
// ptys send their owner (si_code, si_band, si_fd); SIGURG for out-of-band data; the
// owner's credentials (sigio_perm); the errno cases. It runs in a child that made its
// own session (a process group of its own, natively and as the sandbox's init).
// covers: fcntl, ioctl, socketpair, shutdown, inotify_init1, rt_sigtimedwait, signalfd4
// area: signals and time
#include "probe.h"
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RT (SIGRTMIN + 1)
static volatile int got;
static siginfo_t seen[16];

static void handler(int s, siginfo_t *si, void *u) {
    (void)s, (void)u;
    if (got < 16)
        seen[got] = *si;
    got++;
}

/* What arrived since the last call: the count, then each signal's number, code, band and
   whether its si_fd is `fd` (the codes of a plain SIGIO carry no fd). */
static void report(const char *what, int fd) {
    printf("%s: %d signals", what, got);
    for (int i = 0; i < got && i < 4; i++) {
        siginfo_t *si = &seen[i];
        printf(" [%s code %d", si->si_signo == SIGIO ? "SIGIO" : si->si_signo == RT ? "RT"
               : si->si_signo == SIGURG ? "SIGURG" : "other", si->si_code);
        if (si->si_code > 0 && si->si_code < 0x80)
            printf(" band %lx fd %s", si->si_band, si->si_fd == fd ? "ok" : "wrong");
        printf("]");
    }
    printf("\n");
    got = 0;
}

static void own(int fd, int sig) {
    fcntl(fd, F_SETOWN, getpid());
    fcntl(fd, F_SETSIG, sig);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

static void errnos(void) {
    int p[2];
    pipe(p);
    struct f_owner_ex ex = {7, 7};
    SHOW("F_GETOWN fresh", fcntl(p[0], F_GETOWN));
    SHOW("F_GETSIG fresh", fcntl(p[0], F_GETSIG));
    SHOW("F_GETOWN_EX fresh", fcntl(p[0], F_GETOWN_EX, &ex));
    printf("fresh owner: type %d pid %d\n", ex.type, ex.pid);
    SHOW("F_SETOWN no such pid", fcntl(p[0], F_SETOWN, 99999));
    SHOW("F_SETOWN no such group", fcntl(p[0], F_SETOWN, -99999));
    SHOW("F_SETOWN INT_MIN", fcntl(p[0], F_SETOWN, INT_MIN));
    SHOW("F_SETSIG 65", fcntl(p[0], F_SETSIG, 65));
    SHOW("F_SETSIG -1", fcntl(p[0], F_SETSIG, -1));
    ex.type = 9, ex.pid = getpid();
    SHOW("F_SETOWN_EX bad type", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.type = F_OWNER_PID, ex.pid = -getpid();
    SHOW("F_SETOWN_EX negative pid", fcntl(p[0], F_SETOWN_EX, &ex));
    SHOW("F_SETOWN_EX bad pointer", fcntl(p[0], F_SETOWN_EX, (void *)8));
    SHOW("F_GETOWN_EX bad pointer", fcntl(p[0], F_GETOWN_EX, (void *)8));
    SHOW("F_SETOWN self", fcntl(p[0], F_SETOWN, getpid()));
    YESNO("F_GETOWN is our pid", fcntl(p[0], F_GETOWN) == getpid());
    SHOW("F_SETOWN our group", fcntl(p[0], F_SETOWN, -getpgrp()));
    YESNO("F_GETOWN is minus our group", fcntl(p[0], F_GETOWN) == -getpgrp());
    SHOW("F_GETOWN_EX", fcntl(p[0], F_GETOWN_EX, &ex));
    printf("owner: type %d is our group %d\n", ex.type, ex.pid == getpgrp());
    ex.type = F_OWNER_TID, ex.pid = gettid();
    SHOW("F_SETOWN_EX thread", fcntl(p[0], F_SETOWN_EX, &ex));
    YESNO("F_GETOWN is our tid", fcntl(p[0], F_GETOWN) == gettid());
    SHOW("F_SETOWN 0", fcntl(p[0], F_SETOWN, 0));
    SHOW("F_GETOWN_EX", fcntl(p[0], F_GETOWN_EX, &ex));
    printf("no owner: type %d pid %d\n", ex.type, ex.pid);
    SHOW("F_SETSIG RT", fcntl(p[0], F_SETSIG, RT));
    YESNO("F_GETSIG is RT", fcntl(p[0], F_GETSIG) == RT);
    close(p[0]);
    close(p[1]);
}

static void pipes(void) {
    char b[70000];
    memset(b, 'x', sizeof b);
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETOWN, getpid());
    write(p[1], "x", 1);
    read(p[0], b, 1);
    report("pipe, owner, no O_ASYNC", p[0]);
    SHOW("F_SETFL O_ASYNC", fcntl(p[0], F_SETFL, O_ASYNC));
    YESNO("F_GETFL shows O_ASYNC", fcntl(p[0], F_GETFL) & O_ASYNC);
    write(p[1], "x", 1);
    report("pipe write, plain SIGIO", p[0]);
    read(p[0], b, 1);
    report("pipe read by the owner", p[0]);
    fcntl(p[0], F_SETSIG, RT);
    write(p[1], "x", 1);
    write(p[1], "y", 1);
    report("two writes, F_SETSIG RT", p[0]);
    read(p[0], b, 2);
    fcntl(p[0], F_SETSIG, SIGIO);
    write(p[1], "x", 1);
    report("write, F_SETSIG SIGIO", p[0]);
    read(p[0], b, 1);
    int d = dup(p[0]);
    fcntl(d, F_SETFL, O_ASYNC);
    close(d);
    write(p[1], "x", 1);
    report("write after a dup closed", p[0]);
    read(p[0], b, 1);
    own(p[1], RT);
    fcntl(p[0], F_SETSIG, RT);
    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    fcntl(p[1], F_SETFL, O_ASYNC | O_NONBLOCK);
    SHOW("read of an empty pipe", read(p[0], b, 1));
    report("its writer's news", p[1]);
    SHOW("zero-length read", read(p[0], b, 0));
    SHOW("zero-length write", write(p[1], b, 0));
    report("after zero-length calls", p[0]);
    SHOW("fill", write(p[1], b, 65536));
    report("the reader's news", p[0]);
    SHOW("write to a full pipe", write(p[1], b, 1));
    report("the reader's news again", p[0]);
    SHOW("read 100", read(p[0], b, 100));
    report("the writer's news", p[1]);
    SHOW("FIOASYNC off", ioctl(p[0], FIOASYNC, &(int){0}));
    write(p[1], "x", 1);
    report("reader without O_ASYNC", p[0]);
    SHOW("FIOASYNC on", ioctl(p[0], FIOASYNC, &(int){1}));
    fcntl(p[0], F_SETOWN, 0);
    write(p[1], "x", 1);
    report("reader without an owner", p[0]);
    close(p[0]);
    report("reader gone: the writer's news", p[1]);
    close(p[1]);
    int q[2];
    pipe(q);
    own(q[0], RT);
    close(q[1]);
    report("writer gone: the reader's news", q[0]);
    close(q[0]);
}

static void unix_sockets(void) {
    char b[65536];
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    own(s[0], RT);
    own(s[1], RT);
    write(s[1], "x", 1);
    report("stream data", s[0]);
    read(s[0], b, 1);
    report("stream read", s[1]);
    shutdown(s[1], SHUT_WR);
    report("peer shut down writing", s[0]);
    shutdown(s[1], SHUT_RD);
    report("peer shut down reading", s[0]);
    close(s[1]);
    report("peer closed", s[0]);
    close(s[0]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    own(s[0], RT);
    fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    memset(b, 'x', sizeof b);
    while (write(s[0], b, sizeof b) > 0) {
    }
    report("stream filled", s[0]);
    fcntl(s[1], F_SETFL, O_NONBLOCK);
    read(s[1], b, 4096);
    report("peer read 4 KiB", s[0]);
    while (read(s[1], b, sizeof b) > 0) {
    }
    report("peer drained it", s[0]);
    close(s[0]);
    close(s[1]);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
    own(s[0], RT);
    send(s[1], "x", 1, 0);
    report("datagram", s[0]);
    close(s[1]);
    report("datagram peer closed", s[0]);
    close(s[0]);
}

static void tcp(void) {
    char b[16];
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}};
    socklen_t al = sizeof a;
    bind(l, (void *)&a, sizeof a);
    listen(l, 4);
    getsockname(l, (void *)&a, &al);
    own(l, RT);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (void *)&a, sizeof a);
    usleep(20000);
    report("tcp listener, a connection", l);
    int s = accept(l, 0, 0);
    own(s, RT);
    write(c, "x", 1);
    usleep(20000);
    report("tcp data", s);
    read(s, b, 1);
    fcntl(s, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETSIG, 0);
    fcntl(s, F_SETFL, O_NONBLOCK);  // O_ASYNC off: SIGURG needs only the owner
    send(c, "u", 1, MSG_OOB);
    usleep(20000);
    report("out-of-band byte, owner without O_ASYNC", s);
    close(c);
    usleep(20000);
    YESNO("tcp peer closed: no signal without O_ASYNC", got == 0);
    got = 0;
    close(s);
    close(l);
    int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
    bind(u, (void *)&(struct sockaddr_in){AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}}, sizeof a);
    al = sizeof a;
    getsockname(u, (void *)&a, &al);
    own(u, RT);
    sendto(v, "x", 1, 0, (void *)&a, sizeof a);
    usleep(20000);
    report("udp datagram", u);
    close(u);
    close(v);
}

static void others(void) {
    int in = inotify_init1(0);
    own(in, RT);
    inotify_add_watch(in, ".", IN_CREATE);
    close(open("fasync-probe-file", O_CREAT | O_WRONLY, 0600));
    unlink("fasync-probe-file");
    report("inotify event", in);
    close(in);
    int m, r;
    openpty(&m, &r, 0, 0, 0);
    own(r, RT);
    write(m, "a\n", 2);
    usleep(20000);
    report("pty input", r);
    close(m);
    close(r);
}

static void taken_otherwise(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, RT);
    sigprocmask(SIG_BLOCK, &set, 0);
    int p[2];
    pipe(p);
    own(p[0], RT);
    write(p[1], "x", 1);
    siginfo_t si;
    SHOW("sigtimedwait", sigtimedwait(&set, &si, &(struct timespec){5, 0}) == RT);
    printf("its code %d band %lx fd %s\n", si.si_code, si.si_band, si.si_fd == p[0] ? "ok" : "wrong");
    write(p[1], "y", 1);
    int sfd = signalfd(-1, &set, 0);
    struct signalfd_siginfo ssi;
    SHOW("signalfd read", read(sfd, &ssi, sizeof ssi));
    printf("its code %d band %x fd %s\n", ssi.ssi_code, ssi.ssi_band, (int)ssi.ssi_fd == p[0] ? "ok" : "wrong");
    sigprocmask(SIG_UNBLOCK, &set, 0);
    close(sfd);
    close(p[0]);
    close(p[1]);
}

static void not_permitted(void) {
    int p[2], done[2];
    pipe(p);
    pipe(done);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {  // another uid names the parent as the owner: sigio_perm refuses
        setuid(1000);
        fcntl(p[0], F_SETOWN, getppid());
        fcntl(p[0], F_SETSIG, RT);
        fcntl(p[0], F_SETFL, O_ASYNC);
        write(done[1], "x", 1);
        _exit(0);
    }
    char b;
    read(done[0], &b, 1);
    waitpid(c, 0, 0);
    write(p[1], "x", 1);
    report("owner set by uid 1000", p[0]);
    fcntl(p[0], F_SETOWN, getpid());  // now with our credentials
    write(p[1], "x", 1);
    report("owner set by us", p[0]);
}

int main(void) {
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) {
        SHOW("setsid", setsid() == getpid());
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGIO, &sa, 0);
        sigaction(RT, &sa, 0);
        sigaction(SIGURG, &sa, 0);
        errnos();
        pipes();
        unix_sockets();
        tcp();
        others();
        taken_otherwise();
        not_permitted();
        fflush(stdout);
        _exit(0);
    }
    SHOW("done", waitpid(m, 0, 0) == m);
    return 0;
}
