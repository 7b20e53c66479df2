// execve with more argument pointers than Linux's limit (a quarter of the 8 MiB stack
// rlimit: 2 MiB of pointers and strings): E2BIG, returned to the caller, quickly.
// usage: big_argv N
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 300000;
    char **av = malloc((n + 1) * sizeof *av);
    if (!av)
        return 2;
    av[0] = "/bin/true";
    for (long i = 1; i < n; i++)
        av[i] = "";
    av[n] = NULL;
    execv(av[0], av);
    printf("execve with %ld args: %s\n", n, strerrorname_np(errno));
    return 0;
}
