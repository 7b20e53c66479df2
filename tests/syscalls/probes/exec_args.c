// execve's path, argv and envp laid out across pages: arrays and strings that cross a page
// boundary or lie on other pages reach the program intact; a NULL path, a bad array, an
// array or string running into an unmapped page give EFAULT.
// covers: execve, mmap, munmap, wait4
// area: process
// usage: exec_args SCRATCH
#include "probe.h"
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char *pages;  /* four pages: 0-2 mapped, 3 unmapped */
#define PG 4096

/* Runs execve(path, argv, envp) in a child; prints its errno, or lets the program's
 * output (echo) show. */
static void try_exec(const char *what, const char *path, char **argv, char **envp) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        printf("%s: -1 %s\n", what, probe_errname(errno));
        fflush(stdout);
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("%s: status %d\n", what, WEXITSTATUS(st));
}

static char *put(char *at, const char *s) {
    strcpy(at, s);
    return at;
}

int main(void) {
    pages = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(pages + 3 * PG, PG);
    char *argv_plain[] = {"echo", "plain", NULL};
    try_exec("plain", "/bin/echo", argv_plain, NULL);
    try_exec("NULL path", NULL, argv_plain, NULL);
    try_exec("bad argv", "/bin/echo", (char **)8, NULL);

    /* argv's array across the boundary of pages 0 and 1, its strings on page 2 */
    char **arr = (char **)(pages + PG - 16);
    arr[0] = put(pages + 2 * PG, "echo");
    arr[1] = put(pages + 2 * PG + 16, "array-across-pages");
    arr[2] = put(pages + 2 * PG + 64, "third");
    arr[3] = NULL;
    char *envp[] = {put(pages + 100, "A=1"), NULL};
    try_exec("array across pages", "/bin/echo", arr, envp);

    /* a string across the boundary of pages 1 and 2, the path at the end of page 0 */
    char *s = pages + 2 * PG - 5;
    strcpy(s, "across-boundary");
    char *path = pages + PG - 10;
    strcpy(path, "/bin/echo");
    char *argv2[] = {"echo", s, NULL};
    try_exec("string across pages", path, argv2, NULL);

    /* the array runs into the unmapped page (no NULL before it) */
    char **open_arr = (char **)(pages + 3 * PG - 16);
    open_arr[0] = "echo";
    open_arr[1] = "x";
    try_exec("array into a hole", "/bin/echo", open_arr, NULL);

    /* a string runs into the unmapped page */
    char *open_s = pages + 3 * PG - 4;
    memcpy(open_s, "abcd", 4);
    char *argv3[] = {"echo", open_s, NULL};
    try_exec("string into a hole", "/bin/echo", argv3, NULL);
    char *envp3[] = {open_s, NULL};
    try_exec("env string into a hole", "/bin/echo", argv_plain, envp3);

    /* a path of PATH_MAX bytes and more, across pages 1 and 2 */
    char *longp = pages + PG + 100;
    memset(longp, 'a', 5000);
    longp[0] = '/';
    longp[5000] = 0;
    try_exec("path too long", longp, argv_plain, NULL);

    /* the path runs into the unmapped page */
    try_exec("path into a hole", open_s, argv_plain, NULL);
    return 0;
}
