// Readiness: poll, ppoll, select, pselect on pipes and eventfds (timeouts, wake-ups by a
// child, POLLHUP/POLLERR/POLLNVAL, written-back timeouts), and eventfd counting.
// covers: poll, ppoll, pselect6, eventfd2
// area: I/O and readiness
// usage: poll SCRATCH   (a FIFO is made there)
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reap(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child: exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));
}

/* Forks a child that sleeps `ms` then writes one byte to fd. */
static pid_t write_later(int fd, int ms) {
    pid_t pid = fork();
    if (pid == 0) {
        msleep(ms);
        _exit(write(fd, "z", 1) == 1 ? 0 : 1);
    }
    return pid;
}

static void show_poll(const char *what, struct pollfd *pfd, int n, long r) {
    printf("%s: %ld", what, r);
    if (r < 0)
        printf(" %s", probe_errname(errno));
    for (int i = 0; i < n; i++)
        printf(" [%d]=%#x", i, pfd[i].revents);
    printf("\n");
}

static void polls(void) {
    int p[2];
    char c;
    pipe(p);
    struct pollfd pfd[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    show_poll("poll empty, timeout 0", pfd, 2, poll(pfd, 2, 0));
    pfd[1].fd = -1;
    show_poll("read end only, timeout 0", pfd, 2, poll(pfd, 2, 0));
    long t0 = now_ms();
    long r = poll(pfd, 1, 50);
    long dt = now_ms() - t0;
    show_poll("timeout 50", pfd, 1, r);
    YESNO("waited 50..1000 ms", dt >= 50 && dt < 1000);
    write(p[1], "a", 1);
    show_poll("after a write", pfd, 1, poll(pfd, 1, -1));
    read(p[0], &c, 1);

    t0 = now_ms();
    pid_t pid = write_later(p[1], 30);
    r = poll(pfd, 1, -1);
    dt = now_ms() - t0;
    show_poll("blocking poll, child writes", pfd, 1, r);
    YESNO("woke after the write", dt >= 20);
    reap(pid);
    read(p[0], &c, 1);

    pid = write_later(p[1], 30);
    r = poll(pfd, 1, 5000);
    show_poll("poll 5000, child writes at 30", pfd, 1, r);
    reap(pid);
    read(p[0], &c, 1);

    struct pollfd all[2] = {{p[0], POLLIN | POLLOUT, 0}, {p[1], POLLIN | POLLOUT, 0}};
    write(p[1], "b", 1);
    show_poll("both ends, IN|OUT", all, 2, poll(all, 2, 0));
    close(p[1]);
    show_poll("writer closed, data left", all, 1, poll(all, 1, 0));
    read(p[0], &c, 1);
    show_poll("writer closed, empty", all, 1, poll(all, 1, 0));
    all[0].events = 0;
    show_poll("events 0 still get POLLHUP", all, 1, poll(all, 1, 0));
    close(p[0]);

    pipe(p);
    close(p[0]);
    all[0] = (struct pollfd){p[1], POLLOUT, 0};
    show_poll("reader closed", all, 1, poll(all, 1, 0));
    close(p[1]);
    show_poll("closed fd", all, 1, poll(all, 1, 0));
    errno = 0;
    SHOW("poll NULL, 0 fds, 20 ms", poll(NULL, 0, 20));
    struct pollfd *volatile bad = (struct pollfd *)8;
    SHOW("poll bad address", poll(bad, 1, 0));
    SHOW("poll too many fds", syscall(SYS_poll, all, 1 << 20, 0));
}

static void ppolls(void) {
    int p[2];
    pipe(p);
    struct pollfd pfd = {p[0], POLLIN, 0};
    struct timespec ts = {0, 30 * 1000000};
    SHOW("ppoll 30 ms", ppoll(&pfd, 1, &ts, NULL));
    printf("timespec left: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    struct timespec zero = {0, 0};
    write(p[1], "x", 1);
    SHOW("ppoll ready", ppoll(&pfd, 1, &zero, NULL));
    struct timespec bad = {0, 1000000000};
    SHOW("ppoll bad timespec", ppoll(&pfd, 1, &bad, NULL));
    sigset_t set;
    sigemptyset(&set);
    SHOW("ppoll sigmask", ppoll(&pfd, 1, &zero, &set));
    SHOW("ppoll raw, bad sigsetsize", syscall(SYS_ppoll, &pfd, 1, &zero, &set, 4));
    close(p[0]);
    close(p[1]);
}

static void show_sets(const char *what, long r, int n, fd_set *rd, fd_set *wr) {
    printf("%s: %ld", what, r);
    if (r < 0)
        printf(" %s", probe_errname(errno));
    printf(" readable:");
    for (int fd = 0; fd < n; fd++)
        if (rd && FD_ISSET(fd, rd))
            printf(" %d", fd);
    printf(" writable:");
    for (int fd = 0; fd < n; fd++)
        if (wr && FD_ISSET(fd, wr))
            printf(" %d", fd);
    printf("\n");
}

static void selects(void) {
    int a[2], b[2];
    pipe(a);
    pipe(b);
    int n = (a[1] > b[1] ? a[1] : b[1]) + 1;
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_SET(a[0], &rd);
    FD_SET(b[0], &rd);
    struct timeval tv = {0, 0};
    show_sets("select empty, timeout 0", select(n, &rd, NULL, NULL, &tv), n, &rd, NULL);
    FD_SET(a[0], &rd);
    FD_SET(b[0], &rd);
    tv = (struct timeval){0, 50000};
    long t0 = now_ms();
    long r = select(n, &rd, NULL, NULL, &tv);
    long dt = now_ms() - t0;
    show_sets("select 50 ms", r, n, &rd, NULL);
    YESNO("waited 50..1000 ms", dt >= 50 && dt < 1000);
    printf("timeval left: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);

    pid_t pid = write_later(b[1], 30);
    FD_SET(a[0], &rd);
    FD_SET(b[0], &rd);
    r = select(n, &rd, NULL, NULL, NULL);
    printf("second pipe readable: %s, first: %s\n", FD_ISSET(b[0], &rd) ? "yes" : "no",
           FD_ISSET(a[0], &rd) ? "yes" : "no");
    printf("select -> %ld\n", r);
    reap(pid);

    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(a[0], &rd);
    FD_SET(b[0], &rd);
    FD_SET(a[1], &wr);
    FD_SET(b[1], &wr);
    show_sets("select rd+wr", select(n, &rd, &wr, NULL, NULL), n, &rd, &wr);
    close(a[1]);
    FD_ZERO(&rd);
    FD_SET(a[0], &rd);
    tv = (struct timeval){1, 0};
    show_sets("writer closed: readable (EOF)", select(n, &rd, NULL, NULL, &tv), n, &rd, NULL);
    FD_ZERO(&rd);
    FD_SET(a[1], &rd);
    show_sets("closed fd", select(n, &rd, NULL, NULL, &tv), n, &rd, NULL);
    tv = (struct timeval){0, -1};
    SHOW("negative timeval", select(0, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, 1500000};  // usec past a second is accepted
    FD_ZERO(&rd);
    FD_SET(b[0], &rd);
    SHOW("usec 1500000", select(n, &rd, NULL, NULL, &tv));
    SHOW("select nfds -1", select(-1, NULL, NULL, NULL, NULL));
    tv = (struct timeval){0, 20000};
    SHOW("select as a 20 ms sleep", select(0, NULL, NULL, NULL, &tv));
    printf("timeval left: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);

    struct timespec ts = {0, 20 * 1000000};
    FD_ZERO(&rd);
    FD_SET(a[0], &rd);
    show_sets("pselect", pselect(n, &rd, NULL, NULL, &ts, NULL), n, &rd, NULL);
    close(a[0]);
    close(b[0]);
    close(b[1]);
}

static void eventfds(void) {
    uint64_t v = 0;
    int e = SHOW("eventfd 0", eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    printf("F_GETFL: 0%o, FD_CLOEXEC: %d\n", fcntl(e, F_GETFL), fcntl(e, F_GETFD));
    SHOW("read empty", read(e, &v, 8));
    struct pollfd pfd = {e, POLLIN | POLLOUT, 0};
    show_poll("poll empty", &pfd, 1, poll(&pfd, 1, 0));
    v = 3;
    SHOW("write 3", write(e, &v, 8));
    v = 4;
    SHOW("write 4", write(e, &v, 8));
    show_poll("poll 7", &pfd, 1, poll(&pfd, 1, 0));
    SHOW("read short buffer", read(e, &v, 4));
    char big[16];
    SHOW("write 16 bytes", write(e, big, 16));
    SHOW("read", read(e, &v, 8));
    printf("value: %llu\n", (unsigned long long)v);
    v = ~0ull;
    SHOW("write 2^64-1", write(e, &v, 8));
    v = ~0ull - 1;
    SHOW("write 2^64-2", write(e, &v, 8));
    show_poll("poll at max", &pfd, 1, poll(&pfd, 1, 0));
    v = 1;
    SHOW("write 1 more", write(e, &v, 8));
    SHOW("read 16-byte buffer", read(e, big, 16));
    close(e);

    int s = SHOW("eventfd semaphore 2", eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
    for (int i = 0; i < 3; i++) {
        v = 0;
        long r = SHOW("semaphore read", read(s, &v, 8));
        if (r > 0)
            printf("value: %llu\n", (unsigned long long)v);
    }
    close(s);
    SHOW("eventfd2 bad flags", syscall(SYS_eventfd2, 0, O_APPEND));

    int b = eventfd(0, 0);  // blocking, shared with a child that posts after 30 ms
    pid_t pid = fork();
    if (pid == 0) {
        msleep(30);
        uint64_t one = 5;
        _exit(write(b, &one, 8) == 8 ? 0 : 1);
    }
    SHOW("blocking read", read(b, &v, 8));
    printf("value: %llu\n", (unsigned long long)v);
    reap(pid);
    close(b);
}

/* A FIFO reader opened before any writer sees no POLLHUP until a writer came and went. */
static void fifo_poll(const char *path) {
    char c;
    SHOW("mkfifo", mkfifo(path, 0600));
    int r = open(path, O_RDONLY | O_NONBLOCK);
    struct pollfd pfd = {r, POLLIN, 0};
    show_poll("fifo, no writer yet", &pfd, 1, poll(&pfd, 1, 0));
    int w = open(path, O_WRONLY | O_NONBLOCK);
    show_poll("fifo, writer open", &pfd, 1, poll(&pfd, 1, 0));
    write(w, "x", 1);
    show_poll("fifo, data", &pfd, 1, poll(&pfd, 1, 0));
    close(w);
    show_poll("fifo, writer gone", &pfd, 1, poll(&pfd, 1, 0));
    read(r, &c, 1);
    show_poll("fifo, drained", &pfd, 1, poll(&pfd, 1, 0));
    int r2 = open(path, O_RDONLY | O_NONBLOCK);
    struct pollfd pfd2 = {r2, POLLIN, 0};
    show_poll("fifo, second reader after the writer left", &pfd2, 1, poll(&pfd2, 1, 0));
    int w2 = open(path, O_WRONLY);  // a reader exists: no waiting
    int r3 = open(path, O_RDONLY);  // a writer exists: no waiting
    close(w2);
    struct pollfd pfd3 = {r3, POLLIN, 0};
    show_poll("fifo, blocking-mode reader, writer gone", &pfd3, 1, poll(&pfd3, 1, 0));
    close(r3);
    close(r2);
    close(r);
    unlink(path);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1)
        fifo_poll(argv[1]);
    polls();
    ppolls();
    selects();
    eventfds();
    return 0;
}
