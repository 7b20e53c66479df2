// execve from a thread that is not the leader: the other threads die, the execing thread
// takes the leader's tid, and the new image runs as the same process (pid, parent).
// covers: execve, clone, gettid
// area: processes and credentials
#include "probe.h"
#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static char *self, pidbuf[32], ppidbuf[32];

static int count_tasks(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void *sleeper(void *p) {
    for (;;) pause();
    return p;
}

static void *execer(void *p) {
    SHOW("execv(missing) from a thread", execl("/nonexistent/prog", "x", NULL));
    fflush(stdout);
    execl(self, self, "-", "after", pidbuf, ppidbuf, NULL);
    perror("execl");
    exit(1);
}

static void after(char **argv) {
    YESNO("same pid", getpid() == atoi(argv[3]));
    YESNO("same parent", getppid() == atoi(argv[4]));
    YESNO("tid is the pid", gettid() == getpid());
    printf("threads: %d\n", count_tasks());
    pid_t c = fork();  // the process is whole: fork and wait still work
    if (c == 0) _exit(7);
    int st;
    YESNO("waitpid child", waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 7);
    pthread_t th;  // and new threads
    SHOW("pthread_create", pthread_create(&th, NULL, sleeper, NULL));
    printf("threads: %d\n", count_tasks());
    fflush(stdout);
    execl("/proc/self/exe", "x", "-", "final", NULL);  // the leader execs, a thread dies
    perror("execl");
    exit(1);
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[2], "final")) {
        printf("leader exec: threads: %d\n", count_tasks());
        return 0;
    }
    if (argc > 2 && !strcmp(argv[2], "after")) {
        after(argv);
        return 0;
    }
    self = argv[0];
    snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
    snprintf(ppidbuf, sizeof ppidbuf, "%d", getppid());
    pthread_t a, b, c;
    pthread_create(&a, NULL, sleeper, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    printf("threads before: %d\n", count_tasks());
    fflush(stdout);
    pthread_create(&c, NULL, execer, NULL);
    pthread_join(c, NULL);
    return 1;
}
