// pidfd_getfd: a duplicate of a child's fd (the same open file description, close-on-exec),
// with its permission and errno cases.
// covers: pidfd_getfd, pidfd_open
// area: processes
#include "probe.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int go[2], back[2];
    pipe(go);
    pipe(back);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int fd = open("/dev/null", O_RDONLY);
        lseek(fd, 0, SEEK_SET);
        write(back[1], &fd, sizeof fd);
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    int cfd;
    read(back[0], &cfd, sizeof cfd);
    int pidfd = syscall(SYS_pidfd_open, child, 0);
    int got = syscall(SYS_pidfd_getfd, pidfd, cfd, 0);
    YESNO("pidfd_getfd", got >= 0);
    SHOW("pidfd_getfd's fd FD_CLOEXEC", fcntl(got, F_GETFD));
    SHOW("pidfd_getfd's fd flags", fcntl(got, F_GETFL) & O_ACCMODE);
    SHOW("pidfd_getfd(flags 1)", syscall(SYS_pidfd_getfd, pidfd, cfd, 1));
    SHOW("pidfd_getfd(an fd it does not have)", syscall(SYS_pidfd_getfd, pidfd, 99, 0));
    SHOW("pidfd_getfd(not a pidfd)", syscall(SYS_pidfd_getfd, got, cfd, 0));
    SHOW("pidfd_getfd(bad fd)", syscall(SYS_pidfd_getfd, 99, cfd, 0));
    fflush(stdout);
    pid_t nobody = fork();
    if (nobody == 0) {
        setuid(65534);
        SHOW("pidfd_getfd as nobody", syscall(SYS_pidfd_getfd, pidfd, cfd, 0));
        fflush(stdout);
        _exit(0);
    }
    waitpid(nobody, NULL, 0);
    write(go[1], "x", 1);
    siginfo_t si;
    waitid(P_PIDFD, pidfd, &si, WEXITED | WNOWAIT);
    SHOW("pidfd_getfd of a zombie", syscall(SYS_pidfd_getfd, pidfd, cfd, 0));
    waitpid(child, NULL, 0);
    SHOW("pidfd_getfd of a reaped process", syscall(SYS_pidfd_getfd, pidfd, cfd, 0));
    return 0;
}
