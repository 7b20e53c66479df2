/* Children reaped every way the guest can: wait4(-1), wait4(pid), waitid(P_ALL),
 * waitid(P_PIDFD), by a thread other than the forking one, and a grandchild made a child
 * by CLONE_PARENT. Prints "reaped N" and blocks on stdin: meanwhile the test looks for
 * host zombies in the sandbox's PID namespace (there must be none: the host reaps what
 * the guest reaped, nothing else and nothing less). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(int code) {
    pid_t p = fork();
    if (p == 0) _exit(code);
    return p;
}

static int reaped;

static void *waiter(void *arg) {
    (void)arg;
    for (int i = 0; i < 4; i++)
        if (wait(NULL) > 0) reaped++;
    return NULL;
}

int main(void) {
    siginfo_t si;
    for (int i = 0; i < 4; i++) spawn(i);
    for (int i = 0; i < 4; i++)
        if (syscall(SYS_wait4, -1, NULL, 0, NULL) > 0) reaped++;
    for (int i = 0; i < 4; i++) {
        pid_t p = spawn(i);
        if (syscall(SYS_wait4, p, NULL, 0, NULL) == p) reaped++;
    }
    for (int i = 0; i < 4; i++) spawn(i);
    for (int i = 0; i < 4; i++)
        if (waitid(P_ALL, 0, &si, WEXITED) == 0) reaped++;
    pid_t p = spawn(1);
    int pfd = (int)syscall(SYS_pidfd_open, p, 0);
    if (pfd >= 0 && syscall(SYS_waitid, P_PIDFD, pfd, &si, WEXITED, NULL) == 0) reaped++;
    /* A thread reaps the children the main thread forks. */
    pthread_t th;
    for (int i = 0; i < 4; i++) spawn(i);
    pthread_create(&th, NULL, waiter, NULL);
    pthread_join(th, NULL);
    /* CLONE_PARENT: the middle child's child is ours. */
    pid_t mid = fork();
    if (mid == 0) {
        if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0) _exit(5);
        _exit(3);
    }
    for (int i = 0; i < 2; i++)
        if (wait(NULL) > 0) reaped++;
    printf("reaped %d, then %s\n", reaped, wait(NULL) < 0 ? "ECHILD" : "more");
    fflush(stdout);
    char b;
    while (read(0, &b, 1) > 0) {}
    return 0;
}
