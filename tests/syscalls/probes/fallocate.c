// fallocate(2): modes 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE, and the errno cases of
// vfs_fallocate (EINVAL, EOPNOTSUPP, EBADF, ESPIPE, ENODEV, EFBIG).
// covers: fallocate
// area: files
#include "probe.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static long size_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    SHOW("mode 0, 8192", fallocate(fd, 0, 0, 8192));
    SHOW("size", size_of(fd));
    SHOW("keep size, past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
    SHOW("size", size_of(fd));
    SHOW("write", pwrite(fd, "abcdefgh", 8, 4096));
    SHOW("punch hole", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
    char b[8] = {1};
    SHOW("read punched", pread(fd, b, 8, 4096));
    YESNO("zeros", memcmp(b, "\0\0\0\0\0\0\0\0", 8) == 0);
    SHOW("size", size_of(fd));
    SHOW("len 0", fallocate(fd, 0, 0, 0));
    SHOW("negative offset", fallocate(fd, 0, -1, 10));
    SHOW("unknown mode", fallocate(fd, 0x80, 0, 10));
    SHOW("punch without keep size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
    SHOW("too far", fallocate(fd, 0, INT64_MAX - 10, 100));
    int ro = open(path, O_RDONLY);
    SHOW("read-only fd", fallocate(ro, 0, 0, 10));
    int op = open(path, O_PATH);
    SHOW("O_PATH fd", fallocate(op, 0, 0, 10));
    int p[2];
    pipe(p);
    SHOW("pipe", fallocate(p[1], 0, 0, 10));
    int null = open("/dev/null", O_WRONLY);
    SHOW("/dev/null", fallocate(null, 0, 0, 10));
    SHOW("bad fd", fallocate(999, 0, 0, 10));
    unlink(path);
    return 0;
}
