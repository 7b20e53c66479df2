// RLIMIT_FSIZE: a regular file's writes are cut at the limit; a write at or past it, and a
// truncate or fallocate that would grow the file past it, fail with EFBIG and send
// SIGXFSZ (a handler runs; by default it kills). Pipes and devices have no limit.
// covers: prlimit64, write, pwrite64, writev, ftruncate, truncate, fallocate, sendfile, copy_file_range, splice
// area: files
#include "probe.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got;
static void handler(int s) {
    (void)s;
    got++;
}

/* The limit holds only around the call: the output (maybe a regular file) has none. */
static struct rlimit limited = {1000, RLIM_INFINITY}, unlimited = {RLIM_INFINITY, RLIM_INFINITY};
#define CHECK(name, expr)                                                 \
    do {                                                                  \
        setrlimit(RLIMIT_FSIZE, &limited);                                \
        errno = 0;                                                        \
        long r_ = (long)(expr);                                           \
        int e_ = errno;                                                   \
        setrlimit(RLIMIT_FSIZE, &unlimited);                              \
        printf("%s: %ld %s, SIGXFSZ %d\n", name, r_, r_ < 0 ? probe_errname(e_) : "", got); \
        got = 0;                                                          \
    } while (0)

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "fsize-scratch";
    mkdir(dir, 0700);
    char path[4096], other[4096], buf[3000] = {0};
    snprintf(path, sizeof path, "%s/fsize.tmp", dir);
    snprintf(other, sizeof other, "%s/fsize-src.tmp", dir);
    int src = open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(src, buf, sizeof buf);
    signal(SIGXFSZ, handler);  // glibc: SA_RESTART
    SHOW("setrlimit FSIZE 1000", setrlimit(RLIMIT_FSIZE, &limited));
    SHOW("getrlimit", getrlimit(RLIMIT_FSIZE, &unlimited) == 0 && unlimited.rlim_cur == 1000);
    unlimited.rlim_cur = RLIM_INFINITY;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK("write 2000 (cut)", write(fd, buf, 2000));
    CHECK("write at the limit", write(fd, buf, 10));
    CHECK("write 0 at the limit", write(fd, buf, 0));
    CHECK("pwrite 10 at 995 (cut)", pwrite(fd, buf, 10, 995));
    CHECK("pwrite at 1000", pwrite(fd, buf, 1, 1000));
    struct iovec iov[2] = {{buf, 5}, {buf, 5}};
    CHECK("pwritev at 2000", pwritev(fd, iov, 2, 2000));
    lseek(fd, 998, SEEK_SET);
    CHECK("writev at 998 (cut)", writev(fd, iov, 2));
    CHECK("ftruncate 1000", ftruncate(fd, 1000));
    CHECK("ftruncate 1001", ftruncate(fd, 1001));
    CHECK("truncate 5000", truncate(path, 5000));
    CHECK("ftruncate 10 (shrinks)", ftruncate(fd, 10));
    CHECK("fallocate 0+5000", fallocate(fd, 0, 0, 5000));
    CHECK("fallocate KEEP_SIZE 0+5000", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 5000));
    CHECK("fallocate 0+900", fallocate(fd, 0, 0, 900));
    int afd = open(path, O_WRONLY | O_APPEND);
    CHECK("O_APPEND write 200 at 900 (cut)", write(afd, buf, 200));
    CHECK("O_APPEND write at 1000", write(afd, buf, 1));
    ftruncate(fd, 0);
    lseek(fd, 0, SEEK_SET);
    off_t o = 0;
    CHECK("sendfile 3000 (cut)", sendfile(fd, src, &o, 3000));
    CHECK("sendfile at the limit", sendfile(fd, src, &o, 10));
    ftruncate(fd, 0);
    loff_t in = 0, out = 500;
    CHECK("copy_file_range 3000 to 500 (cut)", copy_file_range(src, &in, fd, &out, 3000, 0));
    out = 1000;
    CHECK("copy_file_range at 1000", copy_file_range(src, &in, fd, &out, 10, 0));
    int p[2];
    pipe(p);
    CHECK("pipe write 3000 (no limit)", write(p[1], buf, 3000));
    loff_t at = 990;
    CHECK("splice pipe to file at 990 (cut)", splice(p[0], 0, fd, &at, 3000, 0));
    CHECK("splice pipe to file at 1000", splice(p[0], 0, fd, &at, 100, 0));
    int null = open("/dev/null", O_WRONLY);
    CHECK("/dev/null write 3000", write(null, buf, 3000));
    signal(SIGXFSZ, SIG_IGN);
    CHECK("ignored: write at 1000", pwrite(fd, buf, 1, 1000));
    signal(SIGXFSZ, SIG_DFL);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        setrlimit(RLIMIT_FSIZE, &limited);
        pwrite(fd, buf, 1, 1000);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("default action: signaled %d by %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    unlink(path);
    unlink(other);
    return 0;
}
