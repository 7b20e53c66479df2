// setpgid(2)'s checks in Linux's order: a thread that leads no group (EINVAL), a child
// before and after its execve (EACCES after), the caller itself, bad arguments. It runs in
// a child that made its own session, so the same natively and as the sandbox's init.
// covers: setpgid, getpgid, execve
// area: processes and credentials
#include "probe.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t thread_tid;

static void *thread_main(void *arg) {
    (void)arg;
    thread_tid = gettid();
    pause();
    return 0;
}

static void test(void) {
    int go[2], execd[2];
    pipe(go);
    pipe2(execd, O_CLOEXEC);
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(execd[0]);
        read(go[0], &b, 1);
        execl("/bin/sleep", "sleep", "5", (char *)0);
        _exit(127);
    }
    close(execd[1]);
    SHOW("child before exec: own group", setpgid(c, c));
    YESNO("its pgid is its pid", getpgid(c) == c);
    SHOW("child before exec: back to ours", setpgid(c, getpgrp()));
    SHOW("child before exec: a group that is not there", setpgid(c, 99999));
    write(go[1], "x", 1);
    char b;
    SHOW("exec done (cloexec pipe at EOF)", read(execd[0], &b, 1));
    SHOW("child after exec: own group", setpgid(c, 0));
    SHOW("child after exec: our group", setpgid(c, getpgrp()));
    YESNO("its pgid unchanged", getpgid(c) == getpgrp());
    pthread_t t;
    pthread_create(&t, 0, thread_main, 0);
    while (!thread_tid)
        usleep(1000);
    SHOW("a thread's tid", setpgid(thread_tid, 0));
    SHOW("self, a session leader", setpgid(0, 0));
    SHOW("self by pid, a session leader", setpgid(getpid(), 0));
    SHOW("pgid -1", setpgid(0, -1));
    SHOW("no such pid", setpgid(99999, 0));
    SHOW("our parent", setpgid(getppid(), 0));
    kill(c, SIGKILL);
    SHOW("reaped", waitpid(c, 0, 0) == c);
    fflush(stdout);
}

int main(void) {
    fflush(stdout);
    pid_t m = fork();
    if (m == 0) {
        SHOW("setsid", setsid() == getpid());
        test();
        _exit(0);
    }
    SHOW("tested", waitpid(m, 0, 0) == m);
    return 0;
}
