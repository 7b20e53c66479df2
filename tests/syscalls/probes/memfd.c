// memfd_create(2) and file seals (fcntl F_ADD_SEALS / F_GET_SEALS): flags, errno cases,
// the file's mode, links and names, and each seal's effect on write, truncate, fallocate,
// mmap and mprotect. MFD_HUGETLB lines assume no huge pages reserved (HugePages_Total 0).
// covers: memfd_create, fcntl, write, pwrite64, pwritev, ftruncate, truncate, fallocate, mmap, mprotect, fchmod, fstatfs, linkat, execveat
// area: files
// usage: memfd SCRATCH   (SCRATCH must not exist yet; its parent must)
#include "probe.h"
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif
#define HUGE_SHIFT 26

static char page[8192];

static void describe(const char *what, int fd) {
    struct stat st;
    char proc[64], link[512] = {0};
    fstat(fd, &st);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    readlink(proc, link, sizeof link - 1);
    errno = 0;
    int seals = fcntl(fd, F_GET_SEALS);
    printf("%s: mode %o nlink %ld size %ld blksize %ld flags %o fdflags %d seals %d%s%s link %s\n",
           what, st.st_mode, (long)st.st_nlink, (long)st.st_size, (long)st.st_blksize,
           fcntl(fd, F_GETFL), fcntl(fd, F_GETFD), seals, seals < 0 ? " " : "",
           seals < 0 ? probe_errname(errno) : "", link);
}

static int sealed(const char *name, int seals, off_t size) {
    int fd = memfd_create(name, MFD_ALLOW_SEALING);
    ftruncate(fd, size);
    if (seals)
        SHOW("  F_ADD_SEALS", fcntl(fd, F_ADD_SEALS, seals));
    return fd;
}

static void maps_name(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *p = strstr(line, needle);
        if (p && p[-1] == '/') {
            printf("maps names it: %s", p - 1);
            found = 1;
            break;
        }
    }
    if (!found)
        printf("maps names it: (not found)\n");
    if (f)
        fclose(f);
}

static void flags_and_names(void) {
    describe("memfd(0)", memfd_create("plain", 0));
    describe("memfd(CLOEXEC|ALLOW_SEALING)", memfd_create("sealing", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    describe("memfd(NOEXEC_SEAL)", memfd_create("noexec", MFD_NOEXEC_SEAL));
    describe("memfd(EXEC)", memfd_create("exec", MFD_EXEC));
    describe("memfd(EXEC|ALLOW_SEALING)", memfd_create("exec", MFD_EXEC | MFD_ALLOW_SEALING));
    describe("memfd(\"\")", memfd_create("", 0));
    describe("memfd(\"a/b c\")", memfd_create("a/b c", 0));
    umask(077);
    describe("memfd under umask 077", memfd_create("umask", 0));
    umask(022);
    SHOW("memfd(EXEC|NOEXEC_SEAL)", memfd_create("x", MFD_EXEC | MFD_NOEXEC_SEAL));
    SHOW("memfd(0x20)", memfd_create("x", 0x20));
    SHOW("memfd(0x40000000)", memfd_create("x", 0x40000000));
    SHOW("memfd(size bits without HUGETLB)", memfd_create("x", 21U << HUGE_SHIFT));
    SHOW("memfd(NULL)", memfd_create(NULL, 0));
    SHOW("memfd(bad pointer)", memfd_create((char *)8, 0));
    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    OK("memfd(249-byte name)", memfd_create(name, 0));
    name[249] = 'n';
    name[250] = 0;
    SHOW("memfd(250-byte name)", memfd_create(name, 0));
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    rl = old;
    rl.rlim_cur = 0;
    setrlimit(RLIMIT_NOFILE, &rl);
    SHOW("memfd(at RLIMIT_NOFILE)", memfd_create("x", 0));
    setrlimit(RLIMIT_NOFILE, &old);

    int fd = memfd_create("mapped", 0);
    ftruncate(fd, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    OK("mmap(memfd, MAP_SHARED)", m == MAP_FAILED ? -1 : 0);
    if (m != MAP_FAILED) {
        memcpy(m, "via map", 7);
        char buf[8] = {0};
        pread(fd, buf, 7, 0);
        printf("read sees the mapping's write: %s\n", buf);
        maps_name("memfd:mapped");
        munmap(m, 4096);
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int again = open(proc, O_RDONLY);
    describe("reopened O_RDONLY via /proc", again);
    SHOW("F_ADD_SEALS via O_RDONLY", fcntl(again, F_ADD_SEALS, F_SEAL_SEAL));
    int path = open(proc, O_PATH);
    SHOW("F_GET_SEALS via O_PATH", fcntl(path, F_GET_SEALS));
}

static void other_files(const char *scratch) {
    int fd = open("/dev/shm", O_TMPFILE | O_RDWR, 0600);
    SHOW("F_GET_SEALS(/dev/shm O_TMPFILE)", fcntl(fd, F_GET_SEALS));
    SHOW("F_ADD_SEALS(/dev/shm O_TMPFILE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    fd = open(scratch, O_RDWR | O_CREAT, 0600);
    SHOW("F_GET_SEALS(scratch file)", fcntl(fd, F_GET_SEALS));
    SHOW("F_ADD_SEALS(scratch file)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    int p[2];
    pipe(p);
    SHOW("F_GET_SEALS(pipe)", fcntl(p[0], F_GET_SEALS));
    SHOW("F_ADD_SEALS(pipe read end)", fcntl(p[0], F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("F_GET_SEALS(bad fd)", fcntl(99, F_GET_SEALS));
}

static void seal_rules(void) {
    int fd = memfd_create("s", MFD_ALLOW_SEALING);
    SHOW("F_ADD_SEALS(unknown bit)", fcntl(fd, F_ADD_SEALS, 0x40));
    SHOW("F_ADD_SEALS(-1)", fcntl(fd, F_ADD_SEALS, -1));
    SHOW("F_ADD_SEALS(0)", fcntl(fd, F_ADD_SEALS, 0));
    ftruncate(fd, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    SHOW("F_SEAL_WRITE with a writable shared mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("F_SEAL_FUTURE_WRITE with it", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
    memcpy(m, "old map", 7);
    printf("the old mapping still writes: %s\n", m);
    SHOW("write under FUTURE_WRITE", write(fd, "x", 1));
    OK("mmap(MAP_SHARED, PROT_WRITE) under FUTURE_WRITE",
       mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0);
    munmap(m, 4096);
    SHOW("F_SEAL_WRITE once unmapped", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    SHOW("write", write(fd, "x", 1));
    SHOW("write(0 bytes)", write(fd, "x", 0));
    SHOW("pwrite", pwrite(fd, "x", 1, 0));
    struct iovec v[2] = {{page, 10}, {page, 10}};
    SHOW("pwritev", pwritev(fd, v, 2, 0));
    SHOW("ftruncate(grow)", ftruncate(fd, 8192));
    SHOW("ftruncate(shrink)", ftruncate(fd, 4096));
    SHOW("fallocate(0)", fallocate(fd, 0, 0, 100));
    SHOW("fallocate(PUNCH_HOLE)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 100));
    OK("mmap(MAP_SHARED, PROT_WRITE)",
       mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0);
    OK("mmap(MAP_SHARED_VALIDATE, PROT_WRITE)",
       mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0) == MAP_FAILED ? -1 : 0);
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    OK("mmap(MAP_SHARED, PROT_READ)", m == MAP_FAILED ? -1 : 0);
    SHOW("mprotect(PROT_WRITE) of it", mprotect(m, 4096, PROT_READ | PROT_WRITE));
    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    OK("mmap(MAP_PRIVATE, PROT_WRITE)", priv == MAP_FAILED ? -1 : 0);
    SHOW("F_ADD_SEALS(SEAL)", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    SHOW("F_ADD_SEALS after SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    SHOW("F_ADD_SEALS(0) after SEAL", fcntl(fd, F_ADD_SEALS, 0));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    SHOW("F_GET_SEALS via dup", fcntl(dup(fd), F_GET_SEALS));

    printf("-- F_SEAL_SHRINK\n");
    fd = sealed("shrink", F_SEAL_SHRINK, 100);
    SHOW("ftruncate(50)", ftruncate(fd, 50));
    SHOW("ftruncate(100)", ftruncate(fd, 100));
    SHOW("ftruncate(200)", ftruncate(fd, 200));
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    SHOW("truncate(/proc/self/fd/N, 10)", truncate(proc, 10));
    SHOW("open(/proc/self/fd/N, O_TRUNC)", open(proc, O_RDWR | O_TRUNC) >= 0 ? 0 : -1);
    SHOW("fallocate(PUNCH_HOLE)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10));
    SHOW("write", pwrite(fd, "abc", 3, 0));

    printf("-- F_SEAL_GROW\n");
    fd = sealed("grow", F_SEAL_GROW, 4096 + 100);
    SHOW("ftruncate(8192)", ftruncate(fd, 8192));
    SHOW("ftruncate(100)", ftruncate(fd, 100));
    SHOW("pwrite(90, 10)", pwrite(fd, page, 10, 90));
    SHOW("pwrite(90, 20)", pwrite(fd, page, 20, 90));
    SHOW("pwrite(100, 1)", pwrite(fd, page, 1, 100));
    ftruncate(fd, 4096 + 100);  // growing is refused: stays 100
    SHOW("fallocate(KEEP_SIZE, past the end)", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 200));
    SHOW("fallocate(0, within)", fallocate(fd, 0, 0, 100));
    fd = memfd_create("grow2", MFD_ALLOW_SEALING);
    ftruncate(fd, 4096 + 100);
    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW);
    SHOW("pwrite(10, 8192) across pages", pwrite(fd, page, 8192, 10));
    SHOW("pwrite(4146, 100) in the last page", pwrite(fd, page, 100, 4096 + 50));
    struct iovec w[2] = {{page, 4000}, {page, 4000}};
    SHOW("pwritev(0, 8000)", pwritev(fd, w, 2, 0));
    lseek(fd, 4096 + 90, SEEK_SET);
    SHOW("write(20) at 4186", write(fd, page, 20));

    printf("-- F_SEAL_EXEC\n");
    fd = memfd_create("exec", MFD_ALLOW_SEALING);
    ftruncate(fd, 4096);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    SHOW("F_ADD_SEALS(EXEC) on 0777 with a writable shared mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    munmap(m, 4096);
    SHOW("fchmod(0755)", fchmod(fd, 0755));
    SHOW("F_ADD_SEALS(EXEC) on 0755", fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    SHOW("fchmod(0644)", fchmod(fd, 0644));
    SHOW("fchmod(0711)", fchmod(fd, 0711));
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    SHOW("mprotect(PROT_WRITE) of a shared mapping", mprotect(m, 4096, PROT_READ | PROT_WRITE));
    SHOW("write", write(fd, "x", 1));
    fd = memfd_create("exec", MFD_ALLOW_SEALING);
    fchmod(fd, 0600);
    SHOW("F_ADD_SEALS(EXEC) on 0600", fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    SHOW("fchmod(0700)", fchmod(fd, 0700));
    SHOW("write", write(fd, "x", 1));
    fd = memfd_create("noexec", MFD_NOEXEC_SEAL);
    SHOW("NOEXEC_SEAL fchmod(0755)", fchmod(fd, 0755));
    SHOW("NOEXEC_SEAL fchmod(0600)", fchmod(fd, 0600));
    SHOW("NOEXEC_SEAL F_ADD_SEALS(WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("NOEXEC_SEAL F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    fd = memfd_create("unsealable", 0);
    SHOW("F_ADD_SEALS without ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("write without ALLOW_SEALING", write(fd, "x", 1));
}

static void hugetlb(void) {
    int fd = memfd_create("huge", MFD_HUGETLB | MFD_ALLOW_SEALING);
    describe("memfd(HUGETLB|ALLOW_SEALING)", fd);
    struct statfs sf;
    fstatfs(fd, &sf);
    printf("fstatfs: type %lx bsize %ld\n", (unsigned long)sf.f_type, (long)sf.f_bsize);
    SHOW("write", write(fd, "x", 1));
    SHOW("ftruncate(4096)", ftruncate(fd, 4096));
    SHOW("ftruncate(2M)", ftruncate(fd, 2 << 20));
    char buf[8];
    SHOW("read", read(fd, buf, sizeof buf));
    OK("mmap(MAP_SHARED)", mmap(NULL, 2 << 20, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0);
    OK("mmap(MAP_PRIVATE)", mmap(NULL, 2 << 20, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
    OK("mmap(offset 4096)", mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED ? -1 : 0);
    SHOW("fallocate(0)", fallocate(fd, 0, 0, 2 << 20));
    SHOW("F_ADD_SEALS(GROW)", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    SHOW("ftruncate(4M)", ftruncate(fd, 4 << 20));
    SHOW("fallocate(KEEP_SIZE)", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 << 20));
    SHOW("fallocate(PUNCH_HOLE)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 2 << 20));
    SHOW("fallocate(ZERO_RANGE)", fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 2 << 20));
    fd = memfd_create("huge", MFD_HUGETLB | MFD_NOEXEC_SEAL);
    describe("memfd(HUGETLB|NOEXEC_SEAL)", fd);
    SHOW("fchmod(0755) (hugetlbfs ignores F_SEAL_EXEC)", fchmod(fd, 0755));
    describe("memfd(HUGETLB)", memfd_create("huge", MFD_HUGETLB));
    OK("memfd(HUGETLB|2MB)", memfd_create("huge", MFD_HUGETLB | 21U << HUGE_SHIFT));
    OK("memfd(HUGETLB|1GB)", memfd_create("huge", MFD_HUGETLB | 30U << HUGE_SHIFT));
    SHOW("memfd(HUGETLB|64KB)", memfd_create("huge", MFD_HUGETLB | 16U << HUGE_SHIFT));
    SHOW("memfd(HUGETLB|size 63)", memfd_create("huge", MFD_HUGETLB | 63U << HUGE_SHIFT));
}

// A program in a memfd (as runc keeps its own binary): run, named /memfd:NAME (deleted).
static void exec_and_link(const char *scratch) {
    int src = open("/proc/self/exe", O_RDONLY);
    int fd = memfd_create("prog", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    char buf[65536];
    ssize_t n;
    while ((n = read(src, buf, sizeof buf)) > 0)
        write(fd, buf, n);
    close(src);
    SHOW("F_ADD_SEALS(all but EXEC) on the program", fcntl(fd, F_ADD_SEALS,
         F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
    char name[4200], proc[64];
    snprintf(name, sizeof name, "%s-link", scratch);
    SHOW("linkat(memfd, AT_EMPTY_PATH)", linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    SHOW("linkat(/proc/self/fd/N)", linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char *args[] = {"memfd", "--memfd-child", NULL};
        char *env[] = {NULL};
        syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
        printf("execveat(memfd): %s\n", probe_errname(errno));
        fflush(stdout);
        _exit(1);
    }
    int status;
    waitpid(child, &status, 0);
    printf("the child exited %d\n", WEXITSTATUS(status));
    int empty = memfd_create("empty", 0);
    fchmod(empty, 0600);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        char *args[] = {"memfd", "--memfd-child", NULL};
        char *env[] = {NULL};
        syscall(SYS_execveat, empty, "", args, env, AT_EMPTY_PATH);
        printf("execveat(memfd of mode 0600): %s\n", probe_errname(errno));
        fflush(stdout);
        _exit(1);
    }
    waitpid(child, &status, 0);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "--memfd-child") == 0) {
        char exe[256] = {0};
        readlink("/proc/self/exe", exe, sizeof exe - 1);
        printf("the memfd program runs as %s\n", exe);
        return 0;
    }
    flags_and_names();
    other_files(argv[1]);
    seal_rules();
    hugetlb();
    exec_and_link(argv[1]);
    return 0;
}
