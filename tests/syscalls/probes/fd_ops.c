// File descriptors: dup family, close_range, flock, syncs, positional and vector I/O,
// sendfile and copy_file_range between files, fd ioctls.
// covers: dup, dup2, dup3, close_range, flock, fsync, fdatasync, sync, syncfs, pwrite64, preadv, pwritev, sendfile, copy_file_range, ioctl, fcntl
// area: files
// usage: fd_ops SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void cloexec(const char *what, int fd) {
    int r = fcntl(fd, F_GETFD);
    printf("%s: %s\n", what, r < 0 ? probe_errname(errno) : (r & FD_CLOEXEC) ? "cloexec" : "inherit");
}

static void contents(const char *what, const char *path) {
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: %ld \"%s\"\n", what, n, buf);
}

int main(int argc, char **argv) {
    char buf[64];
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    int fd = SHOW("open(f)", open("f", O_CREAT | O_RDWR | O_TRUNC, 0644));

    /* dup family: lowest free number, shared offset, flags */
    int d = SHOW("dup(fd)", syscall(SYS_dup, fd));
    SHOW("write via fd", write(fd, "abc", 3));
    SHOW("lseek(dup, 0, CUR) shared offset", lseek(d, 0, SEEK_CUR));
    SHOW("dup(bad fd)", syscall(SYS_dup, 99));
    SHOW("dup2(fd, 10)", syscall(SYS_dup2, fd, 10));
    cloexec("fd 10", 10);
    SHOW("dup2(fd, fd) same", syscall(SYS_dup2, fd, fd));
    SHOW("dup2(bad, 11)", syscall(SYS_dup2, 99, 11));
    SHOW("dup2(fd, -1)", syscall(SYS_dup2, fd, -1));
    SHOW("dup3(fd, 11, O_CLOEXEC)", syscall(SYS_dup3, fd, 11, O_CLOEXEC));
    cloexec("fd 11", 11);
    SHOW("dup3(fd, fd) same", syscall(SYS_dup3, fd, fd, 0));
    SHOW("dup3(bad flags)", syscall(SYS_dup3, fd, 12, O_NONBLOCK));
    SHOW("fcntl(F_DUPFD, 20)", fcntl(fd, F_DUPFD, 20));
    SHOW("fcntl(F_DUPFD_CLOEXEC, 20)", fcntl(fd, F_DUPFD_CLOEXEC, 20));
    cloexec("fd 21", 21);
    SHOW("fcntl(F_SETFD, 0)", fcntl(21, F_SETFD, 0));
    cloexec("fd 21 after", 21);
    SHOW("fcntl(F_GETFL) & ACCMODE", fcntl(fd, F_GETFL) & O_ACCMODE);
    SHOW("fcntl(F_SETFL, O_APPEND)", fcntl(fd, F_SETFL, O_APPEND));
    SHOW("fcntl(F_GETFL) & O_APPEND", fcntl(d, F_GETFL) & O_APPEND);
    SHOW("fcntl(F_SETFL, 0)", fcntl(fd, F_SETFL, 0));
    SHOW("fcntl(bad cmd)", fcntl(fd, 9999));
    SHOW("fcntl(F_DUPFD, -1)", fcntl(fd, F_DUPFD, -1));

    /* ioctl on a regular file */
    SHOW("ioctl(FIOCLEX)", ioctl(d, FIOCLEX));
    cloexec("after FIOCLEX", d);
    SHOW("ioctl(FIONCLEX)", ioctl(d, FIONCLEX));
    cloexec("after FIONCLEX", d);
    int on = 1;
    SHOW("ioctl(FIONBIO, 1)", ioctl(d, FIONBIO, &on));
    SHOW("O_NONBLOCK set", (fcntl(d, F_GETFL) & O_NONBLOCK) != 0);
    SHOW("ioctl(TCGETS) on file", ioctl(d, TCGETS, buf));
    SHOW("ioctl(bad fd)", ioctl(99, FIOCLEX));

    /* close_range */
    SHOW("close_range(20, 21, CLOEXEC)", syscall(SYS_close_range, 20, 21, CLOSE_RANGE_CLOEXEC));
    cloexec("fd 20", 20);
    SHOW("close_range(10, 21, 0)", syscall(SYS_close_range, 10, 21, 0));
    SHOW("fcntl(10) closed", fcntl(10, F_GETFD));
    SHOW("fcntl(21) closed", fcntl(21, F_GETFD));
    SHOW("close_range(5, 4) bad range", syscall(SYS_close_range, 5, 4, 0));
    SHOW("close_range(bad flags)", syscall(SYS_close_range, 30, 40, 0x80));
    SHOW("close_range(30, ~0) empty", syscall(SYS_close_range, 30, ~0U, 0));

    /* positional and vector I/O */
    SHOW("pwrite64(fd, XY, 10)", pwrite(fd, "XY", 2, 10));
    SHOW("offset unchanged", lseek(fd, 0, SEEK_CUR));
    SHOW("pwrite64(-1 offset)", syscall(SYS_pwrite64, fd, "x", 1, -1L));
    SHOW("pwrite64(bad buf)", syscall(SYS_pwrite64, fd, (void *)8, 1, 0L));
    int ro = open("f", O_RDONLY);
    SHOW("pwrite64(O_RDONLY fd)", pwrite(ro, "x", 1, 0));
    char a[4] = {0}, b[8] = {0};
    struct iovec iov[2] = {{a, 3}, {b, 7}};
    SHOW("pwritev(fd, 2 iovs, 20)", pwritev(fd, (struct iovec[]){{"one", 3}, {"-two", 4}}, 2, 20));
    long n = SHOW("preadv(fd, 2 iovs, 20)", preadv(fd, iov, 2, 20));
    printf("preadv data: \"%s\" \"%s\"\n", a, b);
    SHOW("preadv(-1 offset)", syscall(SYS_preadv, fd, iov, 2, -1L, 0L));
    SHOW("preadv(bad iov)", syscall(SYS_preadv, fd, (void *)8, 2, 0L, 0L));
    SHOW("pwritev(O_RDONLY fd)", pwritev(ro, iov, 1, 0));
    SHOW("preadv(beyond EOF)", preadv(fd, iov, 2, 1000));
    (void)n;
    contents("f", "f");

    /* syncs */
    SHOW("fsync(fd)", fsync(fd));
    SHOW("fdatasync(fd)", fdatasync(fd));
    SHOW("fsync(bad fd)", fsync(99));
    SHOW("fdatasync(bad fd)", fdatasync(99));
    SHOW("syncfs(fd)", syncfs(fd));
    SHOW("syncfs(bad fd)", syncfs(99));
    sync();
    printf("sync: done\n");

    /* sendfile and copy_file_range */
    int out = SHOW("open(g)", open("g", O_CREAT | O_RDWR | O_TRUNC, 0644));
    off_t off = 20;
    SHOW("sendfile(g, f, &off=20, 5)", sendfile(out, fd, &off, 5));
    SHOW("off after", off);
    SHOW("sendfile(g, f, NULL, 3) at f's offset", sendfile(out, ro, NULL, 3));
    SHOW("f's offset after", lseek(ro, 0, SEEK_CUR));
    SHOW("sendfile(bad in)", sendfile(out, 99, NULL, 1));
    SHOW("sendfile(to O_RDONLY)", sendfile(ro, fd, NULL, 1));
    contents("g", "g");
    loff_t in_off = 0, out_off = 2;
    SHOW("copy_file_range(f@0 -> g@2, 3)", syscall(SYS_copy_file_range, fd, &in_off, out, &out_off, 3, 0));
    SHOW("in_off", in_off);
    SHOW("out_off", out_off);
    contents("g after copy", "g");
    SHOW("copy_file_range(bad flags)", syscall(SYS_copy_file_range, fd, NULL, out, NULL, 1, 1));
    SHOW("copy_file_range(to O_RDONLY)", syscall(SYS_copy_file_range, fd, NULL, ro, NULL, 1, 0));
    SHOW("copy_file_range(at EOF)", syscall(SYS_copy_file_range, fd, &(loff_t){999}, out, NULL, 4, 0));

    /* flock: shared/exclusive across open file descriptions, seen from a child */
    int other = open("f", O_RDONLY);
    SHOW("flock(fd, LOCK_SH)", flock(fd, LOCK_SH));
    SHOW("flock(other, LOCK_SH|NB)", flock(other, LOCK_SH | LOCK_NB));
    SHOW("flock(other, LOCK_EX|NB) conflicts", flock(other, LOCK_EX | LOCK_NB));
    SHOW("flock(fd, LOCK_EX|NB): other's failed upgrade dropped its lock", flock(fd, LOCK_EX | LOCK_NB));
    SHOW("flock(other, LOCK_UN)", flock(other, LOCK_UN));
    SHOW("flock(fd, LOCK_EX|NB)", flock(fd, LOCK_EX | LOCK_NB));
    pid_t pid = fork();
    if (pid == 0) {
        int c = open("f", O_RDONLY);
        int r = flock(c, LOCK_SH | LOCK_NB);
        _exit(r < 0 ? (errno == EWOULDBLOCK ? 11 : 1) : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child's LOCK_SH|NB: exit %d\n", WEXITSTATUS(status));
    SHOW("flock(fd, LOCK_UN)", flock(fd, LOCK_UN));
    SHOW("flock(bad op)", flock(fd, 0));
    SHOW("flock(bad fd)", flock(99, LOCK_SH));
    return 0;
}
