// File basics: open/read/write/close, fstat fields, errno cases, getdents64.
// covers: openat, read, write, close, newfstatat, lseek, pread64, getdents64, mkdir, mkdirat, chdir, symlink, readlink, rmdir, unlink, unlinkat, umask
// area: files
// usage: file SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_stat(const char *what, int r, const struct stat *st) {
    if (r < 0) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    /* A directory's st_size depends on the file system: print it for other kinds only. */
    long long size = S_ISDIR(st->st_mode) ? -1 : (long long)st->st_size;
    printf("%s: mode=0%o size=%lld nlink=%lu uid=%u gid=%u\n", what, st->st_mode, size,
           (unsigned long)st->st_nlink, st->st_uid, st->st_gid);
}

static void list_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char buf[4096], *names[64];
    int n = 0;
    long r;
    while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < r;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (n < 64 && asprintf(&names[n], "%s/%d", d->d_name, d->d_type) > 0)
                n++;
            off += d->d_reclen;
        }
    }
    SHOW("getdents64 end", r);
    qsort(names, n, sizeof *names, cmp);
    printf("getdents64(%s):", path);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    SHOW("getdents64(bad fd)", syscall(SYS_getdents64, 99, buf, sizeof buf));
    int ffd = open("f", O_RDONLY | O_CLOEXEC);
    SHOW("getdents64(file fd)", syscall(SYS_getdents64, ffd, buf, 64));
    close(ffd);
    close(fd);
}

int main(int argc, char **argv) {
    struct stat st;
    char buf[256];
    if (argc < 2)
        return 2;
    umask(022);
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    SHOW("chdir(scratch)", chdir(argv[1]));

    int fd = SHOW("open(f, O_WRONLY|O_CREAT|O_EXCL, 0640)", open("f", O_WRONLY | O_CREAT | O_EXCL, 0640));
    SHOW("write(f)", write(fd, "hello, world\n", 13));
    SHOW("read(O_WRONLY fd)", read(fd, buf, 4));
    show_stat("fstat(f)", fstat(fd, &st), &st);
    SHOW("close", close(fd));
    SHOW("close again", close(fd));
    SHOW("open(f, O_CREAT|O_EXCL) again", open("f", O_WRONLY | O_CREAT | O_EXCL, 0600));

    fd = SHOW("open(f, O_RDONLY)", open("f", O_RDONLY));
    long n = SHOW("read(f, 100)", read(fd, buf, 100));
    printf("data: %.*s", (int)(n > 0 ? n : 0), buf);
    SHOW("read at EOF", read(fd, buf, 100));
    SHOW("lseek(7, SEEK_SET)", lseek(fd, 7, SEEK_SET));
    n = SHOW("read(5)", read(fd, buf, 5));
    printf("data: %.*s\n", (int)(n > 0 ? n : 0), buf);
    n = SHOW("pread(5, 0)", pread(fd, buf, 5, 0));
    printf("data: %.*s\n", (int)(n > 0 ? n : 0), buf);
    SHOW("lseek(0, SEEK_END)", lseek(fd, 0, SEEK_END));
    SHOW("lseek(-1, SEEK_SET)", lseek(fd, -1, SEEK_SET));
    SHOW("write(O_RDONLY fd)", write(fd, "x", 1));
    SHOW("read(bad buf)", syscall(SYS_pread64, fd, (void *)8, 4, 0));
    show_stat("fstat(f)", fstat(fd, &st), &st);
    SHOW("close", close(fd));
    show_stat("stat(f)", stat("f", &st), &st);
    SHOW("read(closed fd)", read(fd, buf, 1));

    SHOW("open(nonexistent)", open("nonexistent", O_RDONLY));
    SHOW("open(/nonexistent/x)", open("/nonexistent/x", O_RDONLY));
    SHOW("open(f/x)", open("f/x", O_RDONLY));
    SHOW("open(f, O_DIRECTORY)", open("f", O_RDONLY | O_DIRECTORY));
    SHOW("open(., O_WRONLY)", open(".", O_WRONLY));
    SHOW("open(., O_RDWR)", open(".", O_RDWR));
    SHOW("open(\"\")", open("", O_RDONLY));
    SHOW("openat(NULL path)", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    SHOW("openat(bad dirfd, rel)", openat(99, "f", O_RDONLY));
    memset(buf, 'a', 255);
    buf[255] = 0;
    SHOW("open(255-char name)", open(buf, O_RDONLY));
    char *longname = malloc(300);
    memset(longname, 'a', 299);
    longname[299] = 0;
    SHOW("open(299-char name)", open(longname, O_RDONLY));

    SHOW("symlink(f, link)", symlink("f", "link"));
    SHOW("symlink(loop2, loop1)", symlink("loop2", "loop1"));
    SHOW("symlink(loop1, loop2)", symlink("loop1", "loop2"));
    SHOW("open(loop1)", open("loop1", O_RDONLY));
    SHOW("open(link, O_NOFOLLOW)", open("link", O_RDONLY | O_NOFOLLOW));
    fd = SHOW("open(link)", open("link", O_RDONLY));
    SHOW("close", close(fd));
    n = SHOW("readlink(link)", readlink("link", buf, sizeof buf));
    printf("target: %.*s\n", (int)(n > 0 ? n : 0), buf);
    SHOW("readlink(f)", readlink("f", buf, sizeof buf));
    show_stat("lstat(link)", lstat("link", &st), &st);
    show_stat("stat(link)", stat("link", &st), &st);
    show_stat("stat(loop1)", stat("loop1", &st), &st);

    SHOW("mkdir(d, 0750)", mkdir("d", 0750));
    SHOW("mkdir(d) again", mkdir("d", 0750));
    show_stat("stat(d)", stat("d", &st), &st);
    int dfd = SHOW("open(d, O_DIRECTORY)", open("d", O_RDONLY | O_DIRECTORY));
    SHOW("read(dir fd)", read(dfd, buf, 10));
    SHOW("mkdirat(d, sub)", mkdirat(dfd, "sub", 0755));
    const char *names[] = {"a", "b", "c.txt"};
    for (int i = 0; i < 3; i++) {
        fd = openat(dfd, names[i], O_WRONLY | O_CREAT, 0644);
        SHOW("openat(d, name, O_CREAT) + close", close(fd));
    }
    SHOW("symlink(a, d/sl)", symlink("a", "d/sl"));
    show_stat("stat(d) after", stat("d", &st), &st);
    list_dir("d");
    SHOW("rmdir(d)", rmdir("d"));
    SHOW("unlink(d)", unlink("d"));
    SHOW("unlinkat(d, sub, AT_REMOVEDIR)", unlinkat(dfd, "sub", AT_REMOVEDIR));
    SHOW("unlinkat(d, a, AT_REMOVEDIR)", unlinkat(dfd, "a", AT_REMOVEDIR));
    SHOW("unlinkat(d, a, 0)", unlinkat(dfd, "a", 0));
    list_dir("d");
    SHOW("unlink(f)", unlink("f"));
    SHOW("unlink(f) again", unlink("f"));
    SHOW("open(link) dangling", open("link", O_RDONLY));
    return 0;
}
