// POSIX message queues: mq_open (O_CREAT, O_EXCL, attributes, names, modes), priorities
// and order, O_NONBLOCK, timeouts, waits for another process, mq_notify (SIGEV_SIGNAL,
// EBUSY; SIGEV_THREAD and its netlink protocol), mq_getsetattr, the queue's fd (poll, read), a mounted mqueue, and errno cases.
// Natively the probe first enters an IPC and a mount namespace of its own (as root).
// covers: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int got_sig, got_code, got_value;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int thread_value;

static void on_thread(union sigval v) {
    pthread_mutex_lock(&lock);
    thread_value = v.sival_int;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void recv_one(const char *what, mqd_t q, int flags) {
    char buf[64];
    unsigned prio = 99;
    (void)flags;
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    if (n < 0)
        printf("%s: -1 %s\n", what, probe_errname(errno));
    else
        printf("%s: %zd prio %u \"%.*s\"\n", what, n, prio, (int)n, buf);
}

int main(void) {
    unshare(CLONE_NEWIPC | CLONE_NEWNS);
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    struct mq_attr attr = {.mq_maxmsg = 3, .mq_msgsize = 64};
    mqd_t q = mq_open("/probe", O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    YESNO("mq_open(O_CREAT|O_EXCL)", q >= 0);
    SHOW("mq_open(again, O_CREAT|O_EXCL)", mq_open("/probe", O_RDWR | O_CREAT | O_EXCL, 0600, &attr));
    SHOW("mq_open(missing)", mq_open("/nope", O_RDWR));
    SHOW("mq_open(a name with a slash)", syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL));
    struct mq_attr big = {.mq_maxmsg = 100000, .mq_msgsize = 64};
    SHOW("mq_open(maxmsg past HARD_MSGMAX)", mq_open("/big", O_RDWR | O_CREAT, 0600, &big));
    struct mq_attr zero = {.mq_maxmsg = 0, .mq_msgsize = 64};
    SHOW("mq_open(maxmsg 0)", mq_open("/zero", O_RDWR | O_CREAT, 0600, &zero));
    SHOW("mq_open(O_WRONLY|O_RDWR)", syscall(SYS_mq_open, "probe", O_WRONLY | O_RDWR, 0, NULL));

    struct mq_attr got;
    SHOW("mq_getattr", mq_getattr(q, &got));
    printf("attr: maxmsg %ld msgsize %ld curmsgs %ld flags %lx\n", got.mq_maxmsg, got.mq_msgsize,
           got.mq_curmsgs, got.mq_flags);
    SHOW("mq_send(prio 1)", mq_send(q, "low", 3, 1));
    SHOW("mq_send(prio 5)", mq_send(q, "high", 4, 5));
    SHOW("mq_send(prio 1 again)", mq_send(q, "low2", 4, 1));
    SHOW("mq_send(prio 32768)", mq_send(q, "x", 1, 32768));
    char longmsg[100] = {0};
    SHOW("mq_send(longer than msgsize)", mq_send(q, longmsg, 65, 0));
    struct pollfd pfd = {.fd = q, .events = POLLIN | POLLOUT};
    poll(&pfd, 1, 0);
    printf("poll of a full queue: %s%s\n", pfd.revents & POLLIN ? "IN" : "", pfd.revents & POLLOUT ? " OUT" : "");
    char line[128] = {0};
    lseek(q, 0, SEEK_SET);
    ssize_t n = read(q, line, sizeof line - 1);
    printf("read of the queue's fd: %zd \"%s\"\n", n, line);
    struct timespec past = {0, 0};
    SHOW("mq_timedsend(full, a past timeout)", mq_timedsend(q, "x", 1, 0, &past));
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    SHOW("mq_setattr(O_NONBLOCK)", mq_setattr(q, &nb, NULL));
    SHOW("mq_send(full, O_NONBLOCK)", mq_send(q, "x", 1, 0));
    recv_one("mq_receive", q, 0);
    recv_one("mq_receive", q, 0);
    recv_one("mq_receive", q, 0);
    recv_one("mq_receive(empty, O_NONBLOCK)", q, 0);
    char small[8];
    SHOW("mq_receive(a buffer under msgsize)", mq_receive(q, small, sizeof small, NULL));
    nb.mq_flags = 0;
    mq_setattr(q, &nb, NULL);
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 100000000;
    if (soon.tv_nsec >= 1000000000) { soon.tv_sec++; soon.tv_nsec -= 1000000000; }
    char buf[64];
    SHOW("mq_timedreceive(times out)", mq_timedreceive(q, buf, sizeof buf, NULL, &soon));
    struct timespec bad = {0, 2000000000};
    SHOW("mq_timedreceive(bad timeout)", mq_timedreceive(q, buf, sizeof buf, NULL, &bad));

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(200000);
        mqd_t c = mq_open("/probe", O_WRONLY);
        mq_send(c, "from the child", 14, 3);
        _exit(0);
    }
    recv_one("mq_receive(waits for another process)", q, 0);
    waitpid(child, NULL, 0);

    struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
                           .sigev_value.sival_int = 42};
    SHOW("mq_notify(SIGEV_SIGNAL)", mq_notify(q, &sev));
    n = read(q, line, sizeof line - 1);
    lseek(q, 0, SEEK_SET);
    n = read(q, line, sizeof line - 1);
    char pid_field[32];
    snprintf(pid_field, sizeof pid_field, "NOTIFY_PID:%-6d", getpid());
    printf("read after mq_notify: %zd \"%.*s\", NOTIFY_PID is this process: %s\n", n, 36,
           line, strstr(line, pid_field) ? "yes" : "no");
    fflush(stdout);
    child = fork();
    if (child == 0) {
        SHOW("child: mq_notify while the parent is registered", mq_notify(q, &sev));
        mqd_t c = mq_open("/probe", O_WRONLY);
        mq_send(c, "wake", 4, 0);
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    for (int i = 0; i < 100 && !got_sig; i++)
        usleep(10000);
    printf("notification: signal %d code %s value %d\n", got_sig, got_code == SI_MESGQ ? "SI_MESGQ" : "?", got_value);
    recv_one("mq_receive", q, 0);
    struct sigevent thread = {.sigev_notify = SIGEV_NONE};
    SHOW("mq_notify(SIGEV_NONE)", mq_notify(q, &thread));
    SHOW("mq_notify(NULL)", mq_notify(q, NULL));
    SHOW("mq_notify(bad fd)", mq_notify(99, NULL));
    SHOW("mq_send(not a queue)", mq_send(1, "x", 1, 0));

    /* SIGEV_THREAD: glibc's helper thread runs the function... */
    struct sigevent th = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_thread,
                          .sigev_value.sival_int = 7};
    SHOW("mq_notify(SIGEV_THREAD)", mq_notify(q, &th));
    SHOW("mq_send", mq_send(q, "t", 1, 0));
    pthread_mutex_lock(&lock);
    while (!thread_value)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("SIGEV_THREAD function ran with %d\n", thread_value);
    recv_one("mq_receive", q, 0);
    /* ...on the kernel's netlink protocol: a cookie on the socket sigev_signo names. */
    int ns = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    char cookie[32], nlmsg[64];
    memset(cookie, 'c', sizeof cookie);
    struct {
        void *value;
        int signo, notify;
        int pad[12];
    } raw = {cookie, ns, SIGEV_THREAD, {0}};
    SHOW("raw SIGEV_THREAD", syscall(SYS_mq_notify, q, &raw));
    mq_send(q, "u", 1, 0);
    struct sockaddr_nl from;
    socklen_t fl = sizeof from;
    n = recvfrom(ns, nlmsg, sizeof nlmsg, MSG_DONTWAIT, (void *)&from, &fl);
    printf("cookie: %zd bytes, first %c, last %d, from family %d port %u\n", n, nlmsg[0],
           nlmsg[31], from.nl_family, from.nl_pid);
    recv_one("mq_receive", q, 0);
    SHOW("raw SIGEV_THREAD again", syscall(SYS_mq_notify, q, &raw));
    SHOW("mq_notify(NULL)", mq_notify(q, NULL));
    n = recv(ns, nlmsg, sizeof nlmsg, MSG_DONTWAIT);
    printf("removed: %zd bytes, last %d\n", n, n > 0 ? nlmsg[31] : -1);
    SHOW("raw SIGEV_THREAD, then another fd closed", syscall(SYS_mq_notify, q, &raw));
    close(mq_open("/probe", O_RDONLY));
    n = recv(ns, nlmsg, sizeof nlmsg, MSG_DONTWAIT);
    printf("removed: %zd bytes, last %d\n", n, n > 0 ? nlmsg[31] : -1);
    raw.signo = 1;
    SHOW("SIGEV_THREAD, not a socket", syscall(SYS_mq_notify, q, &raw));
    raw.signo = 99;
    SHOW("SIGEV_THREAD, bad fd", syscall(SYS_mq_notify, q, &raw));
    raw.signo = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("SIGEV_THREAD, a unix socket", syscall(SYS_mq_notify, q, &raw));
    raw.signo = ns;
    raw.value = (void *)8;
    SHOW("SIGEV_THREAD, bad cookie", syscall(SYS_mq_notify, q, &raw));

    mkdir("/tmp/mq-probe-mnt", 0755);
    SHOW("mount(mqueue)", mount("mqueue", "/tmp/mq-probe-mnt", "mqueue", 0, NULL));
    struct stat st;
    SHOW("stat(the queue's file)", stat("/tmp/mq-probe-mnt/probe", &st));
    printf("its mode: %o\n", st.st_mode);
    SHOW("unlink(the queue's file)", unlink("/tmp/mq-probe-mnt/probe"));
    SHOW("mq_unlink after unlink", mq_unlink("/probe"));
    umount("/tmp/mq-probe-mnt");
    rmdir("/tmp/mq-probe-mnt");
    SHOW("mq_send on an unlinked queue", mq_send(q, "still", 5, 0));
    recv_one("mq_receive on it", q, 0);
    mq_close(q);
    return 0;
}
