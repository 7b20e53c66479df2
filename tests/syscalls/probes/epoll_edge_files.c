// epoll edge-triggered on the other event sources: timerfd expiries, inotify events,
// signalfd (signals the process sends itself), UDP loopback datagrams both ways, a pty's
// two ends, a pidfd.
// covers: epoll_ctl, epoll_wait, timerfd_settime, inotify_add_watch, signalfd4, sendto
// area: I/O and readiness
// usage: epoll_edge_files SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe_epoll.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void timerfd_et(void) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    int ep = watch(tfd, EPOLLIN | EPOLLET, 1);
    struct itimerspec its = {.it_value = {0, 20000000}};
    show_wait("timerfd ET: not armed", ep, 0);
    timerfd_settime(tfd, 0, &its, NULL);
    show_wait("timerfd ET: an expiry", ep, 5000);
    show_wait("timerfd ET: again", ep, 0);
    timerfd_settime(tfd, 0, &its, NULL);
    show_wait("timerfd ET: another expiry, unread", ep, 5000);
    unsigned long long n;
    read(tfd, &n, 8);
    show_wait("timerfd ET: read", ep, 0);
    close(tfd);
    close(ep);
}

static void inotify_et(const char *dir) {
    char path[600];
    int in = inotify_init1(0);
    inotify_add_watch(in, dir, IN_CREATE);
    int ep = watch(in, EPOLLIN | EPOLLET, 2);
    show_wait("inotify ET: nothing", ep, 0);
    snprintf(path, sizeof path, "%s/a", dir);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    show_wait("inotify ET: an event", ep, 0);
    show_wait("inotify ET: again", ep, 0);
    snprintf(path, sizeof path, "%s/b", dir);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    show_wait("inotify ET: a second event, unread", ep, 0);
    close(in);
    close(ep);
}

static void signalfd_et(void) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, 0);
    int ep = watch(sfd, EPOLLIN | EPOLLET, 3), lt = watch(sfd, EPOLLIN, 4);
    show_wait("signalfd ET: nothing", ep, 0);
    kill(getpid(), SIGUSR1);
    show_wait("signalfd ET: a signal", ep, 0);
    show_wait("signalfd ET: again", ep, 0);
    show_wait("signalfd LT: a signal", lt, 0);
    show_wait("signalfd LT: again", lt, 0);
    kill(getpid(), SIGUSR2);
    show_wait("signalfd ET: another signal, unread", ep, 0);
    kill(getpid(), SIGUSR2);
    show_wait("signalfd ET: the same signal, already pending", ep, 0);
    struct signalfd_siginfo si;
    read(sfd, &si, sizeof si);
    read(sfd, &si, sizeof si);
    show_wait("signalfd ET: both read", ep, 0);
    show_wait("signalfd LT: both read", lt, 0);
    kill(getpid(), SIGUSR1);
    show_wait("signalfd ET: a signal again", ep, 0);
    read(sfd, &si, sizeof si);
    close(sfd);
    close(ep);
    close(lt);
}

static void udp_et(void) {
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    char b[8];
    bind(u1, (struct sockaddr *)&a, sizeof a);
    getsockname(u1, (struct sockaddr *)&a, &alen);
    int in = watch(u1, EPOLLIN | EPOLLOUT | EPOLLET, 5), out = watch(u2, EPOLLOUT | EPOLLET, 6);
    show_wait("udp ET: receiver added", in, 0);
    show_wait("udp ET: sender added", out, 0);
    sendto(u2, "a", 1, 0, (struct sockaddr *)&a, sizeof a);
    show_wait("udp ET: a datagram", in, 2000);
    show_wait("udp ET: the sender after a send", out, 0);
    show_wait("udp ET: again", in, 0);
    sendto(u2, "b", 1, 0, (struct sockaddr *)&a, sizeof a);
    show_wait("udp ET: a second, unread", in, 2000);
    recv(u1, b, sizeof b, 0);
    show_wait("udp ET: one read", in, 0);
    show_wait("udp ET: the sender after the reads", out, 0);
    close(u1);
    close(u2);
    close(in);
    close(out);
}

static void pty_et(void) {
    char b[8];
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    int lt = watch(m, EPOLLIN, 7), et = watch(m, EPOLLIN | EPOLLET, 8), slave = watch(s, EPOLLIN, 9);
    show_wait("pty master ET: nothing", et, 0);
    write(s, "ab", 2);
    show_wait("pty master LT: the slave wrote", lt, 2000);
    show_wait("pty master ET: the slave wrote", et, 2000);
    show_wait("pty master ET: again", et, 0);
    write(s, "c", 1);
    show_wait("pty master ET: more, unread", et, 2000);
    read(m, b, sizeof b);
    show_wait("pty master LT: read", lt, 0);
    write(m, "x", 1);
    show_wait("pty slave LT: the master wrote", slave, 2000);
    read(s, b, 1);
    show_wait("pty slave LT: read", slave, 0);
    close(s);
    show_wait("pty master LT: the slave closed", lt, 2000);
    show_wait("pty master ET: the slave closed", et, 2000);
    close(m);
    close(lt);
    close(et);
    close(slave);
}

static void pidfd_et(void) {
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1);
        _exit(0);
    }
    int fd = syscall(SYS_pidfd_open, c, 0);
    int lt = watch(fd, EPOLLIN, 10), et = watch(fd, EPOLLIN | EPOLLET, 11);
    show_wait("pidfd ET: running", et, 0);
    write(p[1], "x", 1);
    show_wait("pidfd ET: exited", et, 5000);
    show_wait("pidfd ET: again", et, 0);
    show_wait("pidfd LT: exited", lt, 0);
    show_wait("pidfd LT: again", lt, 0);
    waitpid(c, NULL, 0);
    show_wait("pidfd LT: reaped", lt, 0);
    show_wait("pidfd ET: reaped", et, 0);
    close(fd);
    close(lt);
    close(et);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    timerfd_et();
    inotify_et(argv[1]);
    signalfd_et();
    udp_et();
    pty_et();
    pidfd_et();
    return 0;
}
