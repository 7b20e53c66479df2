// Path calls, the legacy numbers (raw syscall(2): glibc uses the *at forms) and the *at ones:
// open/creat/stat/lstat/fstat/access, links, renames, mknod, getcwd and fchdir, errno cases.
// covers: open, creat, stat, lstat, fstat, access, faccessat, faccessat2, link, linkat, symlinkat, readlinkat, rename, renameat, renameat2, mknod, getcwd, fchdir
// area: files
// usage: fs_paths SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show_stat(const char *what, long r, const struct stat *st) {
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    long long size = S_ISDIR(st->st_mode) ? -1 : (long long)st->st_size;
    printf("%s: mode=0%o size=%lld nlink=%lu\n", what, st->st_mode, size,
           (unsigned long)st->st_nlink);
}

static void read_back(const char *what, const char *path) {
    char buf[64] = {0};
    int fd = syscall(SYS_open, path, O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    printf("%s: %s\n", what, n < 0 ? probe_errname(errno) : buf);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv) {
    struct stat st;
    char buf[4096];
    if (argc < 2)
        return 2;
    umask(022);
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));

    /* open / creat */
    int fd = SHOW("open(a, O_CREAT|O_RDWR, 0600)", syscall(SYS_open, "a", O_CREAT | O_RDWR, 0600));
    SHOW("write(a)", write(fd, "A-data", 6));
    show_stat("fstat(a)", syscall(SYS_fstat, fd, &st), &st);
    SHOW("fstat(bad fd)", syscall(SYS_fstat, 99, &st));
    SHOW("fstat(bad buf)", syscall(SYS_fstat, fd, (void *)8));
    close(fd);
    SHOW("open(a, O_CREAT|O_EXCL)", syscall(SYS_open, "a", O_CREAT | O_EXCL | O_WRONLY, 0600));
    SHOW("open(missing)", syscall(SYS_open, "missing", O_RDONLY));
    SHOW("open(a/x)", syscall(SYS_open, "a/x", O_RDONLY));
    SHOW("open(bad path ptr)", syscall(SYS_open, (void *)8, O_RDONLY));
    fd = SHOW("creat(b, 0644)", syscall(SYS_creat, "b", 0644));
    SHOW("write(b)", write(fd, "B", 1));
    SHOW("read(creat fd is O_WRONLY)", read(fd, buf, 1));
    close(fd);
    fd = SHOW("creat(b) truncates", syscall(SYS_creat, "b", 0600));
    close(fd);
    show_stat("stat(b)", syscall(SYS_stat, "b", &st), &st);
    SHOW("creat(missing/x)", syscall(SYS_creat, "missing/x", 0644));

    /* stat / lstat / access */
    show_stat("stat(a)", syscall(SYS_stat, "a", &st), &st);
    show_stat("stat(missing)", syscall(SYS_stat, "missing", &st), &st);
    show_stat("stat(\"\")", syscall(SYS_stat, "", &st), &st);
    show_stat("stat(a/)", syscall(SYS_stat, "a/", &st), &st);
    SHOW("symlinkat(a, AT_FDCWD, la)", symlinkat("a", AT_FDCWD, "la"));
    SHOW("symlinkat(x, bad dirfd, y)", symlinkat("x", 99, "y"));
    SHOW("symlinkat(x, AT_FDCWD, la) exists", symlinkat("x", AT_FDCWD, "la"));
    show_stat("lstat(la)", syscall(SYS_lstat, "la", &st), &st);
    show_stat("stat(la)", syscall(SYS_stat, "la", &st), &st);
    SHOW("access(a, R_OK|W_OK)", syscall(SYS_access, "a", R_OK | W_OK));
    SHOW("access(a, X_OK) root, no x bit", syscall(SYS_access, "a", X_OK));
    SHOW("access(missing, F_OK)", syscall(SYS_access, "missing", F_OK));
    SHOW("access(a, bad mode)", syscall(SYS_access, "a", 0x40));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW("faccessat(dfd, a, R_OK)", syscall(SYS_faccessat, dfd, "a", R_OK));
    SHOW("faccessat(bad dirfd, a)", syscall(SYS_faccessat, 99, "a", R_OK));
    SHOW("faccessat2(dfd, la, F_OK, AT_SYMLINK_NOFOLLOW)",
         syscall(SYS_faccessat2, dfd, "la", F_OK, AT_SYMLINK_NOFOLLOW));
    SHOW("faccessat2(dfd, \"\", R_OK, AT_EMPTY_PATH)",
         syscall(SYS_faccessat2, dfd, "", R_OK, AT_EMPTY_PATH));
    SHOW("faccessat2(bad flags)", syscall(SYS_faccessat2, dfd, "a", R_OK, 0x1));
    SHOW("faccessat2(missing)", syscall(SYS_faccessat2, dfd, "missing", F_OK, 0));

    /* readlinkat */
    long n = SHOW("readlinkat(dfd, la)", readlinkat(dfd, "la", buf, sizeof buf));
    printf("target: %.*s\n", (int)(n > 0 ? n : 0), buf);
    SHOW("readlinkat(dfd, la, bufsiz 0)", syscall(SYS_readlinkat, dfd, "la", buf, 0));
    SHOW("readlinkat(dfd, a) not a link", readlinkat(dfd, "a", buf, sizeof buf));
    n = SHOW("readlinkat(dfd, la, 1 byte)", readlinkat(dfd, "la", buf, 1));

    /* link / linkat */
    SHOW("link(a, a2)", syscall(SYS_link, "a", "a2"));
    show_stat("stat(a) after link", syscall(SYS_stat, "a", &st), &st);
    SHOW("link(a, a2) exists", syscall(SYS_link, "a", "a2"));
    SHOW("link(missing, z)", syscall(SYS_link, "missing", "z"));
    SHOW("mkdir(d)", mkdir("d", 0755));
    SHOW("link(d, d2) dir", syscall(SYS_link, "d", "d2"));
    SHOW("linkat(dfd, la, dfd, l2, 0)", linkat(dfd, "la", dfd, "l2", 0));
    show_stat("lstat(l2) is the symlink", syscall(SYS_lstat, "l2", &st), &st);
    SHOW("linkat(dfd, la, dfd, l3, FOLLOW)", linkat(dfd, "la", dfd, "l3", AT_SYMLINK_FOLLOW));
    show_stat("lstat(l3) is the file", syscall(SYS_lstat, "l3", &st), &st);
    SHOW("linkat(bad flags)", linkat(dfd, "a", dfd, "l4", 0x1));

    /* rename / renameat / renameat2 */
    SHOW("rename(a2, c)", syscall(SYS_rename, "a2", "c"));
    read_back("c", "c");
    SHOW("rename(c, b) replaces", syscall(SYS_rename, "c", "b"));
    read_back("b", "b");
    SHOW("rename(missing, x)", syscall(SYS_rename, "missing", "x"));
    SHOW("rename(b, d) file over dir", syscall(SYS_rename, "b", "d"));
    SHOW("mkdir(e)", mkdir("e", 0755));
    SHOW("mkdir(e/f)", mkdir("e/f", 0755));
    SHOW("rename(d, e) over non-empty", syscall(SYS_rename, "d", "e"));
    SHOW("rename(e, e/f/g) into itself", syscall(SYS_rename, "e", "e/f/g"));
    SHOW("rename(d, b) dir over file", syscall(SYS_rename, "d", "b"));
    SHOW("renameat(dfd, b, dfd, d/b)", renameat(dfd, "b", dfd, "d/b"));
    SHOW("renameat(bad dirfd)", renameat(99, "x", dfd, "y"));
    SHOW("renameat2(NOREPLACE) exists", syscall(SYS_renameat2, dfd, "a", dfd, "l3", RENAME_NOREPLACE));
    SHOW("renameat2(NOREPLACE) free", syscall(SYS_renameat2, dfd, "l3", dfd, "l5", RENAME_NOREPLACE));
    SHOW("renameat2(bad flags)", syscall(SYS_renameat2, dfd, "a", dfd, "z", 0x100));
    fd = open("x1", O_CREAT | O_WRONLY, 0644);
    SHOW("write(x1)", write(fd, "X", 1));
    close(fd);
    SHOW("renameat2(EXCHANGE)", syscall(SYS_renameat2, dfd, "a", dfd, "x1", RENAME_EXCHANGE));
    read_back("renameat2(EXCHANGE) a after", "a");

    /* mknod */
    SHOW("mknod(fifo, S_IFIFO)", syscall(SYS_mknod, "fifo", S_IFIFO | 0644, 0));
    show_stat("lstat(fifo)", syscall(SYS_lstat, "fifo", &st), &st);
    SHOW("mknod(reg, S_IFREG)", syscall(SYS_mknod, "reg", S_IFREG | 0600, 0));
    show_stat("stat(reg)", syscall(SYS_stat, "reg", &st), &st);
    SHOW("mknod(fifo) exists", syscall(SYS_mknod, "fifo", S_IFIFO | 0644, 0));
    SHOW("mknod(bad type)", syscall(SYS_mknod, "bad", 0170000 | 0644, 0));

    /* getcwd / fchdir */
    size_t base = strlen(argv[1]);
    long r = syscall(SYS_getcwd, buf, sizeof buf);
    printf("getcwd: %s\n", r == (long)base + 1 && strcmp(buf, argv[1]) == 0 ? "scratch" : "?");
    SHOW("getcwd(size 1)", syscall(SYS_getcwd, buf, 1));
    SHOW("getcwd(bad buf)", syscall(SYS_getcwd, (void *)8, sizeof buf));
    int efd = open("e", O_RDONLY | O_DIRECTORY);
    SHOW("fchdir(e)", syscall(SYS_fchdir, efd));
    r = syscall(SYS_getcwd, buf, sizeof buf);
    printf("getcwd after fchdir: %s\n",
           r == (long)base + 3 && strcmp(buf + base, "/e") == 0 ? "scratch/e" : "?");
    int afd = open("../a", O_RDONLY);
    SHOW("fchdir(file)", syscall(SYS_fchdir, afd));
    SHOW("fchdir(bad fd)", syscall(SYS_fchdir, 99));
    SHOW("rmdir(f) from e", rmdir("f"));
    SHOW("fchdir(dfd)", syscall(SYS_fchdir, dfd));
    show_stat("stat(reg) after fchdir back", syscall(SYS_stat, "reg", &st), &st);
    return 0;
}
