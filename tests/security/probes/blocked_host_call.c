// A task blocked in an allow-listed host call (pause, a futex wait) must not stop the
// Sentry serving the others. usage: blocked_host_call pause|join
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *p) {
    usleep(10000);
    return p;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "join") == 0) {
        for (int i = 0; i < 5; i++) {
            pthread_t th;
            pthread_create(&th, NULL, thread_main, NULL);
            pthread_join(th, NULL);
        }
        printf("joined 5 threads\n");
        return 0;
    }
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    usleep(100000);
    printf("parent runs while the child pauses\n");
    kill(c, SIGKILL);
    int st = 0;
    waitpid(c, &st, 0);
    /* the status, not a line: a write right after a reap may be repeated (another test) */
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 1;
}
