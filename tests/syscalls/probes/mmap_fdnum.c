// File mappings by fd number: an fd number reused for another file maps the new file
// (the seccomp platform maps by the guest's own fd numbers), in a forked child too, right
// after a wait4 that reaped at once (the host ran it), after
// dup2 onto a low and a high number, and a closed or unmappable fd fails as Linux says.
// covers: mmap, openat, close, dup2, clone
// area: memory
// usage: mmap_fdnum SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char path_a[4096], path_b[4096];

static void make(const char *path, char fill) {
    char buf[8192];
    memset(buf, fill, sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, buf, sizeof buf) != (long)sizeof buf) {
        perror(path);
        exit(1);
    }
    close(fd);
}

/* Maps `len` bytes of fd at `off` and prints the first byte there (or the errno). */
static void show_map(const char *what, int fd, long off, int prot, int flags) {
    errno = 0;
    char *p = mmap(NULL, 4096, prot, flags, fd, off);
    if (p == MAP_FAILED) {
        printf("%s: -1 %s\n", what, probe_errname(errno));
        return;
    }
    printf("%s: '%c'\n", what, p[0]);
    munmap(p, 4096);
}

int main(int argc, char **argv) {
    if (argc < 2 || mkdir(argv[1], 0755) < 0) {
        perror("scratch");
        return 1;
    }
    snprintf(path_a, sizeof path_a, "%s/a", argv[1]);
    snprintf(path_b, sizeof path_b, "%s/b", argv[1]);
    make(path_a, 'a');
    make(path_b, 'b');

    int fd = open(path_a, O_RDONLY);
    SHOW("open a", fd);
    show_map("map a", fd, 0, PROT_READ, MAP_PRIVATE);
    show_map("map a again", fd, 4096, PROT_READ, MAP_PRIVATE);
    close(fd);
    show_map("map closed fd", fd, 0, PROT_READ, MAP_PRIVATE);
    int fd2 = open(path_b, O_RDONLY);
    SHOW("open b takes the number", fd2 == fd);
    show_map("map b by that number", fd2, 0, PROT_READ, MAP_PRIVATE);
    show_map("map b shared writable (read-only fd)", fd2, 0, PROT_READ | PROT_WRITE, MAP_SHARED);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        show_map("child maps b", fd2, 0, PROT_READ, MAP_PRIVATE);
        close(fd2);
        int fa = open(path_a, O_RDONLY);
        printf("child reopens a on the number: %s\n", fa == fd2 ? "yes" : "no");
        show_map("child maps a", fa, 0, PROT_READ, MAP_PRIVATE);
        fflush(stdout);
        _exit(0);
    }
    int status;
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);  /* exited for sure: wait4 reaps at once */
    SHOW("reaped", waitpid(pid, &status, 0) == pid);
    show_map("parent still maps b", fd2, 0, PROT_READ, MAP_PRIVATE);
    pid = fork();
    if (pid == 0)
        _exit(3);
    SHOW("another fork's child exits 3", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 3);

    int fa = open(path_a, O_RDWR);
    SHOW("dup2 a onto 2", dup2(fa, 2) == 2);
    show_map("map fd 2", 2, 0, PROT_READ, MAP_PRIVATE);
    SHOW("dup2 a onto 1500", dup2(fa, 1500) == 1500);
    show_map("map fd 1500", 1500, 0, PROT_READ, MAP_PRIVATE);
    SHOW("dup2 b onto the a fd", dup2(fd2, fa) == fa);
    show_map("map it: b", fa, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE);

    int pfd[2];
    SHOW("pipe", pipe(pfd));
    show_map("map a pipe", pfd[0], 0, PROT_READ, MAP_PRIVATE);
    show_map("map with a bad offset", fd2, 1, PROT_READ, MAP_PRIVATE);
    return 0;
}
