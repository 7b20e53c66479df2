// F_SETLKW's deadlock detection (posix_locks_deadlock): two processes each holding a byte
// the other waits for, then a chain of three; exactly one request in each cycle gets
// EDEADLK, whichever came last; the process that got it exits, and its locks go with it,
// so the others get theirs. A waiter gets a lock whose owner exits without unlocking.
// covers: fcntl, wait4
// area: files
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int *deadlocks;  // shared: how many requests got EDEADLK

static int lock_byte(int fd, int cmd, short type, off_t at) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    return fcntl(fd, cmd, &fl);
}

/* Holds byte `mine`, waits until every party holds its own, then asks for `want`. */
static void party(const char *path, int mine, int want, int ready_w, int go_r) {
    int fd = open(path, O_RDWR);
    lock_byte(fd, F_SETLK, F_WRLCK, mine);
    write(ready_w, "r", 1);
    char b;
    read(go_r, &b, 1);
    usleep(mine * 100000);  // a likely order; the result does not depend on it
    if (lock_byte(fd, F_SETLKW, F_WRLCK, want) < 0) {
        if (errno == EDEADLK)
            __atomic_add_fetch(deadlocks, 1, __ATOMIC_SEQ_CST);
        _exit(1);  // gives its byte up: the others get theirs
    }
    _exit(0);
}

static void cycle(const char *path, int n) {
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    *deadlocks = 0;
    pid_t kids[3];
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            party(path, i, (i + 1) % n, ready[1], go[0]);
    }
    char b;
    for (int i = 0; i < n; i++)
        read(ready[0], &b, 1);
    for (int i = 0; i < n; i++)
        write(go[1], "g", 1);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    printf("cycle of %d: %d EDEADLK, %d got their lock\n", n, *deadlocks, ok);
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "lock-deadlock-scratch";
    mkdir(dir, 0700);
    char path[4096];
    snprintf(path, sizeof path, "%s/lock_deadlock.tmp", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "0123", 4);
    deadlocks = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cycle(path, 2);
    cycle(path, 3);
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int cfd = open(path, O_RDWR);
        lock_byte(cfd, F_SETLK, F_WRLCK, 2);
        write(ready[1], "r", 1);
        usleep(200000);
        _exit(0);  // exits holding the lock
    }
    char b;
    read(ready[0], &b, 1);
    SHOW("F_SETLK on the child's byte", lock_byte(fd, F_SETLK, F_WRLCK, 2) == -1 && errno == EAGAIN);
    SHOW("F_SETLKW until the child exits", lock_byte(fd, F_SETLKW, F_WRLCK, 2));
    waitpid(c, 0, 0);
    /* The caller waits for nothing when the lock is its own or free: no EDEADLK. */
    SHOW("F_SETLKW on our own lock", lock_byte(fd, F_SETLKW, F_WRLCK, 0));
    SHOW("again", lock_byte(fd, F_SETLKW, F_RDLCK, 0));
    unlink(path);
    return 0;
}
