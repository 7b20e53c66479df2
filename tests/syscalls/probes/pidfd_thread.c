// PIDFD_THREAD (Linux 6.9): a pidfd naming one thread; pidfd_send_signal's scopes
// (PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP) and its si_code; poll of a thread
// pidfd at that thread's exit; waitid(P_PIDFD) with one.
// covers: pidfd_open, pidfd_send_signal, waitid, poll
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_THREAD_GROUP 2
#define PIDFD_SIGNAL_PROCESS_GROUP 4
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile pid_t thread_tid, main_tid, got_tid;
static volatile sig_atomic_t got_code, got_sig, stop;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    got_code = si->si_code;
    got_tid = gettid();
    got_sig = sig;  // last: main may be watching from another thread
}

static void *thread_main(void *arg) {
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);  // process-directed SIGUSR2 goes to main
    thread_tid = gettid();
    while (!stop)
        usleep(1000);
    return NULL;
}

static const char *who(pid_t tid) {
    return tid == main_tid ? "main" : tid == thread_tid ? "thread" : tid ? "other" : "none";
}

static long send(int fd, int sig, siginfo_t *info, unsigned flags) {
    got_sig = got_code = 0;
    got_tid = 0;
    return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

// Waits for the handler (a signal to another thread arrives asynchronously).
static void show_got(const char *what, long r) {
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    while (!got_sig)
        usleep(1000);
    printf("%s: sig %d code %d in %s\n", what, got_sig, got_code, who(got_tid));
}

static int revents_within(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) < 0 ? -1 : p.revents;
}

static int revents(int fd) { return revents_within(fd, 0); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    setpgid(0, 0);
    main_tid = gettid();
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    while (!thread_tid)
        usleep(1000);

    SHOW("pidfd_open thread, no flag", syscall(SYS_pidfd_open, thread_tid, 0));
    int tfd = syscall(SYS_pidfd_open, thread_tid, PIDFD_THREAD);
    YESNO("pidfd_open thread PIDFD_THREAD", tfd >= 0);
    int mfd = syscall(SYS_pidfd_open, getpid(), PIDFD_THREAD);
    YESNO("pidfd_open leader PIDFD_THREAD", mfd >= 0);
    int pfd = syscall(SYS_pidfd_open, getpid(), 0);
    SHOW("pidfd_open bad flag", syscall(SYS_pidfd_open, getpid(), 1));
    SHOW("pidfd_open nonblock|thread", close(syscall(SYS_pidfd_open, thread_tid,
                                                    PIDFD_THREAD | O_NONBLOCK)));

    show_got("thread fd", send(tfd, SIGUSR1, NULL, 0));
    show_got("thread fd, SIGNAL_THREAD", send(tfd, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD));
    show_got("thread fd, SIGNAL_THREAD_GROUP", send(tfd, SIGUSR2, NULL,
                                                    PIDFD_SIGNAL_THREAD_GROUP));
    show_got("process fd, SIGNAL_THREAD", send(pfd, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD));
    show_got("process fd", send(pfd, SIGUSR2, NULL, 0));
    show_got("process fd, SIGNAL_PROCESS_GROUP", send(pfd, SIGUSR2, NULL,
                                                      PIDFD_SIGNAL_PROCESS_GROUP));
    show_got("leader thread fd", send(mfd, SIGUSR1, NULL, 0));
    SHOW("two scopes", send(pfd, SIGUSR1, NULL, PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP));
    SHOW("unknown flag", send(pfd, SIGUSR1, NULL, 8));

    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    show_got("thread fd, SI_QUEUE info", send(tfd, SIGUSR1, &si, 0));
    si.si_code = SI_USER;
    show_got("thread fd, SI_USER info", send(tfd, SIGUSR1, &si, 0));
    show_got("own thread fd, SI_USER info", send(mfd, SIGUSR1, &si, 0));
    show_got("process fd, SI_USER info, SIGNAL_THREAD", send(pfd, SIGUSR1, &si,
                                                             PIDFD_SIGNAL_THREAD));

    // poll: a thread pidfd is readable once that thread has exited.
    printf("poll thread fd, running: %#x\n", revents(tfd));
    stop = 1;
    pthread_join(th, NULL);
    // POLLIN once it has exited; POLLHUP follows once it is released, which natively may
    // come a moment later: only POLLIN is shown.
    printf("poll thread fd, exited: %#x\n", revents_within(tfd, 60000) & POLLIN);
    printf("poll leader thread fd: %#x\n", revents(mfd));
    printf("poll process fd: %#x\n", revents(pfd));
    SHOW("send to exited thread", send(tfd, SIGUSR1, NULL, 0));
    SHOW("pidfd_open exited thread", syscall(SYS_pidfd_open, thread_tid, PIDFD_THREAD));
    SHOW("waitid own thread fd", waitid(P_PIDFD, tfd, &si, WEXITED | WNOHANG));

    // A child's thread pidfd: waitid(P_PIDFD) reaps it as with a process pidfd.
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int cfd = syscall(SYS_pidfd_open, child, PIDFD_THREAD);
    YESNO("pidfd_open child PIDFD_THREAD", cfd >= 0);
    SHOW("waitid child thread fd, running", waitid(P_PIDFD, cfd, &si, WEXITED | WNOHANG));
    int nfd = syscall(SYS_pidfd_open, child, PIDFD_THREAD | O_NONBLOCK);
    SHOW("waitid nonblocking fd, running", waitid(P_PIDFD, nfd, &si, WEXITED));
    SHOW("waitid nonblocking fd, WNOHANG", waitid(P_PIDFD, nfd, &si, WEXITED | WNOHANG));
    SHOW("send SIGKILL", send(cfd, SIGKILL, NULL, 0));
    memset(&si, 0, sizeof si);
    SHOW("waitid child thread fd", waitid(P_PIDFD, cfd, &si, WEXITED));
    printf("  si_code %d status %d pid %s\n", si.si_code, si.si_status,
           si.si_pid == child ? "child" : "other");
    printf("poll child thread fd, reaped: %#x\n", revents(cfd));
    return 0;
}
