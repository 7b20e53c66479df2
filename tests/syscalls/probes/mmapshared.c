// MAP_SHARED file mappings: coherent with read/write, across fork and across separate
// mappings of the same file (regular file and POSIX shm in /dev/shm); MAP_PRIVATE; msync
// and mmap's EACCES rules.
// covers: mmap, msync, munmap
// area: memory
// usage: mmapshared SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_at(const char *what, int fd, off_t off, size_t n) {
    char buf[32] = {0};
    long r = pread(fd, buf, n, off);
    printf("%s: %ld \"%.*s\"\n", what, r, (int)(r > 0 ? r : 0), buf);
}

static void coherent(const char *label, int fd) {
    printf("== %s\n", label);
    SHOW("ftruncate", ftruncate(fd, 8192));
    pwrite(fd, "hello", 5, 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    YESNO("mmap shared", m != MAP_FAILED);
    printf("map sees write: \"%.5s\"\n", m);
    memcpy(m, "HE", 2);
    show_at("read sees map", fd, 0, 5);
    pwrite(fd, "XY", 2, 3);
    printf("map sees pwrite: \"%.5s\"\n", m);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    memcpy(p, "priv", 4);
    show_at("private write stays private", fd, 0, 5);
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(m + 100, "child", 5);
        msync(m, 4096, MS_SYNC);
        char *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
        memcpy(m2 + 8, "second", 6);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    show_at("parent reads child's map write", fd, 100, 5);
    printf("parent map sees child's other mapping: \"%.6s\"\n", m + 4096 + 8);
    SHOW("msync MS_SYNC", msync(m, 8192, MS_SYNC));
    SHOW("msync MS_ASYNC|MS_INVALIDATE", msync(m, 4096, MS_ASYNC | MS_INVALIDATE));
    SHOW("msync unaligned", msync(m + 1, 10, MS_SYNC));
    SHOW("msync both", msync(m, 4096, MS_SYNC | MS_ASYNC));
    SHOW("msync bad flags", msync(m, 4096, 8));
    munmap(p, 4096);
    munmap(m, 8192);
    SHOW("msync unmapped", msync(m, 4096, MS_SYNC));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600);
    OK("create", fd);
    coherent("regular file", fd);

    int ro = open(argv[1], O_RDONLY);
    int wo = open(argv[1], O_WRONLY);
    int ap = open(argv[1], O_RDWR | O_APPEND);
    SHOW("shared write on O_RDONLY", mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0);
    SHOW("private write on O_RDONLY", mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE, ro, 0) == MAP_FAILED ? -1 : 0);
    SHOW("read on O_WRONLY", mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED ? -1 : 0);
    SHOW("shared write on O_APPEND", mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ap, 0) == MAP_FAILED ? -1 : 0);
    unlink(argv[1]);

    char name[64];
    snprintf(name, sizeof name, "/probe-mmapshared-%d", getpid());
    int shm = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    OK("shm_open", shm);
    coherent("posix shm", shm);
    SHOW("shm_unlink", shm_unlink(name));
    return 0;
}
