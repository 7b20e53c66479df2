// ioprio_set and ioprio_get: classes and levels, their checks, a group's and a user's
// best, inheritance by fork, and permissions.
// covers: ioprio_set, ioprio_get
// area: processes
#include "probe.h"
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define IOPRIO(cls, data) ((cls) << 13 | (data))

int main(void) {
    SHOW("ioprio_get(own)", syscall(SYS_ioprio_get, 1, 0));
    SHOW("ioprio_set(best-effort 3)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 3)));
    SHOW("ioprio_get(own)", syscall(SYS_ioprio_get, 1, 0));
    SHOW("ioprio_set(best-effort with a hint)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 1 << 3 | 1)));
    SHOW("ioprio_set(class none, level 1)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(0, 1)));
    SHOW("ioprio_set(class 4)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(4, 0)));
    SHOW("ioprio_set(-1)", syscall(SYS_ioprio_set, 1, 0, -1));
    SHOW("ioprio_set(idle 5)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(3, 5)));
    SHOW("ioprio_get(own)", syscall(SYS_ioprio_get, 1, 0));
    SHOW("ioprio_set(real-time 2)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(1, 2)));
    SHOW("ioprio_get(own process group)", syscall(SYS_ioprio_get, 2, 0));
    SHOW("ioprio_get(bad which)", syscall(SYS_ioprio_get, 9, 0));
    SHOW("ioprio_get(no such pid)", syscall(SYS_ioprio_get, 1, 99999));
    SHOW("ioprio_set(bad which)", syscall(SYS_ioprio_set, 9, 0, IOPRIO(2, 0)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        SHOW("child: ioprio_get (inherited)", syscall(SYS_ioprio_get, 1, 0));
        setpgid(0, 0);
        SHOW("child: ioprio_set(best-effort 6)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 6)));
        SHOW("child: ioprio_get(its process group)", syscall(SYS_ioprio_get, 2, 0));
        setuid(65534);
        SHOW("child as nobody: ioprio_set(real-time)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(1, 0)));
        SHOW("child as nobody: ioprio_set(its parent)", syscall(SYS_ioprio_set, 1, getppid(), IOPRIO(2, 0)));
        SHOW("child as nobody: ioprio_set(idle)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(3, 0)));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    SHOW("ioprio_set(0)", syscall(SYS_ioprio_set, 1, 0, 0));
    SHOW("ioprio_get(own)", syscall(SYS_ioprio_get, 1, 0));
    return 0;
}
