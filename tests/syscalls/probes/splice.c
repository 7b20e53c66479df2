// splice, tee, vmsplice between pipes and files; renameat2 RENAME_EXCHANGE and (on
// tmpfs) RENAME_WHITEOUT.
// covers: splice, tee, vmsplice, renameat2
// area: I/O and readiness
// usage: splice SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void show_read(const char *what, int fd, long n) {
    char buf[256];
    long r = read(fd, buf, n < (long)sizeof buf ? n : (long)sizeof buf);
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: %ld \"", what, r);
    for (long i = 0; i < r; i++)
        buf[i] ? putchar(buf[i]) : printf("\\0");
    printf("\"\n");
}

static void show_file(const char *what, const char *path) {
    int fd = open(path, O_RDONLY);
    show_read(what, fd, 255);
    close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[4096], a[4200], b[4200], d[4200], x[4300];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    mkdir(dir, 0755);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(d, sizeof d, "%s/d", dir);
    int fa = open(a, O_RDWR | O_CREAT, 0644);
    write(fa, "0123456789", 10);
    int p[2], q[2];
    pipe(p);
    pipe(q);

    loff_t off = 2;
    SHOW("file->pipe with offset", splice(fa, &off, p[1], NULL, 5, 0));
    printf("off now %lld, file offset %lld\n", (long long)off, (long long)lseek(fa, 0, SEEK_CUR));
    lseek(fa, 7, SEEK_SET);
    SHOW("file->pipe at file offset", splice(fa, NULL, p[1], NULL, 100, 0));
    printf("file offset %lld\n", (long long)lseek(fa, 0, SEEK_CUR));
    SHOW("tee p->q", tee(p[0], q[1], 4, 0));
    show_read("q has", q[0], 100);
    SHOW("pipe->pipe", splice(p[0], NULL, q[1], NULL, 3, 0));
    show_read("q has", q[0], 100);
    int fb = open(b, O_RDWR | O_CREAT, 0644);
    off = 4;
    SHOW("pipe->file with offset", splice(p[0], NULL, fb, &off, 100, 0));
    printf("off now %lld\n", (long long)off);
    show_file("b", b);
    SHOW("empty pipe nonblock", splice(p[0], NULL, fb, NULL, 10, SPLICE_F_NONBLOCK));
    SHOW("tee empty nonblock", tee(p[0], q[1], 10, SPLICE_F_NONBLOCK));

    SHOW("no pipe", splice(fa, NULL, fb, NULL, 10, 0));
    SHOW("same pipe", splice(p[0], NULL, p[1], NULL, 10, 0));
    SHOW("offset on pipe", splice(p[0], &off, fb, NULL, 10, 0));
    SHOW("bad fd", splice(99, NULL, p[1], NULL, 10, 0));
    SHOW("wrong end", splice(fa, NULL, p[0], NULL, 10, 0));
    SHOW("bad flags", splice(fa, NULL, p[1], NULL, 10, 0x100));
    SHOW("len 0", splice(fa, NULL, p[1], NULL, 0, 0));
    SHOW("tee same pipe", tee(p[0], p[1], 10, 0));
    SHOW("tee not pipe", tee(fa, p[1], 10, 0));
    int fapp = open(b, O_WRONLY | O_APPEND);
    write(p[1], "zz", 2);
    SHOW("pipe->append file", splice(p[0], NULL, fapp, NULL, 10, 0));
    show_file("b after append splice", b);
    close(fapp);

    struct iovec iov[2] = {{"vm", 2}, {"splice", 6}};
    SHOW("vmsplice write end", vmsplice(p[1], iov, 2, 0));
    char r1[3] = {0}, r2[8] = {0};
    struct iovec out[2] = {{r1, 3}, {r2, 7}};
    SHOW("vmsplice read end", vmsplice(p[0], out, 2, 0));
    printf("got \"%.3s\" \"%.7s\"\n", r1, r2);
    SHOW("vmsplice not pipe", vmsplice(fa, iov, 1, 0));
    close(p[1]);
    SHOW("splice from pipe without writers", splice(p[0], NULL, fb, NULL, 10, 0));

    // renameat2
    mkdir(d, 0755);
    snprintf(x, sizeof x, "%s/inside", d);
    close(open(x, O_CREAT | O_WRONLY, 0600));
    SHOW("EXCHANGE files", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
    show_file("a", a);
    show_file("b", b);
    SHOW("EXCHANGE file and dir", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, d, RENAME_EXCHANGE));
    struct stat st;
    stat(a, &st);
    YESNO("a is now the dir", S_ISDIR(st.st_mode));
    snprintf(x, sizeof x, "%s/inside", a);
    YESNO("its entry moved along", access(x, F_OK) == 0);
        snprintf(x, sizeof x, "%s/nope", dir);
    SHOW("EXCHANGE target missing", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, x, RENAME_EXCHANGE));
    SHOW("EXCHANGE|NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
                                        RENAME_EXCHANGE | RENAME_NOREPLACE));
    snprintf(x, sizeof x, "%s/inside", a);
    SHOW("EXCHANGE dir with its child", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, x,
                                                 RENAME_EXCHANGE));
    SHOW("EXCHANGE with itself", syscall(SYS_renameat2, AT_FDCWD, b, AT_FDCWD, b, RENAME_EXCHANGE));
    SHOW("bad flags", syscall(SYS_renameat2, AT_FDCWD, b, AT_FDCWD, x, 8));

    // RENAME_WHITEOUT on tmpfs (/dev/shm): a 0:0 character device takes the old name.
    char wa[64], wb[64];
    snprintf(wa, sizeof wa, "/dev/shm/probe-splice-%d-a", getpid());
    snprintf(wb, sizeof wb, "/dev/shm/probe-splice-%d-b", getpid());
    close(open(wa, O_CREAT | O_WRONLY, 0600));
    SHOW("WHITEOUT", syscall(SYS_renameat2, AT_FDCWD, wa, AT_FDCWD, wb, RENAME_WHITEOUT));
    struct stat ws;
    SHOW("lstat whiteout", lstat(wa, &ws));
    printf("whiteout chr=%d rdev=%u:%u perm=%o\n", S_ISCHR(ws.st_mode), major(ws.st_rdev),
           minor(ws.st_rdev), ws.st_mode & 07777);
    SHOW("WHITEOUT|EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, wb, AT_FDCWD, wa,
                                      RENAME_WHITEOUT | RENAME_EXCHANGE));
    SHOW("WHITEOUT missing", syscall(SYS_renameat2, AT_FDCWD, x, AT_FDCWD, wa, RENAME_WHITEOUT));
    unlink(wa);
    unlink(wb);
    unlink(x);
    unlink(b);
    snprintf(x, sizeof x, "%s/d", dir);
    unlink(x);
    rmdir(a);
    rmdir(dir);
    return 0;
}
