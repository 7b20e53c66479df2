// The differences the syscall table documents for partial rows, checked so the report shows
// them (each line below is marked xfail-line with the table's note; a fix shows up as a
// failing mark to drop).
// covers: epoll_ctl, ppoll, pselect6, epoll_pwait, waitid, pipe2
// area: partial rows
// usage: gaps SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif

static void on_usr1(int sig) { (void)sig; }

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    write(p[1], "x", 1);
    epoll_wait(ep, &out, 1, 0);
    SHOW("epoll_ctl(EPOLLET) second wait, no new data", epoll_wait(ep, &out, 1, 0));
    read(p[0], (char[1]){0}, 1);

    /* A blocked SIGUSR1 is pending; a wait whose mask unblocks it returns EINTR (its handler
     * runs: sigmask_wait.c checks the rest). */
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&none);
    struct timespec ts = {0, 50000000};
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    SHOW("ppoll(sigmask unblocks a pending signal)", ppoll(&pfd, 1, &ts, &none));
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    SHOW("pselect6(sigmask unblocks a pending signal)", pselect(p[0] + 1, &r, NULL, NULL, &ts, &none));
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    SHOW("epoll_pwait(sigmask unblocks a pending signal)", epoll_pwait(ep, &out, 1, 50, &none));
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    siginfo_t si = {0};
    struct sigaction alrm = {.sa_handler = on_usr1}; /* no SA_RESTART: a hang becomes EINTR */
    sigaction(SIGALRM, &alrm, NULL);
    alarm(2);
    SHOW("waitid(WSTOPPED)", waitid(P_PID, pid, &si, WSTOPPED));
    alarm(0);
    printf("waitid(WSTOPPED) code: %d\n", si.si_code);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

    int np[2];
    OK("pipe2(O_NOTIFICATION_PIPE)", pipe2(np, O_NOTIFICATION_PIPE));
    return 0;
}
