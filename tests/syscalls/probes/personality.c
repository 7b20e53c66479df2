// personality: the caller's execution domain, kept across fork and exec; what uname says
// under PER_LINUX32 (an i686 machine) and UNAME26 (a 2.6 release).
// covers: personality, uname
// area: processes
#include "probe.h"
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "again")) { /* the exec'd copy */
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
    struct utsname u, plain;
    uname(&plain);
    unsigned long doms[] = {PER_LINUX32, PER_LINUX | UNAME26, PER_LINUX32 | UNAME26, PER_LINUX};
    for (int i = 0; i < 4; i++) {
        personality(doms[i]);
        uname(&u);
        printf("uname under %#lx: machine %s, release %s\n", doms[i], u.machine,
               !strcmp(u.release, plain.release) ? "the host's"
               : !strncmp(u.release, "2.6.", 4) ? "2.6.x" : "other");
    }
    return 0;
}
