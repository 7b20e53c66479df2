// File attributes: modes, owners, timestamps, sizes (legacy and *at forms), statx, statfs.
// covers: chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat, utime, utimes, futimesat, utimensat, truncate, ftruncate, statx, statfs, fstatfs
// area: files
// usage: fs_attr SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static void show(const char *what, const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: mode=0%o uid=%u gid=%u size=%lld\n", what, st.st_mode, st.st_uid, st.st_gid,
           (long long)st.st_size);
}

static void times_of(const char *what, const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: atime=%lld.%09ld mtime=%lld.%09ld\n", what, (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    umask(022);
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    int fd = SHOW("open(f, O_CREAT|O_RDWR, 0644)", open("f", O_CREAT | O_RDWR, 0644));
    SHOW("write(f)", write(fd, "0123456789", 10));
    SHOW("symlink(f, l)", symlink("f", "l"));

    /* modes */
    SHOW("chmod(f, 0600)", syscall(SYS_chmod, "f", 0600));
    show("after chmod", "f");
    SHOW("chmod(f, 07777)", syscall(SYS_chmod, "f", 07777));
    show("after chmod 07777", "f");
    SHOW("chmod(missing)", syscall(SYS_chmod, "missing", 0600));
    SHOW("fchmod(fd, 0640)", syscall(SYS_fchmod, fd, 0640));
    show("after fchmod", "f");
    SHOW("fchmod(bad fd)", syscall(SYS_fchmod, 99, 0640));
    SHOW("fchmodat(dfd, f, 0604)", syscall(SYS_fchmodat, dfd, "f", 0604));
    show("after fchmodat", "f");
    SHOW("fchmodat(dfd, l) follows", syscall(SYS_fchmodat, dfd, "l", 0644));
    show("l", "l");
    show("f via l", "f");
    SHOW("fchmodat2(dfd, l, NOFOLLOW)", syscall(SYS_fchmodat2, dfd, "l", 0600, AT_SYMLINK_NOFOLLOW));
    SHOW("fchmodat2(dfd, \"\", EMPTY_PATH) on dir", syscall(SYS_fchmodat2, dfd, "", 0750, AT_EMPTY_PATH));
    SHOW("fchmodat2(bad flags)", syscall(SYS_fchmodat2, dfd, "f", 0600, 0x2));
    SHOW("fchmodat2(dfd, f, 0)", syscall(SYS_fchmodat2, dfd, "f", 0644, 0));

    /* owners (root may give files away) */
    SHOW("chown(f, 1000, 1000)", syscall(SYS_chown, "f", 1000, 1000));
    show("after chown", "f");
    SHOW("chown(f, -1, 2000) keeps uid", syscall(SYS_chown, "f", -1, 2000));
    show("after chown -1", "f");
    SHOW("lchown(l, 3000, 3000)", syscall(SYS_lchown, "l", 3000, 3000));
    show("l after lchown", "l");
    show("f after lchown", "f");
    SHOW("fchown(fd, 0, 0)", syscall(SYS_fchown, fd, 0, 0));
    show("after fchown", "f");
    SHOW("fchmod(fd, 06755)", syscall(SYS_fchmod, fd, 06755));
    SHOW("fchown(fd, 5, 5) clears set-id", syscall(SYS_fchown, fd, 5, 5));
    show("after fchown set-id", "f");
    SHOW("fchownat(dfd, l, 7, 7, NOFOLLOW)", syscall(SYS_fchownat, dfd, "l", 7, 7, AT_SYMLINK_NOFOLLOW));
    show("l after fchownat", "l");
    SHOW("fchownat(dfd, l, 8, 8, 0) follows", syscall(SYS_fchownat, dfd, "l", 8, 8, 0));
    show("f after fchownat", "f");
    SHOW("fchownat(bad flags)", syscall(SYS_fchownat, dfd, "f", 0, 0, 0x1));
    SHOW("fchownat(missing)", syscall(SYS_fchownat, dfd, "missing", 0, 0, 0));

    /* timestamps */
    struct utimbuf ub = {.actime = 1000000000, .modtime = 1200000000};
    SHOW("utime(f)", syscall(SYS_utime, "f", &ub));
    times_of("after utime", "f");
    SHOW("utime(missing)", syscall(SYS_utime, "missing", &ub));
    struct timeval tv[2] = {{1300000000, 5}, {1400000000, 7}};
    SHOW("utimes(f)", syscall(SYS_utimes, "f", tv));
    times_of("after utimes", "f");
    struct timeval bad[2] = {{1, 1000000}, {1, 0}};
    SHOW("utimes(usec out of range)", syscall(SYS_utimes, "f", bad));
    tv[0].tv_sec = 1500000000;
    SHOW("futimesat(dfd, f)", syscall(SYS_futimesat, dfd, "f", tv));
    times_of("after futimesat", "f");
    struct timespec ts[2] = {{1600000000, 123456789}, {0, UTIME_OMIT}};
    SHOW("utimensat(dfd, f, atime only)", utimensat(dfd, "f", ts, 0));
    times_of("after utimensat", "f");
    ts[0].tv_nsec = 1000000000;
    SHOW("utimensat(nsec out of range)", utimensat(dfd, "f", ts, 0));
    ts[0] = (struct timespec){1, 0};
    ts[1] = (struct timespec){2, 0};
    SHOW("utimensat(dfd, l, NOFOLLOW)", utimensat(dfd, "l", ts, AT_SYMLINK_NOFOLLOW));
    struct stat st;
    lstat("l", &st);
    printf("l mtime: %lld\n", (long long)st.st_mtim.tv_sec);
    SHOW("utimensat(fd, NULL, ts)", syscall(SYS_utimensat, fd, NULL, ts, 0));
    times_of("after utimensat(fd)", "f");
    SHOW("utimensat(bad flags)", utimensat(dfd, "f", ts, 0x1));
    time_t before = time(NULL);
    SHOW("utimensat(f, NULL) now", utimensat(dfd, "f", NULL, 0));
    stat("f", &st);
    YESNO("mtime is now", st.st_mtim.tv_sec >= before && st.st_mtim.tv_sec < before + 60);

    /* sizes */
    SHOW("truncate(f, 4)", syscall(SYS_truncate, "f", 4));
    show("after truncate", "f");
    SHOW("truncate(f, -1)", syscall(SYS_truncate, "f", -1L));
    SHOW("truncate(., 0) dir", syscall(SYS_truncate, ".", 0));
    SHOW("truncate(missing)", syscall(SYS_truncate, "missing", 0));
    SHOW("ftruncate(fd, 100000)", syscall(SYS_ftruncate, fd, 100000));
    show("after ftruncate", "f");
    char buf[8];
    SHOW("pread(hole)", pread(fd, buf, 8, 50000));
    YESNO("hole reads zeros", buf[0] == 0 && buf[7] == 0);
    int ro = open("f", O_RDONLY);
    SHOW("ftruncate(O_RDONLY fd)", syscall(SYS_ftruncate, ro, 0));
    SHOW("ftruncate(bad fd)", syscall(SYS_ftruncate, 99, 0));

    /* statx */
    struct statx sx;
    SHOW("statx(dfd, f, BASIC_STATS)", syscall(SYS_statx, dfd, "f", 0, STATX_BASIC_STATS, &sx));
    printf("statx: mode=0%o size=%llu uid=%u nlink=%u mask_basic=%s\n", sx.stx_mode,
           (unsigned long long)sx.stx_size, sx.stx_uid, sx.stx_nlink,
           (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no");
    SHOW("statx(l, NOFOLLOW)", syscall(SYS_statx, dfd, "l", AT_SYMLINK_NOFOLLOW, STATX_MODE, &sx));
    printf("statx(l): mode=0%o\n", sx.stx_mode);
    SHOW("statx(fd, \"\", EMPTY_PATH)", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
    printf("statx(fd): size=%llu\n", (unsigned long long)sx.stx_size);
    SHOW("statx(bad mask bit)", syscall(SYS_statx, dfd, "f", 0, 0x80000000u, &sx));
    SHOW("statx(bad flags)", syscall(SYS_statx, dfd, "f", 0x1, STATX_SIZE, &sx));
    SHOW("statx(missing)", syscall(SYS_statx, dfd, "missing", 0, STATX_SIZE, &sx));
    SHOW("statx(bad buf)", syscall(SYS_statx, dfd, "f", 0, STATX_SIZE, (void *)8));

    /* statfs: the figures vary; their relations and the errno cases do not */
    struct statfs a, b;
    SHOW("statfs(.)", syscall(SYS_statfs, ".", &a));
    SHOW("fstatfs(fd)", syscall(SYS_fstatfs, fd, &b));
    YESNO("same fs type", a.f_type == b.f_type);
    YESNO("namelen 255", a.f_namelen == 255);
    YESNO("bsize > 0", a.f_bsize > 0);
    SHOW("statfs(missing)", syscall(SYS_statfs, "missing", &a));
    SHOW("statfs(bad buf)", syscall(SYS_statfs, ".", (void *)8));
    SHOW("fstatfs(bad fd)", syscall(SYS_fstatfs, 99, &b));
    int p[2];
    pipe(p);
    SHOW("fstatfs(pipe)", syscall(SYS_fstatfs, p[0], &b));
    printf("pipefs: type %lx flags %lx bsize %ld namelen %ld blocks %ld\n", (long)b.f_type,
           (long)b.f_flags, (long)b.f_bsize, (long)b.f_namelen, (long)b.f_blocks);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOW("fstatfs(socket)", syscall(SYS_fstatfs, sv[0], &b));
    printf("sockfs: type %lx flags %lx\n", (long)b.f_type, (long)b.f_flags);
    SHOW("fstatfs(eventfd)", syscall(SYS_fstatfs, eventfd(0, 0), &b));
    printf("anon_inodefs: type %lx flags %lx\n", (long)b.f_type, (long)b.f_flags);
    return 0;
}
