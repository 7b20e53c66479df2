// preadv2 and pwritev2: offsets (-1: the file position), RWF_NOWAIT, RWF_APPEND,
// RWF_NOAPPEND, RWF_HIPRI/DSYNC/SYNC, and their errno cases.
// covers: preadv2, pwritev2
// area: files
// usage: rw2 SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif

static long p2(long nr, int fd, struct iovec *iov, int n, long off, int flags) {
    return syscall(nr, fd, iov, n, off, 0L, flags);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char path[4200], buf[64];
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    snprintf(path, sizeof path, "%s/f", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    struct iovec w[2] = {{"hello ", 6}, {"world", 5}};
    SHOW("pwritev2(offset 0)", p2(SYS_pwritev2, fd, w, 2, 0, 0));
    SHOW("lseek after pwritev2(offset 0)", lseek(fd, 0, SEEK_CUR));
    SHOW("pwritev2(offset -1)", p2(SYS_pwritev2, fd, w, 1, -1, 0));
    SHOW("lseek after pwritev2(offset -1)", lseek(fd, 0, SEEK_CUR));
    SHOW("pwritev2(RWF_DSYNC|RWF_SYNC|RWF_HIPRI)", p2(SYS_pwritev2, fd, w, 1, 20, RWF_DSYNC | RWF_SYNC | RWF_HIPRI));
    SHOW("pwritev2(RWF_APPEND, offset 0)", p2(SYS_pwritev2, fd, w + 1, 1, 0, RWF_APPEND));
    SHOW("lseek after RWF_APPEND at offset 0", lseek(fd, 0, SEEK_CUR));
    struct stat st;
    fstat(fd, &st);
    printf("size after RWF_APPEND: %ld\n", (long)st.st_size);
    SHOW("pwritev2(RWF_APPEND, offset -1)", p2(SYS_pwritev2, fd, w + 1, 1, -1, RWF_APPEND));
    SHOW("lseek after RWF_APPEND at offset -1", lseek(fd, 0, SEEK_CUR));
    SHOW("pwritev2(RWF_APPEND|RWF_NOAPPEND)", p2(SYS_pwritev2, fd, w, 1, 0, RWF_APPEND | RWF_NOAPPEND));
    SHOW("pwritev2(unknown flag)", p2(SYS_pwritev2, fd, w, 1, 0, 0x10000));
    SHOW("pwritev2(offset -2)", p2(SYS_pwritev2, fd, w, 1, -2, 0));
    SHOW("pwritev2(bad fd)", p2(SYS_pwritev2, 99, w, 1, 0, 0));
    struct iovec none = {NULL, 0};
    SHOW("pwritev2(empty, unknown flag)", p2(SYS_pwritev2, fd, &none, 1, 0, 0x10000));

    struct iovec r = {buf, sizeof buf};
    memset(buf, 0, sizeof buf);
    long n = p2(SYS_preadv2, fd, &r, 1, 0, 0);
    show_bytes("preadv2(offset 0)", buf, n);
    lseek(fd, 6, SEEK_SET);
    memset(buf, 0, sizeof buf);
    struct iovec r5 = {buf, 5};
    n = p2(SYS_preadv2, fd, &r5, 1, -1, 0);
    show_bytes("preadv2(offset -1)", buf, n);
    SHOW("lseek after preadv2(offset -1)", lseek(fd, 0, SEEK_CUR));
    n = p2(SYS_preadv2, fd, &r5, 1, 0, RWF_NOWAIT);
    show_bytes("preadv2(RWF_NOWAIT, a regular file)", buf, n);
    SHOW("preadv2(RWF_APPEND|RWF_NOAPPEND)", p2(SYS_preadv2, fd, &r, 1, 0, RWF_APPEND | RWF_NOAPPEND));
    SHOW("preadv2(unknown flag)", p2(SYS_preadv2, fd, &r, 1, 0, 0x10000));
    SHOW("preadv2(offset -2)", p2(SYS_preadv2, fd, &r, 1, -2, 0));
    SHOW("preadv2(bad iovec)", p2(SYS_preadv2, fd, (struct iovec *)8, 1, 0, 0));
    close(fd);

    /* O_APPEND: pwritev2 appends whatever the offset says, unless RWF_NOAPPEND. */
    fd = open(path, O_RDWR | O_APPEND);
    SHOW("pwritev2(O_APPEND file, offset 0)", p2(SYS_pwritev2, fd, w, 1, 0, 0));
    fstat(fd, &st);
    printf("size after: %ld\n", (long)st.st_size);
    SHOW("pwritev2(O_APPEND file, RWF_NOAPPEND, offset 0)", p2(SYS_pwritev2, fd, w + 1, 1, 0, RWF_NOAPPEND));
    fstat(fd, &st);
    printf("size after: %ld\n", (long)st.st_size);
    memset(buf, 0, sizeof buf);
    n = p2(SYS_preadv2, fd, &r5, 1, 0, 0);
    show_bytes("preadv2 of the start", buf, n);
    close(fd);

    /* Pipes: RWF_NOWAIT does not wait; offsets other than -1 are ESPIPE. */
    int p[2];
    pipe(p);
    SHOW("preadv2(pipe, RWF_NOWAIT, empty)", p2(SYS_preadv2, p[0], &r, 1, -1, RWF_NOWAIT));
    SHOW("pwritev2(pipe, offset -1)", p2(SYS_pwritev2, p[1], w, 2, -1, 0));
    SHOW("pwritev2(pipe, offset 0)", p2(SYS_pwritev2, p[1], w, 2, 0, 0));
    memset(buf, 0, sizeof buf);
    n = p2(SYS_preadv2, p[0], &r, 1, -1, RWF_NOWAIT);
    show_bytes("preadv2(pipe, RWF_NOWAIT, data)", buf, n);
    SHOW("preadv2(pipe, offset 0)", p2(SYS_preadv2, p[0], &r, 1, 0, 0));
    return 0;
}
