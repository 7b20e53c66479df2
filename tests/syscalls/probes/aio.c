// Linux native AIO: io_setup's ring (header, size, the program reaping it itself),
// io_submit's reads, writes, vectors, fsync, polls and eventfd notification, io_getevents'
// waits and timeouts, io_cancel of a poll, io_destroy, a fork's child without the
// context, a ring the program unmaps, and the errno cases.
// covers: io_setup, io_destroy, io_submit, io_getevents, io_pgetevents, io_cancel
// area: files
#include "probe.h"
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ring {
    unsigned id, nr, head, tail, magic, compat, incompat, hlen;
    struct io_event ev[];
};

static long setup(unsigned n, aio_context_t *c) { return syscall(SYS_io_setup, n, c); }
static long submit(aio_context_t c, long n, struct iocb **p) { return syscall(SYS_io_submit, c, n, p); }
static long getev(aio_context_t c, long mn, long n, struct io_event *e, struct timespec *t) {
    return syscall(SYS_io_getevents, c, mn, n, e, t);
}

static struct iocb cb;
static struct iocb *cbs[1] = {&cb};
static struct io_event ev[8];
static struct timespec zero = {0, 0};

static void rw(int op, int fd, void *buf, unsigned long n, long off) {
    memset(&cb, 0, sizeof cb);
    cb.aio_data = 0x1234;
    cb.aio_lio_opcode = op;
    cb.aio_fildes = fd;
    cb.aio_buf = (uintptr_t)buf;
    cb.aio_nbytes = n;
    cb.aio_offset = off;
}

static void event(const char *what, aio_context_t ctx) {
    long n = getev(ctx, 1, 8, ev, 0);
    printf("%s: %ld event(s), data %llx, obj %s, res %lld, res2 %lld\n", what, n,
           (unsigned long long)ev[0].data, ev[0].obj == (uintptr_t)&cb ? "ok" : "wrong",
           (long long)ev[0].res, (long long)ev[0].res2);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "aio-scratch";
    char path[4096];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/file", dir);
    aio_context_t ctx = 0, bad = 5;
    SHOW("io_setup 0", setup(0, &ctx));
    SHOW("io_setup, *ctxp not 0", setup(8, &bad));
    SHOW("io_setup, bad pointer", setup(8, (void *)8));
    SHOW("io_setup 0x7fffffff", setup(0x7fffffff, &ctx));
    SHOW("io_setup 8", setup(8, &ctx));
    struct ring *r = (struct ring *)ctx;
    printf("ring: id %u head %u tail %u magic %x compat %u incompat %u header %u\n", r->id,
           r->head, r->tail, r->magic, r->compat, r->incompat, r->hlen);
    YESNO("ring size: 4 events per CPU, doubled, whole pages", r->nr >= 16 && (32 + r->nr * 32) % 4096 == 0);

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "hello world", 11);
    char buf[32] = {0};
    rw(IOCB_CMD_PREAD, fd, buf, 5, 6);
    SHOW("pread", submit(ctx, 1, cbs));
    printf("ring: head %u tail %u\n", r->head, r->tail);
    event("its event", ctx);
    printf("read %s; ring: head %u tail %u\n", buf, r->head, r->tail);
    SHOW("file offset unchanged", lseek(fd, 0, SEEK_CUR));
    SHOW("getevents, none, timeout 0", getev(ctx, 1, 8, ev, &zero));
    struct timespec t50 = {0, 50000000};
    SHOW("getevents, none, 50 ms", getev(ctx, 1, 8, ev, &t50));
    SHOW("getevents, min 0", getev(ctx, 0, 8, ev, 0));
    SHOW("getevents, min > nr", getev(ctx, 3, 2, ev, &zero));
    SHOW("getevents, nr < 0", getev(ctx, 0, -1, ev, &zero));
    SHOW("getevents, bad context", getev(12345, 1, 8, ev, &zero));
    SHOW("getevents, bad timeout", getev(ctx, 1, 8, ev, (void *)8));
    rw(IOCB_CMD_PWRITE, fd, "XY", 2, 0);
    SHOW("pwrite", submit(ctx, 1, cbs));
    event("its event", ctx);
    rw(IOCB_CMD_PREAD, fd, (void *)8, 5, 0);
    SHOW("pread to a bad buffer", submit(ctx, 1, cbs));
    event("its event", ctx);
    struct iovec iov[2] = {{buf, 2}, {buf + 2, 3}};
    memset(buf, 0, sizeof buf);
    rw(IOCB_CMD_PREADV, fd, iov, 2, 0);
    SHOW("preadv", submit(ctx, 1, cbs));
    event("its event", ctx);
    printf("read %s\n", buf);
    rw(IOCB_CMD_FSYNC, fd, buf, 1, 0);
    SHOW("fsync with a buffer", submit(ctx, 1, cbs));
    rw(IOCB_CMD_FSYNC, fd, 0, 0, 0);
    SHOW("fsync", submit(ctx, 1, cbs));
    event("its event", ctx);

    rw(IOCB_CMD_PREAD, 99, buf, 1, 0);
    SHOW("bad fd", submit(ctx, 1, cbs));
    rw(99, fd, buf, 1, 0);
    SHOW("bad opcode", submit(ctx, 1, cbs));
    rw(IOCB_CMD_NOOP, fd, buf, 1, 0);
    SHOW("IOCB_CMD_NOOP", submit(ctx, 1, cbs));
    rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
    cb.aio_reserved2 = 1;
    SHOW("reserved2 set", submit(ctx, 1, cbs));
    rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
    cb.aio_rw_flags = 0x40000000;
    SHOW("unknown rw_flags", submit(ctx, 1, cbs));
    rw(IOCB_CMD_PREAD, fd, buf, 1, -1);
    SHOW("negative offset", submit(ctx, 1, cbs));
    SHOW("bad context", submit(777, 1, cbs));
    SHOW("nr < 0", submit(ctx, -1, cbs));
    SHOW("nr 0", submit(ctx, 0, cbs));
    SHOW("bad array", submit(ctx, 1, (void *)8));
    rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
    struct iocb *two[2] = {&cb, (void *)8};
    SHOW("second iocb bad", submit(ctx, 2, two));
    event("the first's event", ctx);
    int ro = open(path, O_RDONLY);
    rw(IOCB_CMD_PWRITE, ro, buf, 1, 0);
    SHOW("pwrite, O_RDONLY", submit(ctx, 1, cbs));

    int efd = eventfd(0, 0);
    rw(IOCB_CMD_PREAD, fd, buf, 3, 0);
    cb.aio_flags = IOCB_FLAG_RESFD;
    cb.aio_resfd = efd;
    SHOW("pread, RESFD", submit(ctx, 1, cbs));
    uint64_t count;
    SHOW("eventfd read", read(efd, &count, 8));
    printf("eventfd count %llu\n", (unsigned long long)count);
    event("its event", ctx);
    cb.aio_resfd = fd;
    SHOW("RESFD not an eventfd", submit(ctx, 1, cbs));
    cb.aio_resfd = 99;
    SHOW("RESFD bad fd", submit(ctx, 1, cbs));

    int p[2];
    pipe(p);
    rw(IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
    cb.aio_flags = IOCB_FLAG_RESFD;
    cb.aio_resfd = efd;
    SHOW("poll, pipe empty", submit(ctx, 1, cbs));
    SHOW("getevents, poll pending", getev(ctx, 1, 8, ev, &zero));
    write(p[1], "x", 1);
    event("written: its event", ctx);
    SHOW("eventfd read", read(efd, &count, 8));
    rw(IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
    SHOW("poll, pipe readable", submit(ctx, 1, cbs));
    event("its event at once", ctx);
    rw(IOCB_CMD_POLL, p[0], (void *)POLLIN, 1, 0);
    SHOW("poll with nbytes", submit(ctx, 1, cbs));
    rw(IOCB_CMD_POLL, p[0], (void *)0x10000, 0, 0);
    SHOW("poll, events past 16 bits", submit(ctx, 1, cbs));
    char b;
    read(p[0], &b, 1);
    rw(IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
    SHOW("poll to cancel", submit(ctx, 1, cbs));
    struct io_event ce;
    SHOW("io_cancel", syscall(SYS_io_cancel, ctx, &cb, &ce));
    event("the cancelled one's event", ctx);
    SHOW("io_cancel, done already", syscall(SYS_io_cancel, ctx, &cb, &ce));
    SHOW("io_cancel, bad context", syscall(SYS_io_cancel, 777, &cb, &ce));
    rw(IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
    SHOW("poll, then the writer closes", submit(ctx, 1, cbs));
    close(p[1]);
    event("its event", ctx);

    /* A read of an empty pipe waits in io_submit until a writer comes. */
    pipe(p);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        write(p[1], "y", 1);
        _exit(0);
    }
    rw(IOCB_CMD_PREAD, p[0], buf, 4, 0);
    SHOW("pread of an empty pipe", submit(ctx, 1, cbs));
    event("its event", ctx);
    waitpid(c, 0, 0);

    /* The program may take events from the ring itself. */
    rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
    submit(ctx, 1, cbs);
    printf("unreaped %u\n", (r->tail - r->head + r->nr) % r->nr);
    r->head = r->tail;
    SHOW("getevents after reaping in the program", getev(ctx, 0, 8, ev, &zero));

    /* The ring bounds what may be outstanding. */
    static struct iocb many[300];
    static struct iocb *mp[300];
    for (int i = 0; i < 300; i++) {
        rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
        many[i] = cb;
        mp[i] = &many[i];
    }
    long n = submit(ctx, 300, mp);
    YESNO("300 submitted on a ring of nr: at least 8, fewer than nr", n >= 8 && n < r->nr);
    rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
    SHOW("one more", submit(ctx, 1, cbs));

    fflush(stdout);
    c = fork();
    if (c == 0) {
        rw(IOCB_CMD_PREAD, fd, buf, 1, 0);
        _exit(submit(ctx, 1, cbs) == -1 && errno == EINVAL ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    YESNO("a fork's child has no context: EINVAL", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    SHOW("io_destroy", syscall(SYS_io_destroy, ctx));
    SHOW("io_destroy again", syscall(SYS_io_destroy, ctx));
    SHOW("getevents, destroyed", getev(ctx, 0, 8, ev, &zero));
    aio_context_t c2 = 0, c3 = 0;
    SHOW("io_setup 1", setup(1, &c2));
    printf("ring id %u\n", ((struct ring *)c2)->id);
    SHOW("io_setup 200", setup(200, &c3));
    printf("ring id %u, nr %s\n", ((struct ring *)c3)->id,
           ((struct ring *)c3)->nr >= 400 ? "at least 400" : "too small");
    struct {
        const void *mask;
        size_t size;
    } usig = {0, 0};
    SHOW("io_pgetevents, no mask", syscall(SYS_io_pgetevents, c2, 0, 8, ev, &zero, &usig));
    /* A context whose ring the program unmaps dies. */
    SHOW("munmap the ring", munmap((void *)c2, 4096));
    SHOW("getevents", getev(c2, 0, 8, ev, &zero));
    SHOW("io_destroy", syscall(SYS_io_destroy, c2));
    unlink(path);
    return 0;
}
