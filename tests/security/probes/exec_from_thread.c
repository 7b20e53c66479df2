// A thread that is not the thread-group leader calls execve: Linux makes it the leader
// and the program runs. The Sentry must never crash on it.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *thread_main(void *p) {
    char *av[] = {"/bin/echo", "exec from a thread: ok", NULL};
    execv(av[0], av);
    perror("execv");
    return p;
}

int main(void) {
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    return 1;
}
