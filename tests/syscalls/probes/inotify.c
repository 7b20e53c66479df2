// inotify: events for changes made by the process itself, in a scratch directory.
// covers: inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch
// area: files
// usage: inotify SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ifd;
static int wd_dir, wd_file, wd_sub;

static const char *who(int wd) {
    if (wd == wd_dir) return "dir";
    if (wd == wd_file) return "file";
    if (wd == wd_sub) return "sub";
    return wd == -1 ? "-1" : "?";
}

static void mask_names(uint32_t m) {
    static const struct { uint32_t bit; const char *name; } names[] = {
        {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
        {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
        {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"},
        {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
        {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"},
    };
    const char *sep = "";
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m & names[i].bit) {
            printf("%s%s", sep, names[i].name);
            sep = "|";
        }
}

/* Prints every queued event; cookies only as "same as the previous cookie" or not. */
static void drain(const char *what) {
    char buf[4096] __attribute__((aligned(8)));
    static uint32_t last_cookie;
    printf("-- %s\n", what);
    for (;;) {
        long n = read(ifd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN)
                printf("read: -1 %s\n", probe_errname(errno));
            return;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("%s ", who(e->wd));
            mask_names(e->mask);
            if (e->len)
                printf(" \"%s\" len=%u", e->name, e->len);
            if (e->cookie)
                printf(" cookie%s", e->cookie == last_cookie ? "=prev" : "");
            last_cookie = e->cookie;
            printf("\n");
            p += sizeof *e + e->len;
        }
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[4096], file[4200], other[4200], sub[4200], path[4300];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(file, sizeof file, "%s/f", dir);
    snprintf(other, sizeof other, "%s/g", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(dir, 0755);

    int old = syscall(SYS_inotify_init);
    OK("inotify_init", old);
    SHOW("inotify_init F_GETFL nonblock", (fcntl(old, F_GETFL) & O_NONBLOCK) != 0);
    close(old);
    SHOW("inotify_init1 bad flags", inotify_init1(1));
    ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    OK("inotify_init1", ifd);
    SHOW("fcntl F_GETFD", fcntl(ifd, F_GETFD));
    SHOW("add_watch bad fd", inotify_add_watch(99, dir, IN_ALL_EVENTS));
    SHOW("add_watch not inotify", inotify_add_watch(0, dir, IN_ALL_EVENTS));
    SHOW("add_watch no events", inotify_add_watch(ifd, dir, 0));
    SHOW("add_watch missing", inotify_add_watch(ifd, file, IN_ALL_EVENTS));
    wd_dir = inotify_add_watch(ifd, dir, IN_ALL_EVENTS);
    OK("add_watch dir", wd_dir);
    SHOW("add_watch same again is same wd", inotify_add_watch(ifd, dir, IN_ALL_EVENTS) == wd_dir);
    SHOW("MASK_ADD|MASK_CREATE", inotify_add_watch(ifd, dir, IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE));
    SHOW("MASK_CREATE on existing", inotify_add_watch(ifd, dir, IN_OPEN | IN_MASK_CREATE));
    char buf[64];
    SHOW("read empty nonblocking", read(ifd, buf, sizeof buf));

    int fd = open(file, O_CREAT | O_WRONLY, 0644);
    write(fd, "abc", 3);
    write(fd, "def", 3);
    close(fd);
    drain("create, write twice, close");

    SHOW("add_watch ONLYDIR on file", inotify_add_watch(ifd, file, IN_ALL_EVENTS | IN_ONLYDIR));
    wd_file = inotify_add_watch(ifd, file, IN_ALL_EVENTS);
    OK("add_watch file", wd_file);
    int avail = -1;
    fd = open(file, O_RDONLY);
    SHOW("FIONREAD", ioctl(ifd, FIONREAD, &avail));
    printf("pending bytes: %d\n", avail);
    SHOW("read too small", read(ifd, buf, 8));
    read(fd, buf, 2);
    close(fd);
    drain("open, read, close (file and dir watches)");

    chmod(file, 0600);
    truncate(file, 1);
    drain("chmod, truncate");

    rename(file, other);
    drain("rename in dir");

    mkdir(sub, 0700);
    wd_sub = inotify_add_watch(ifd, sub, IN_ALL_EVENTS | IN_ONESHOT);
    snprintf(path, sizeof path, "%s/x", sub);
    close(open(path, O_CREAT | O_RDONLY, 0600));
    drain("oneshot sub: create x");
    unlink(path);
    drain("unlink in sub after oneshot");

    wd_sub = inotify_add_watch(ifd, sub, IN_DELETE_SELF);
    rmdir(sub);
    drain("rmdir sub");

    wd_file = inotify_add_watch(ifd, other, IN_ATTRIB | IN_MASK_ADD);
    OK("re-watch moved file", wd_file);
    SHOW("rm_watch", inotify_rm_watch(ifd, wd_file));
    SHOW("rm_watch again", inotify_rm_watch(ifd, wd_file));
    drain("after rm_watch");
    wd_file = inotify_add_watch(ifd, other, IN_ALL_EVENTS);
    unlink(other);
    drain("unlink watched file");

    struct pollfd p = {ifd, POLLIN, 0};
    SHOW("poll idle", poll(&p, 1, 0));
    close(open(file, O_CREAT | O_RDONLY, 0600));
    SHOW("poll with events", poll(&p, 1, 0));
    printf("revents %#x\n", p.revents);
    unlink(file);
    drain("create + unlink");
    SHOW("rm_watch dir", inotify_rm_watch(ifd, wd_dir));
    drain("after rm_watch dir");
    rmdir(dir);
    close(ifd);
    return 0;
}
