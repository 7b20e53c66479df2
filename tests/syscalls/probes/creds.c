// Group credentials in a child (setgid, setregid, setfsgid as root, then as an unprivileged
// user), and tkill: a signal to one thread by id.
// covers: setgid, setregid, setfsgid, getresgid, tkill
// area: processes and credentials
#include "probe.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_gids(const char *what) {
    gid_t r, e, s;
    getresgid(&r, &e, &s);
    printf("%s: rgid=%u egid=%u sgid=%u fsgid=%ld\n", what, r, e, s, syscall(SYS_setfsgid, -1));
}

static void creds(void) {
    SHOW("setgid(100)", syscall(SYS_setgid, 100));
    show_gids("after setgid(100)");
    SHOW("setregid(200, 300)", syscall(SYS_setregid, 200, 300));
    show_gids("after setregid(200, 300)");
    SHOW("setregid(-1, 400)", syscall(SYS_setregid, -1, 400));
    show_gids("after setregid(-1, 400)");
    SHOW("setfsgid(500) returns the old", syscall(SYS_setfsgid, 500));
    show_gids("after setfsgid(500)");
    SHOW("setgid(-1)", syscall(SYS_setgid, -1));
    SHOW("setresuid(1000, 1000, 1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
    show_gids("unprivileged");
    SHOW("setgid(0) unprivileged", syscall(SYS_setgid, 0));
    SHOW("setgid(200) the real gid", syscall(SYS_setgid, 200));
    show_gids("after setgid(200)");
    SHOW("setregid(0, -1) unprivileged", syscall(SYS_setregid, 0, -1));
    SHOW("setregid(400, 200) swap within", syscall(SYS_setregid, 400, 200));
    show_gids("after setregid(400, 200)");
    SHOW("setfsgid(0) unprivileged: returns old", syscall(SYS_setfsgid, 0));
    show_gids("fsgid unchanged");
    SHOW("setfsgid(400) allowed", syscall(SYS_setfsgid, 400));
    show_gids("after setfsgid(400)");
}

static volatile sig_atomic_t got;
static void on_usr1(int sig) { got = sig; }

int main(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        creds();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child exit: %d\n", WEXITSTATUS(st));

    signal(SIGUSR1, on_usr1);
    SHOW("tkill(self, SIGUSR1)", syscall(SYS_tkill, gettid(), SIGUSR1));
    printf("handler ran: %d\n", got);
    SHOW("tkill(self, 0) probe", syscall(SYS_tkill, gettid(), 0));
    SHOW("tkill(self, 99) bad signal", syscall(SYS_tkill, gettid(), 99));
    SHOW("tkill(0)", syscall(SYS_tkill, 0, SIGUSR1));
    SHOW("tkill(-1)", syscall(SYS_tkill, -1, SIGUSR1));
    SHOW("tkill(no such tid)", syscall(SYS_tkill, 999999, 0));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    SHOW("tkill(child, SIGTERM)", syscall(SYS_tkill, pid, SIGTERM));
    waitpid(pid, &st, 0);
    printf("child: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
