// signalfd: errno cases, records of self-sent signals (kill, tgkill, sigqueue values),
// SIGCHLD with its status, blocking reads and poll/epoll woken by another process,
// EINTR, mask updates, and the child's own signals after fork.
// covers: signalfd, signalfd4
// area: signals and time
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct signalfd_siginfo si;

static void show_rec(const char *what, int fd) {
    long r = SHOW(what, read(fd, &si, sizeof si));
    if (r > 0)
        printf("  signo %u code %d errno %d\n", si.ssi_signo, si.ssi_code, si.ssi_errno);
}

static sigset_t set_of(int a, int b) {
    sigset_t m;
    sigemptyset(&m);
    if (a) sigaddset(&m, a);
    if (b) sigaddset(&m, b);
    return m;
}

// A child that sends `sig` to its parent after a short nap, then exits.
static pid_t sender(int sig) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        kill(getppid(), sig);
        _exit(0);
    }
    return c;
}

static void drain(int fd) {
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, &si, sizeof si) > 0) {}
    fcntl(fd, F_SETFL, fl);
}

static void on_alrm(int s) { (void)s; }

int main(void) {
    sigset_t all = set_of(SIGUSR1, SIGUSR2);
    sigaddset(&all, SIGCHLD);
    sigaddset(&all, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &all, 0);
    sigset_t usr = set_of(SIGUSR1, SIGUSR2);
    int p[2];
    pipe(p);

    SHOW("signalfd4 sizemask 4", syscall(SYS_signalfd4, -1, &usr, 4, 0));
    SHOW("signalfd4 bad flags", syscall(SYS_signalfd4, -1, &usr, 8, 1));
    SHOW("signalfd4 bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    SHOW("signalfd4 on a closed fd", syscall(SYS_signalfd4, 999, &usr, 8, 0));
    SHOW("signalfd4 on fd -2", syscall(SYS_signalfd4, -2, &usr, 8, 0));
    SHOW("signalfd4 on a pipe", syscall(SYS_signalfd4, p[0], &usr, 8, 0));
    SHOW("signalfd sizemask 16", syscall(SYS_signalfd, -1, &usr, 16));

    int fd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
    YESNO("signalfd4", fd >= 0);
    YESNO("FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    int fl = fcntl(fd, F_GETFL);
    YESNO("O_NONBLOCK", fl & O_NONBLOCK);
    YESNO("O_RDWR", (fl & O_ACCMODE) == O_RDWR);
    int plain = syscall(SYS_signalfd, -1, &usr, 8);
    YESNO("signalfd (no flags)", plain >= 0);
    YESNO("no FD_CLOEXEC, blocking", fcntl(plain, F_GETFD) == 0 && !(fcntl(plain, F_GETFL) & O_NONBLOCK));
    SHOW("signalfd on a signalfd keeps its fd", syscall(SYS_signalfd, plain, &usr, 8) == plain);
    char small[64];
    SHOW("read, nothing pending", read(fd, &si, sizeof si));
    SHOW("read, 64-byte buffer", read(fd, small, sizeof small));
    SHOW("write", write(fd, &si, sizeof si));
    struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
    SHOW("poll, nothing pending", poll(&pf, 1, 0));

    // Self-sent signals: process-directed kill and sigqueue, thread-directed raise.
    kill(getpid(), SIGUSR1);
    SHOW("poll, SIGUSR1 pending", poll(&pf, 1, 0));
    printf("revents %#x\n", pf.revents);
    SHOW("read, 64-byte buffer, pending", read(fd, small, sizeof small));
    show_rec("read (kill)", fd);
    YESNO("ssi_pid is mine", si.ssi_pid == (uint32_t)getpid());
    YESNO("ssi_uid is mine", si.ssi_uid == getuid());
    YESNO("SI_USER", si.ssi_code == SI_USER);
    SHOW("read again", read(fd, &si, sizeof si));
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 42});
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 43});
    raise(SIGUSR2);
    struct signalfd_siginfo recs[4];
    SHOW("read 4 records' room", read(fd, recs, sizeof recs));
    for (int i = 0; i < 3; i++)
        printf("  signo %s code %d int %d ptr %llu pid mine %d\n",
               recs[i].ssi_signo == (uint32_t)SIGRTMIN ? "RTMIN" : recs[i].ssi_signo == SIGUSR2 ? "USR2" : "?",
               recs[i].ssi_code, recs[i].ssi_int, (unsigned long long)recs[i].ssi_ptr,
               recs[i].ssi_pid == (uint32_t)getpid());

    // SIGCHLD from a child's exit.
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) _exit(7);
    struct pollfd one = {fd, POLLIN, 0};
    SHOW("poll until SIGCHLD", poll(&one, 1, 20000));
    show_rec("read (SIGCHLD)", fd);
    printf("  CLD_EXITED %d status %d pid is the child %d\n", si.ssi_code == CLD_EXITED,
           si.ssi_status, si.ssi_pid == (uint32_t)c);
    waitpid(c, 0, 0);

    // Mask updates: SIGKILL and SIGSTOP are left out silently.
    sigset_t only2 = set_of(SIGUSR2, SIGKILL);
    sigaddset(&only2, SIGSTOP);
    SHOW("signalfd4 update (USR2, KILL, STOP)", signalfd(fd, &only2, 0) == fd);
    kill(getpid(), SIGUSR1);
    SHOW("read, SIGUSR1 left out", read(fd, &si, sizeof si));
    sigset_t pend;
    sigpending(&pend);
    YESNO("SIGUSR1 still pending", sigismember(&pend, SIGUSR1));
    SHOW("signalfd update (all)", signalfd(fd, &all, 0) == fd);
    show_rec("read, SIGUSR1 taken", fd);

    // A blocking read woken by a signal from another process.
    int bfd = signalfd(-1, &usr, 0);
    c = sender(SIGUSR1);
    show_rec("blocking read", bfd);
    YESNO("ssi_pid is the sender", si.ssi_pid == (uint32_t)c);
    YESNO("SI_USER from the sender", si.ssi_code == SI_USER);
    waitpid(c, 0, 0);
    drain(fd);

    // poll, select and epoll woken by another process.
    c = sender(SIGUSR2);
    struct pollfd bp = {bfd, POLLIN, 0};
    SHOW("blocking poll", poll(&bp, 1, 20000));
    printf("revents %#x\n", bp.revents);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(bfd, &rs);
    struct timeval tv0 = {0, 0};
    SHOW("select, pending", select(bfd + 1, &rs, 0, 0, &tv0));
    show_rec("read after poll", bfd);
    waitpid(c, 0, 0);
    drain(fd);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[2];
    SHOW("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &ev));
    SHOW("epoll_wait, nothing pending", epoll_wait(ep, out, 2, 0));
    c = sender(SIGUSR1);
    SHOW("epoll_wait, blocking", epoll_wait(ep, out, 2, 20000));
    printf("events %#x data %u\n", out[0].events, out[0].data.u32);
    show_rec("read after epoll", bfd);
    SHOW("epoll_wait, drained", epoll_wait(ep, out, 2, 0));
    waitpid(c, 0, 0);
    drain(fd);

    // A blocking read interrupted by a handled signal: EINTR without SA_RESTART.
    struct sigaction sa = {.sa_handler = on_alrm};
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    SHOW("blocking read, SIGALRM", read(bfd, &si, sizeof si));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    setitimer(ITIMER_REAL, &it, 0);
    c = sender(SIGUSR2);
    show_rec("blocking read, SA_RESTART", bfd);
    waitpid(c, 0, 0);
    drain(fd);

    // sigqueue from another process, and a POSIX timer's SI_TIMER record.
    sigset_t rt1 = set_of(SIGRTMIN + 1, 0);
    sigprocmask(SIG_BLOCK, &rt1, 0);
    int qfd = signalfd(-1, &rt1, 0);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        sigqueue(getppid(), SIGRTMIN + 1, (union sigval){.sival_int = 99});
        _exit(0);
    }
    long r = SHOW("read (sigqueue from a child)", read(qfd, &si, sizeof si));
    if (r > 0)
        printf("  SI_QUEUE %d int %d pid is the child %d\n", si.ssi_code == SI_QUEUE,
               si.ssi_int, si.ssi_pid == (uint32_t)c);
    waitpid(c, 0, 0);
    drain(fd);
    timer_t tid;
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1,
                           .sigev_value.sival_int = 77};
    SHOW("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &tid));
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    timer_settime(tid, 0, &its, 0);
    r = SHOW("read (timer)", read(qfd, &si, sizeof si));
    if (r > 0)
        printf("  SI_TIMER %d int %d overrun %u tid matches %d\n", si.ssi_code == SI_TIMER,
               si.ssi_int, si.ssi_overrun, si.ssi_tid == (uint32_t)(long)tid);
    timer_delete(tid);

    // fork: the child reads its own signals, not its parent's.
    kill(getpid(), SIGUSR2);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        SHOW("child: read, parent's signal not seen", read(fd, &si, sizeof si));
        struct pollfd cp = {fd, POLLIN, 0};
        SHOW("child: poll", poll(&cp, 1, 0));
        raise(SIGUSR1);
        show_rec("child: read own", fd);
        YESNO("child: ssi_pid is the child", si.ssi_pid == (uint32_t)getpid());
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    sigset_t u2 = set_of(SIGUSR2, 0);
    SHOW("signalfd update (USR2)", signalfd(fd, &u2, 0) == fd);
    show_rec("parent: read own", fd);
    YESNO("parent: ssi_pid is mine", si.ssi_pid == (uint32_t)getpid());
    SHOW("signalfd update (all)", signalfd(fd, &all, 0) == fd);
    show_rec("parent: the child's SIGCHLD", fd);
    return 0;
}
