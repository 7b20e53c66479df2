// rt_sigqueueinfo / rt_tgsigqueueinfo (si_code rules), sigtimedwait, sigsuspend with a
// signal another process sends, pidfd_open / pidfd_send_signal / waitid(P_PIDFD) / poll.
// covers: rt_sigqueueinfo, rt_tgsigqueueinfo, rt_sigtimedwait, rt_sigsuspend, pidfd_open, pidfd_send_signal, waitid, pselect6
// area: signals and time
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile sig_atomic_t got_code, got_value, got_usr2;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

static void on_usr2(int sig) { got_usr2++; }
static void on_chld(int sig) {}

static long queueinfo(pid_t pid, int sig, int code, int value) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    si.si_value.sival_int = value;
    si.si_pid = getpid();
    return syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static int poll_in(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 0);
    return r < 0 ? -1 : p.revents;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);  // children print too
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, on_usr2);

    SHOW("rt_sigqueueinfo self SI_QUEUE", queueinfo(getpid(), SIGUSR1, SI_QUEUE, 7));
    printf("handler: code %d value %d\n", got_code, got_value);
    SHOW("rt_sigqueueinfo self SI_USER", queueinfo(getpid(), SIGUSR1, SI_USER, 8));
    printf("handler: code %d value %d\n", got_code, got_value);
    SHOW("rt_sigqueueinfo bad info", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (void *)8));
    SHOW("rt_sigqueueinfo no such pid", queueinfo(0x3ffffff0, SIGUSR1, SI_QUEUE, 0));
    SHOW("rt_sigqueueinfo pid 0", queueinfo(0, SIGUSR1, SI_QUEUE, 0));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    SHOW("rt_tgsigqueueinfo own thread", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(),
                                                 SIGUSR1, &si));
    printf("handler: code %d\n", got_code);
    SHOW("rt_tgsigqueueinfo tgid 0", syscall(SYS_rt_tgsigqueueinfo, 0, gettid(), SIGUSR1, &si));
    SHOW("rt_tgsigqueueinfo no tid", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff0,
                                             SIGUSR1, &si));

    // sigtimedwait: a blocked signal queued by rt_sigqueueinfo is taken, not delivered.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec ts = {0, 1000000};
    SHOW("sigtimedwait empty", sigtimedwait(&set, &si, &ts));
    queueinfo(getpid(), SIGUSR1, SI_QUEUE, 9);
    memset(&si, 0, sizeof si);
    SHOW("sigtimedwait", sigtimedwait(&set, &si, &ts));
    printf("si_code %d value %d\n", si.si_code, si.si_value.sival_int);

    // A child queues to its parent (SI_QUEUE ok, SI_USER / SI_TKILL / kernel codes EPERM).
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        SHOW("child: SI_USER to parent", queueinfo(parent, SIGUSR1, SI_USER, 1));
        SHOW("child: SI_TKILL to parent", queueinfo(parent, SIGUSR1, SI_TKILL, 1));
        SHOW("child: kernel code to parent", queueinfo(parent, SIGUSR1, 1, 1));
        SHOW("child: bad signal to parent", queueinfo(parent, 99, SI_QUEUE, 1));
        SHOW("child: SI_QUEUE to parent", queueinfo(parent, SIGUSR1, SI_QUEUE, 42));
        fflush(stdout);
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    int w = sigwaitinfo(&set, &si);
    waitpid(c, NULL, 0);  // its lines first
    printf("sigwaitinfo: %d\n", w);
    printf("si_code %d value %d pid_ok %d\n", si.si_code, si.si_value.sival_int, si.si_pid == c);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    // sigsuspend until another process signals us.
    sigset_t none, usr2;
    sigemptyset(&none);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    c = fork();
    if (c == 0) {
        kill(parent, SIGUSR2);
        _exit(0);
    }
    SHOW("sigsuspend", sigsuspend(&none));
    printf("usr2 handled: %d\n", got_usr2);
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);
    waitpid(c, NULL, 0);

    // pidfds.
    int fds[2];
    if (pipe(fds)) return 1;
    c = fork();
    if (c == 0) {
        char b;
        close(fds[1]);
        while (read(fds[0], &b, 1) < 0 && errno == EINTR) {
        }
        _exit(got_usr2 ? 5 : 6);
    }
    close(fds[0]);
    SHOW("pidfd_open bad flags", syscall(SYS_pidfd_open, c, 1));
    SHOW("pidfd_open -1", syscall(SYS_pidfd_open, -1, 0));
    SHOW("pidfd_open no such pid", syscall(SYS_pidfd_open, 0x3ffffff0, 0));
    int pfd = syscall(SYS_pidfd_open, c, 0);
    OK("pidfd_open", pfd);
    YESNO("cloexec", fcntl(pfd, F_GETFD) & FD_CLOEXEC);
    printf("poll while running: %#x\n", poll_in(pfd));
    char b;
    SHOW("read pidfd", read(pfd, &b, 1));
    SHOW("pidfd_send_signal bad flags", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, NULL, 8));
    SHOW("pidfd_send_signal not a pidfd", syscall(SYS_pidfd_send_signal, fds[1], SIGUSR2,
                                                  NULL, 0));
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    SHOW("pidfd_send_signal signo mismatch", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 0));
    si.si_code = SI_USER;
    si.si_signo = SIGUSR2;
    SHOW("pidfd_send_signal SI_USER info", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 0));
    SHOW("pidfd_send_signal", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, NULL, 0));
    usleep(100000);
    close(fds[1]);
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    SHOW("poll until exit", poll(&p, 1, 10000));
    printf("revents %#x\n", p.revents);
    SHOW("waitid P_PIDFD bad fd", waitid(P_PIDFD, 0x3ff, &si, WEXITED));
    SHOW("waitid P_PIDFD not a pidfd", waitid(P_PIDFD, 1, &si, WEXITED));
    memset(&si, 0, sizeof si);
    SHOW("waitid P_PIDFD", waitid(P_PIDFD, pfd, &si, WEXITED));
    printf("si_code %d si_status %d pid_ok %d\n", si.si_code, si.si_status, si.si_pid == c);
    printf("poll after reaping: %#x\n", poll_in(pfd));
    SHOW("pidfd_send_signal after exit", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, NULL, 0));
    SHOW("waitid P_PIDFD again", waitid(P_PIDFD, pfd, &si, WEXITED));
    // pselect whose mask alone unblocks SIGCHLD (GNU make's wait): a child's exit ends it.
    // (Whether the handler ran is not printed: see sys_poll.with_sigmask.)
    sigset_t chld, empty;
    sigemptyset(&chld);
    sigemptyset(&empty);
    sigaddset(&chld, SIGCHLD);
    signal(SIGCHLD, on_chld);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    if ((c = fork()) == 0) _exit(0);
    SHOW("pselect until SIGCHLD", pselect(0, NULL, NULL, NULL, NULL, &empty));
    waitpid(c, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    signal(SIGCHLD, SIG_DFL);

    int self = syscall(SYS_pidfd_open, getpid(), 0);
    got_usr2 = 0;
    SHOW("pidfd_send_signal self", syscall(SYS_pidfd_send_signal, self, SIGUSR2, NULL, 0));
    printf("usr2 handled before return: %d\n", got_usr2);
    return 0;
}
