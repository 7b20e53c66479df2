// tmpfs size=1m: what writes, truncate and fallocate do at the limit, and statfs; with a
// second directory, tmpfs nr_inodes=5: creations, links and statfs at the inode limit.
// Run natively on `mount -t tmpfs -o size=1m` (and `-o nr_inodes=5`) and in a container
// with the same mounts.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static char buf[3 << 20];

static void show(const char *what, long r) {
    printf("%s = %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

static void inodes(const char *dir) {
    char p[256], q[256];
    struct statfs s;
    statfs(dir, &s);
    printf("inodes: files=%ld ffree=%ld\n", (long)s.f_files, (long)s.f_ffree);
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/f%d", dir, i);
        int fd = open(p, O_CREAT | O_RDWR, 0644);
        show("create", fd < 0 ? -1 : 0);
        if (fd >= 0)
            close(fd);
    }
    snprintf(p, sizeof p, "%s/d", dir);
    show("mkdir", mkdir(p, 0755));
    snprintf(p, sizeof p, "%s/s", dir);
    show("symlink", symlink("x", p));
    snprintf(p, sizeof p, "%s/f1", dir);
    snprintf(q, sizeof q, "%s/h", dir);
    show("link", link(p, q));
    statfs(dir, &s);
    printf("inodes: files=%ld ffree=%ld\n", (long)s.f_files, (long)s.f_ffree);
    snprintf(p, sizeof p, "%s/f0", dir);
    show("unlink", unlink(p));
    snprintf(p, sizeof p, "%s/f1", dir);
    show("link into the freed slot", link(p, q));
    statfs(dir, &s);
    printf("inodes: ffree=%ld\n", (long)s.f_ffree);
    show("unlink one of two links", unlink(q));
    statfs(dir, &s);
    printf("inodes: ffree=%ld\n", (long)s.f_ffree);
}

int main(int argc, char **argv) {
    char path[256];
    struct statfs s;
    struct stat st;
    memset(buf, 'x', sizeof buf);
    statfs(argv[1], &s);
    printf("statfs bsize=%ld blocks=%ld bfree=%ld bavail=%ld\n", (long)s.f_bsize,
           (long)s.f_blocks, (long)s.f_bfree, (long)s.f_bavail);
    snprintf(path, sizeof path, "%s/a", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    show("write 2m", write(fd, buf, 2 << 20));
    show("write 10", write(fd, buf, 10));
    fstatfs(fd, &s);
    printf("full: bfree=%ld bavail=%ld\n", (long)s.f_bfree, (long)s.f_bavail);
    show("pwrite over allocated", pwrite(fd, buf, 4096, 0));
    show("ftruncate 100m", ftruncate(fd, 100 << 20));
    fstat(fd, &st);
    printf("size=%ld blocks=%ld\n", (long)st.st_size, (long)st.st_blocks);
    show("pwrite in a hole", pwrite(fd, buf, 10, 50 << 20));
    show("ftruncate 0", ftruncate(fd, 0));
    show("fallocate 2m", fallocate(fd, 0, 0, 2 << 20));
    fstat(fd, &st);
    printf("size=%ld blocks=%ld\n", (long)st.st_size, (long)st.st_blocks);
    show("fallocate 512k", fallocate(fd, 0, 0, 512 << 10));
    fstat(fd, &st);
    printf("size=%ld blocks=%ld\n", (long)st.st_size, (long)st.st_blocks);
    show("pwrite 1m at 0", pwrite(fd, buf, 1 << 20, 0));
    show("pwrite 1 past the limit", pwrite(fd, buf, 1, (1 << 20) + 100));
    show("fallocate inside", fallocate(fd, 0, 0, 4096));
    show("fallocate collapse", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
    show("ftruncate 0", ftruncate(fd, 0));
    fstatfs(fd, &s);
    printf("emptied: bfree=%ld\n", (long)s.f_bfree);
    show("pwrite 5000", pwrite(fd, buf, 5000, 0));
    fstatfs(fd, &s);
    printf("bfree=%ld\n", (long)s.f_bfree);
    show("pwrite 1m from mid-page", pwrite(fd, buf, 1 << 20, 8192 + 100));
    fstat(fd, &st);
    printf("size=%ld\n", (long)st.st_size);
    close(fd);
    show("unlink", unlink(path));
    fd = open(path, O_RDWR | O_CREAT, 0644);
    show("write after unlink", write(fd, buf, 1 << 20));
    if (argc > 2)
        inodes(argv[2]);
    return 0;
}
