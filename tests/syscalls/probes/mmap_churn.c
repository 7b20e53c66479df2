// File mmaps while another process forks and reaps children without pause, so that the
// Sentry takes a stream of SIGCHLDs during the fd hand-over of each mmap. Regression: a
// SIGCHLD that interrupted the Sentry's ADDFD|SEND left the mmap's doorbell call "replied"
// with 0 and no fd, and the task was killed for running a call that was not the Sentry's
// (and, being the namespace's init, deadlocked the Sentry's wait for its death).
// covers: mmap
// area: memory
#include "probe.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t churn = fork();
    if (churn == 0) {
        for (;;) {
            pid_t c = fork();
            if (c == 0) _exit(0);
            if (c > 0) waitpid(c, NULL, 0);
        }
    }
    int mapped = 0, wrong = 0, failed = 0;
    for (int i = 0; i < 3000; i++) {
        int fd = open("/etc/passwd", O_RDONLY);
        char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            failed++;
        } else {
            mapped++;
            if (strncmp(p, "root:", 5) != 0) wrong++;
            munmap(p, 4096);
        }
        close(fd);
    }
    kill(churn, SIGKILL);
    int st;
    waitpid(churn, &st, 0);
    printf("mapped %d, wrong content %d, failed %d\n", mapped, wrong, failed);
    printf("churner killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    return 0;
}
