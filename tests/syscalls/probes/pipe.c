// Pipes and FIFOs: capacity, atomicity, EOF, EPIPE + SIGPIPE, O_NONBLOCK, O_DIRECT packets,
// F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD, fstat, fork sharing, FIFO open rendezvous.
// covers: pipe, pipe2, read, write, readv, writev, fcntl, ioctl, mknodat, lseek, wait4
// area: I/O and readiness
// usage: pipe SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void reap(const char *what, pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    printf("%s: exited=%d code=%d\n", what, WIFEXITED(status), WEXITSTATUS(status));
}

/* Fills a non-blocking pipe with `chunk`-byte writes; returns the bytes that went in. */
static long fill(int fd, size_t chunk) {
    static char buf[65536];
    long total = 0, r;
    while ((r = write(fd, buf, chunk)) > 0)
        total += r;
    printf("fill %zu: stops with %s\n", chunk, probe_errname(errno));
    return total;
}

static void drain(int fd) {
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void basics(void) {
    int p[2];
    char buf[64];
    SHOW("pipe", pipe(p));
    struct stat a, b;
    fstat(p[0], &a);
    fstat(p[1], &b);
    YESNO("fstat S_ISFIFO", S_ISFIFO(a.st_mode));
    printf("fstat perm=0%o nlink=%lu size=%lld\n", a.st_mode & 07777,
           (unsigned long)a.st_nlink, (long long)a.st_size);
    YESNO("both ends share st_ino", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    char link[64], want[64];
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)a.st_ino);
    snprintf(buf, sizeof buf, "/proc/self/fd/%d", p[0]);
    long n = readlink(buf, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    YESNO("/proc/self/fd link is pipe:[ino]", strcmp(link, want) == 0);
    printf("F_GETFL read end: 0%o, write end: 0%o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
    SHOW("write 5", write(p[1], "hello", 5));
    int avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    printf("FIONREAD: %d\n", avail);
    SHOW("read 3", read(p[0], buf, 3));
    SHOW("read rest", read(p[0], buf, sizeof buf));
    SHOW("write on read end", write(p[0], "x", 1));
    SHOW("read on write end", read(p[1], buf, 1));
    SHOW("lseek", lseek(p[0], 0, SEEK_SET));
    SHOW("pread", pread(p[0], buf, 1, 0));
    SHOW("write 0 bytes", write(p[1], "", 0));
    struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
    SHOW("writev", writev(p[1], iov, 2));
    char x[2], y[8];
    struct iovec rv[2] = {{x, 2}, {y, 8}};
    SHOW("readv", readv(p[0], rv, 2));
    close(p[0]);
    close(p[1]);
}

static void capacity(void) {
    int p[2];
    SHOW("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
    SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    printf("bytes in: %ld\n", fill(p[1], 1));
    drain(p[0]);
    printf("bytes in: %ld\n", fill(p[1], 4096));
    drain(p[0]);
    printf("bytes in: %ld\n", fill(p[1], 3000));  // one page per write: 16 * 3000
    drain(p[0]);
    printf("bytes in: %ld\n", fill(p[1], 10000)); // partial writes until full
    drain(p[0]);
    /* Atomic: a write of <= PIPE_BUF bytes goes in whole or not at all. */
    static char big[8192];
    fill(p[1], 4096);
    char one[1];
    SHOW("read 1 of a full pipe", read(p[0], one, 1));
    SHOW("write 4096 (no free page)", write(p[1], big, 4096));
    SHOW("write 1 (the last page is full)", write(p[1], big, 1));
    drain(p[0]);
    fill(p[1], 4000);
    SHOW("read 1", read(p[0], one, 1));
    SHOW("write 96 (fits in the last page)", write(p[1], big, 96));
    SHOW("write 1 (no room left)", write(p[1], big, 1));
    drain(p[0]);
    SHOW("F_SETPIPE_SZ 0", fcntl(p[0], F_SETPIPE_SZ, 0));
    SHOW("F_SETPIPE_SZ 5000", fcntl(p[1], F_SETPIPE_SZ, 5000));
    SHOW("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
    printf("bytes in: %ld\n", fill(p[1], 1000));
    SHOW("F_SETPIPE_SZ 4096 with 2 pages used", fcntl(p[1], F_SETPIPE_SZ, 4096));
    SHOW("F_SETPIPE_SZ 1M", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
    SHOW("F_SETPIPE_SZ 2M", fcntl(p[1], F_SETPIPE_SZ, 2 << 20));
    SHOW("F_SETPIPE_SZ 2G+1", fcntl(p[1], F_SETPIPE_SZ, (1u << 31) + 1));
    close(p[0]);
    close(p[1]);
}

static void flags(void) {
    int p[2];
    SHOW("pipe2 bad flag", pipe2(p, O_APPEND));
    SHOW("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
    printf("FD_CLOEXEC: %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
    close(p[0]);
    close(p[1]);
    SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT | O_NONBLOCK));
    printf("F_GETFL read end: 0%o, write end: 0%o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
    char buf[64] = {0};
    write(p[1], "hello", 5);
    write(p[1], "world", 5);
    SHOW("packet read 3 (drops the rest)", read(p[0], buf, 3));
    SHOW("packet read", read(p[0], buf, sizeof buf));
    printf("data: %.5s\n", buf);
    SHOW("empty", read(p[0], buf, sizeof buf));
    char *volatile bad = (char *)8;
    SHOW("write from a bad buffer", write(p[1], bad, 4));
    SHOW("pipe EFAULT", syscall(SYS_pipe, (void *)8));
    close(p[0]);
    close(p[1]);
}

static void eof_and_epipe(void) {
    int p[2];
    char buf[64];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        msleep(30);
        write(p[1], "from child", 10);
        _exit(0);
    }
    close(p[1]);
    long total = 0, r;
    while ((r = read(p[0], buf, sizeof buf)) > 0)  // blocks until the child writes
        total += r;
    printf("read until EOF: %ld bytes, last %ld\n", total, r);
    reap("writer child", pid);
    close(p[0]);

    signal(SIGPIPE, on_sigpipe);
    pipe(p);
    close(p[0]);
    sigpipes = 0;
    SHOW("write without readers", write(p[1], "x", 1));
    printf("SIGPIPE handler ran before write returned: %d\n", (int)sigpipes);
    SHOW("again", write(p[1], "x", 1));
    printf("SIGPIPE count: %d\n", (int)sigpipes);
    signal(SIGPIPE, SIG_IGN);
    SHOW("ignored", write(p[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);

    /* A blocked writer gets EPIPE (after its partial count) when the reader goes away. */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        char b[1000];
        msleep(30);
        read(p[0], b, sizeof b);
        _exit(0);
    }
    close(p[0]);
    signal(SIGPIPE, on_sigpipe);
    sigpipes = 0;
    static char big[200000];
    errno = 0;
    long w = write(p[1], big, sizeof big);
    /* Linux returns the partial count; the sandbox's notify lane may say EPIPE (sys_read_write). */
    YESNO("blocked write ended by the reader's exit",
          (w > 0 && w < (long)sizeof big) || (w < 0 && errno == EPIPE));
    SHOW("next write", write(p[1], big, 10));
    printf("SIGPIPE count: %d\n", (int)sigpipes);
    reap("reader child", pid);
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);

    /* Default action: the writer dies of SIGPIPE inside write. */
    pipe(p);
    close(p[0]);
    pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(7);
    }
    close(p[1]);
    int status;
    waitpid(pid, &status, 0);
    printf("default SIGPIPE: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
}

static void big_transfer(void) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        char buf[1000];
        long total = 0, r;
        msleep(20);
        while ((r = read(p[0], buf, sizeof buf)) > 0)
            total += r;
        printf("child read %ld bytes\n", total);
        fflush(stdout);
        _exit(0);
    }
    close(p[0]);
    static char big[300000];
    SHOW("blocking write 300000", write(p[1], big, sizeof big));
    close(p[1]);
    reap("reading child", pid);
}

/* A blocking write that signals (SA_RESTART) interrupt: every byte arrives once, in order. */
static void interrupted_write(void) {
    static unsigned char buf[300000], in[300000];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + i / 251);
    int p[2];
    pipe(p);
    signal(SIGUSR1, on_sigpipe);
    pid_t reader = fork();
    if (reader == 0) {
        close(p[1]);
        long total = 0, r;
        msleep(100);
        while (total < (long)sizeof in && (r = read(p[0], in + total, 4096)) > 0) {
            total += r;
            usleep(200);
        }
        char extra;
        long more = read(p[0], &extra, 1);
        printf("reader: %ld bytes, intact=%d, then %ld\n", total,
               memcmp(in, buf, sizeof buf) == 0, more);
        _exit(0);
    }
    close(p[0]);
    pid_t killer = fork();
    if (killer == 0) {
        for (int i = 0; i < 5; i++) {
            msleep(30);
            kill(getppid(), SIGUSR1);
        }
        _exit(0);
    }
    long off = 0;
    while (off < (long)sizeof buf) {
        long r = write(p[1], buf + off, sizeof buf - off);
        if (r < 0 && errno != EINTR)
            break;
        off += r > 0 ? r : 0;
    }
    close(p[1]);
    waitpid(killer, NULL, 0);
    reap("reader", reader);
    printf("writer: %ld bytes\n", off);
    signal(SIGUSR1, SIG_DFL);
}

static void fifo(const char *path) {
    char buf[64];
    SHOW("mkfifo", mkfifo(path, 0600));
    SHOW("open O_WRONLY|O_NONBLOCK, no reader", open(path, O_WRONLY | O_NONBLOCK));
    int r = SHOW("open O_RDONLY|O_NONBLOCK", open(path, O_RDONLY | O_NONBLOCK));
    SHOW("read before any writer", read(r, buf, sizeof buf));
    int w = SHOW("open O_WRONLY|O_NONBLOCK", open(path, O_WRONLY | O_NONBLOCK));
    struct stat st;
    fstat(w, &st);
    YESNO("fstat S_ISFIFO", S_ISFIFO(st.st_mode));
    SHOW("write", write(w, "fifo", 4));
    SHOW("read", read(r, buf, sizeof buf));
    SHOW("read empty", read(r, buf, sizeof buf));
    close(w);
    SHOW("read after writer left", read(r, buf, sizeof buf));
    close(r);
    int rw = SHOW("open O_RDWR", open(path, O_RDWR));
    SHOW("write", write(rw, "both", 4));
    SHOW("read", read(rw, buf, sizeof buf));
    close(rw);
    SHOW("open O_RDONLY|O_NONBLOCK again", r = open(path, O_RDONLY | O_NONBLOCK));
    SHOW("old data gone", read(r, buf, sizeof buf));
    close(r);

    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY);  // blocks until the parent opens for reading
        write(fd, "met", 3);
        _exit(fd >= 0 ? 0 : 1);
    }
    msleep(30);
    r = SHOW("blocking open O_RDONLY", open(path, O_RDONLY));
    long n = read(r, buf, sizeof buf);
    printf("read from the child: %.*s\n", (int)(n > 0 ? n : 0), buf);
    reap("fifo writer", pid);
    close(r);

    pid = fork();
    if (pid == 0) {
        msleep(30);
        int fd = open(path, O_WRONLY);
        write(fd, "late", 4);
        _exit(0);
    }
    r = SHOW("blocking open O_RDONLY before the writer", open(path, O_RDONLY));
    n = read(r, buf, sizeof buf);
    printf("read: %.*s\n", (int)(n > 0 ? n : 0), buf);
    reap("late writer", pid);
    close(r);
    unlink(path);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    basics();
    capacity();
    flags();
    eof_and_epipe();
    big_transfer();
    interrupted_write();
    if (argc > 1)
        fifo(argv[1]);
    return 0;
}
