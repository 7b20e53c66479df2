// inotify_init(2), the flagless legacy number: its fd flags, and an event for a file created
// in the watched directory (after EINVAL for a buffer too small for it).
// covers: inotify_init
// area: files
// usage: inotify_init SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char buf[4096] __attribute__((aligned(8)));
    if (argc < 2)
        return 2;
    SHOW("mkdir(scratch)", mkdir(argv[1], 0755));
    int fd = OK("inotify_init", syscall(SYS_inotify_init));
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    printf("inotify_init flags: nonblock=%d cloexec=%d\n", !!(fl & O_NONBLOCK), !!(fdfl & FD_CLOEXEC));
    SHOW("inotify_add_watch(scratch, IN_CREATE)", inotify_add_watch(fd, argv[1], IN_CREATE));
    SHOW("chdir(scratch)", chdir(argv[1]));
    close(open("new", O_CREAT | O_WRONLY, 0644));
    SHOW("read(too small for the event)", read(fd, buf, 4));
    long n = SHOW("read(events) > 0", read(fd, buf, sizeof buf) > 0);
    struct inotify_event *ev = (struct inotify_event *)buf;
    if (n > 0)
        printf("event: wd=%d mask=0x%x name=%s\n", ev->wd, ev->mask, ev->len ? ev->name : "");
    return 0;
}
