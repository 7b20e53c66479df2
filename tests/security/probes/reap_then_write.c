// Each write must happen once. After the guest reaps a child the Sentry interrupts the
// parent to reap the host zombie; a write in flight must not be performed twice.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < 10; i++) {
        pid_t c = fork();
        if (c == 0)
            _exit(i);
        int st = 0;
        waitpid(c, &st, 0);
        printf("child %d exited %d\n", i, WEXITSTATUS(st));
    }
    printf("end\n");
    return 0;
}
