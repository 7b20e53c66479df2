// personality: the caller's execution domain, kept across fork and exec.
// covers: personality
// area: processes
#include "probe.h"
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1) { /* the exec'd copy */
        printf("after exec: %#x\n", personality(0xffffffff));
        return 0;
    }
    printf("personality(query): %#x\n", personality(0xffffffff));
    printf("personality(ADDR_NO_RANDOMIZE): %#x\n", personality(ADDR_NO_RANDOMIZE));
    printf("personality(query) after: %#x\n", personality(0xffffffff));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("in a child: %#x\n", personality(0xffffffff));
        fflush(stdout);
        execl("/proc/self/exe", argv[0], "again", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    printf("personality(PER_LINUX): %#x\n", personality(PER_LINUX));
    printf("personality(query) at the end: %#x\n", personality(0xffffffff));
    return 0;
}
