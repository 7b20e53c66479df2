// POSIX record locks (fcntl F_SETLK/F_GETLK) and when a process loses them: at the close
// of any of its fds of the file (a dup's, a dup2 or dup3 over it, close_range), and at an
// exec that closes a CLOEXEC fd of it; other processes see them through F_GETLK.
// covers: fcntl, dup, dup2, dup3, close_range, execve
// area: files
#include "probe.h"
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path;

/* What another process sees of a write lock on the whole file. */
static void seen(const char *what) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int fd = open(path, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &fl) < 0)
            printf("%s: F_GETLK -1 %s\n", what, probe_errname(errno));
        else
            printf("%s: %s\n", what, fl.l_type == F_UNLCK ? "unlocked"
                                     : fl.l_type == F_WRLCK ? "write-locked" : "read-locked");
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static int locked_fd(int flags) {
    int fd = open(path, O_RDWR | flags);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    SHOW("F_SETLK", fcntl(fd, F_SETLK, &fl));
    return fd;
}

int main(int argc, char **argv) {
    char buf[4096];
    const char *dir = argc > 1 ? argv[1] : "posix-locks-scratch";
    mkdir(dir, 0700);  // the harness names a directory that does not exist yet
    snprintf(buf, sizeof buf, "%s/lockfile", dir);
    path = buf;
    close(open(path, O_RDWR | O_CREAT, 0600));
    int null = open("/dev/null", O_RDONLY);

    int fd = locked_fd(0);
    seen("locked");
    struct flock rd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    SHOW("F_SETLK read on 0-9 (downgrade)", fcntl(fd, F_SETLK, &rd));
    seen("after downgrade of 0-9");
    struct flock bad = {.l_type = 7, .l_whence = SEEK_SET};
    SHOW("F_SETLK bad type", fcntl(fd, F_SETLK, &bad));
    SHOW("F_SETLK bad fd", fcntl(999, F_SETLK, &rd));
    close(fd);
    seen("after close");

    fd = locked_fd(0);
    int d = dup(fd);
    close(d);
    seen("after close of a dup");

    fd = locked_fd(0);
    dup2(null, fd);
    seen("after dup2 over it");

    fd = locked_fd(0);
    SHOW("dup3 over it", dup3(null, fd, O_CLOEXEC));
    seen("after dup3 over it");

    fd = locked_fd(0);
    SHOW("close_range", syscall(SYS_close_range, fd, fd, 0));
    seen("after close_range");

    fd = locked_fd(0);
    SHOW("close_range CLOEXEC", syscall(SYS_close_range, fd, fd, 4 /* CLOSE_RANGE_CLOEXEC */));
    seen("after close_range CLOEXEC (still open)");
    close(fd);

    // A child locks through a CLOEXEC fd and execs a shell that says it runs, then waits.
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return 1;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int lfd = open(path, O_RDWR | O_CLOEXEC);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        fcntl(lfd, F_SETLK, &fl);
        dup2(go[0], 0);
        dup2(ready[1], 1);
        execl("/bin/sh", "sh", "-c", "echo ready; read x", (char *)NULL);
        _exit(127);
    }
    close(ready[1]);
    close(go[0]);
    char line[16] = {0};
    SHOW("child's shell ready", read(ready[0], line, sizeof line - 1) > 0);
    seen("after the child's exec");
    SHOW("let it go", write(go[1], "x\n", 2));
    waitpid(c, NULL, 0);
    return 0;
}
