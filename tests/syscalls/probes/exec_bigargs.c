// execve's argument room: Linux takes strings up to a quarter of RLIMIT_STACK (less the
// pointer arrays), each under MAX_ARG_STRLEN (32 pages), and says E2BIG beyond, before
// the point of no return. The largest argv each limit lets through is found by a binary
// search over execs of the probe itself, whose child checks every byte it got.
// covers: execve, prlimit64
// area: process
// usage: exec_bigargs SCRATCH
#include "probe.h"
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARG_STRLEN (32 * 4096)
#define MAX_N 4000

static char *args[MAX_N + 3];
static char *env[] = {"A=1", NULL};  /* the same natively and sandboxed */

/* The child: every argument after "child" is len-1 bytes of its own letter. */
static int check(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        for (size_t j = 0; j < n; j++)
            if (argv[i][j] != 'a' + i % 26)
                return 3;
    }
    return 0;
}

/* execve of this probe with n strings of len bytes (NUL included): 0 if the child ran
 * and saw them intact, else execve's errno, or -1 for a child that died or saw others. */
static int try_exec(int n, size_t len) {
    static char *pool[MAX_N];
    for (int i = 0; i < n; i++) {
        if (!pool[i])
            pool[i] = malloc(MAX_ARG_STRLEN + 1);
        memset(pool[i], 'a' + (i + 2) % 26, len - 1);
        pool[i][len - 1] = 0;
    }
    args[0] = "/proc/self/exe";
    args[1] = "child";
    for (int i = 0; i < n; i++)
        args[i + 2] = pool[i];
    args[n + 2] = NULL;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        execve("/proc/self/exe", args, env);
        int e = errno;
        write(pipefd[1], &e, sizeof e);
        _exit(1);
    }
    close(pipefd[1]);
    int e = 0;
    ssize_t got = read(pipefd[0], &e, sizeof e);
    close(pipefd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (got == sizeof e)
        return e;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The largest n in [0, MAX_N] for which n strings of len bytes exec, and what n+1 gives. */
static const char *outcome(int r) {
    return r == 0 ? "ok" : r < 0 ? "child failed" : probe_errname(r);
}

static void boundary(const char *what, size_t len) {
    int lo = 0, hi = MAX_N;  /* lo passes (0 strings always do); find the last that does */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (try_exec(mid, len) == 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    int next = lo < MAX_N ? try_exec(lo + 1, len) : 0;
    printf("%s: largest %d x %zu bytes; one more: %s\n", what, lo, len, outcome(next));
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "child") == 0)
        return check(argc, argv);
    struct rlimit rl = {8 << 20, RLIM_INFINITY};
    getrlimit(RLIMIT_STACK, &rl);
    rl.rlim_cur = 8 << 20;
    if (setrlimit(RLIMIT_STACK, &rl) != 0)
        printf("setrlimit: %s\n", probe_errname(errno));
    boundary("8 MiB stack, 1000-byte strings", 1000);
    boundary("8 MiB stack, 100 KiB strings", 100 * 1024);
    printf("one string of MAX_ARG_STRLEN - 1: %s\n", outcome(try_exec(1, MAX_ARG_STRLEN)));
    printf("one string of MAX_ARG_STRLEN: %s\n", outcome(try_exec(1, MAX_ARG_STRLEN + 1)));
    rl.rlim_cur = 1 << 20;
    setrlimit(RLIMIT_STACK, &rl);
    boundary("1 MiB stack, 1000-byte strings", 1000);
    return 0;
}
